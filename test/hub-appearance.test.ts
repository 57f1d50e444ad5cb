/**
 * Deployments that appear upstream after the hub took its baseline are news: one status event
 * (previous null) and one change event, once. What the first poll of a backend, or of a newly
 * watched id set, shows is the baseline and is told nobody; nor is what a hub watching anew, or a
 * second instance on the same pubsub, reads first.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ModelDeployment } from '../src/domain/deployment.js';
import { fakeBackend } from './fixtures/fake-backend.js';
import { createLogger } from '../src/logger.js';
import type { HubEvent } from '../src/status/events.js';
import { WatchHub } from '../src/status/hub.js';
import { createMemoryPubSub } from '../src/status/pubsub.js';
import { startStack, type Stack } from './helpers.js';
import { sse } from './sub-clients.js';

const INTERVAL = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));



const told = (events: HubEvent[]) => events.flatMap((e) => (e.type === 'status' || e.type === 'change' ? [`${e.type} ${e.id} ${e.previous}->${e.current}`] : []));

describe('the watch hub and deployments that appear', () => {
  const hubs: WatchHub[] = [];
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.close()));
  });

  function start(fake: ReturnType<typeof fakeBackend>, pubsub = createMemoryPubSub().pubsub) {
    const hub = new WatchHub(new Map([[fake.backend.id, fake.backend]]), pubsub, createLogger('silent'), { intervalMs: INTERVAL, jitter: 0 });
    hubs.push(hub);
    return hub;
  }

  it('tells of a deployment first seen by a later list, once, with previous null; the first list is silent', async () => {
    const fake = fakeBackend('lister', false, ['a', 'b', 'c']);
    const hub = start(fake);
    const all: HubEvent[] = [];
    const byId: HubEvent[] = [];
    hub.watch({ backend: 'lister', ids: null }, (ev) => all.push(ev));
    // An id that does not exist yet: the list has read every deployment there is.
    hub.watch({ backend: 'lister', ids: ['lister:new'] }, (ev) => byId.push(ev));
    await fake.nextReads(2, 10);
    expect(told(all)).toEqual([]);
    fake.add('new');
    await fake.nextReads(3, 10);
    expect(told(all)).toEqual(['status lister:new null->PENDING', 'change lister:new null->PENDING']);
    expect(told(byId)).toEqual(['status lister:new null->PENDING', 'change lister:new null->PENDING']);
    const change = all.find((e) => e.type === 'change');
    expect(change?.type === 'change' && change.changedFields).toContain('status');
  });

  it('is silent again when it watches anew after all watchers left', async () => {
    const fake = fakeBackend('lister', false, ['a']);
    const hub = start(fake);
    const first: HubEvent[] = [];
    const leave = hub.watch({ backend: 'lister', ids: null }, (ev) => first.push(ev));
    await fake.nextReads(2, 10);
    leave();
    // Created while nobody watched: the next watch's first read is its baseline.
    fake.add('meanwhile', 'READY');
    const again: HubEvent[] = [];
    hub.watch({ backend: 'lister', ids: null }, (ev) => again.push(ev));
    await fake.nextReads(2, 10);
    expect(told(first)).toEqual([]);
    expect(told(again)).toEqual([]);
    fake.add('later');
    await fake.nextReads(2, 10);
    expect(told(again)).toEqual(['status lister:later null->PENDING', 'change lister:later null->PENDING']);
  });

  it('two instances on one pubsub: the later one reads its baseline silently, and each tells of a newcomer once', async () => {
    const fake = fakeBackend('lister', false, ['a', 'b']);
    const { pubsub } = createMemoryPubSub();
    const a = start(fake, pubsub);
    const onA: HubEvent[] = [];
    a.watch({ backend: 'lister', ids: null }, (ev) => onA.push(ev));
    await fake.nextReads(2, 10);
    // Created before B's first poll: news to A (its baseline is older), the baseline to B.
    fake.add('before-b', 'READY');
    const b = start(fake, pubsub);
    const onB: HubEvent[] = [];
    b.watch({ backend: 'lister', ids: null }, (ev) => onB.push(ev));
    await fake.nextReads(4, 10);
    fake.add('after-b');
    await fake.nextReads(4, 10);
    expect(told(onA)).toEqual([
      'status lister:before-b null->READY',
      'change lister:before-b null->READY',
      'status lister:after-b null->PENDING',
      'change lister:after-b null->PENDING',
    ]);
    expect(told(onB)).toEqual(['status lister:after-b null->PENDING', 'change lister:after-b null->PENDING']);
  });

  it('on a batch backend: a newly watched id is a silent baseline; one read missing and found later is news', async () => {
    const fake = fakeBackend('batcher', true, ['a', 'b']);
    const hub = start(fake);
    const events: HubEvent[] = [];
    hub.watch({ backend: 'batcher', ids: ['batcher:a', 'batcher:later'] }, (ev) => events.push(ev));
    await fake.nextReads(2, 10);
    hub.watch({ backend: 'batcher', ids: ['batcher:b'] }, (ev) => events.push(ev));
    await fake.nextReads(2, 10);
    expect(told(events)).toEqual([]);
    fake.add('later');
    await fake.nextReads(2, 10);
    expect(told(events)).toEqual(['status batcher:later null->PENDING', 'change batcher:later null->PENDING']);
  });
});

describe('a Northflank deployment created after the subscription (SSE)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vendors: ['northflank'], config: { status: { pollIntervalMs: 100 } } });
  });
  afterAll(() => stack?.close());

  async function hubPolled(n: number) {
    const polls = () => stack.gateway.runtime.hub!.stats().northflank?.polls ?? 0;
    const target = polls() + n;
    const deadline = Date.now() + 5000;
    while (polls() < target) {
      if (Date.now() > deadline) throw new Error('the hub did not poll northflank');
      await sleep(5);
    }
  }

  it('a filter subscription receives exactly one event for it, with previous null', async () => {
    const sub = sse(
      stack.url,
      `subscription { modelDeploymentStatusChanged(filter: {vendors: ["northflank"]}) { __typename ... on ModelDeploymentStatusTransition { previous current initial deployment { id name } } } }`,
      {},
    );
    try {
      await hubPolled(2); // the baseline, and a poll after it
      const sim = stack.sims.northflank;
      const res = await fetch(`${sim.url}/v1/projects/default-project/llm-model-deployments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'appeared later',
          description: 'created upstream after the subscription',
          spec: { type: 'custom', configuration: { engine: 'vllm', nodeConfiguration: { storage: { storageClass: 'nvme', storageSize: 6144 } } } },
        }),
      });
      expect(res.status).toBe(200);
      await sub.waitFor((ev) => ev.length >= 1);
      await hubPolled(4); // nothing twice, nothing else
      await sleep(50);
      expect(sub.events).toEqual([
        {
          __typename: 'ModelDeploymentStatusTransition',
          previous: null,
          current: 'PENDING',
          initial: false,
          deployment: { id: 'northflank:default-project/appeared-later', name: 'appeared later' },
        },
      ]);
    } finally {
      sub.stop();
    }
  });
});

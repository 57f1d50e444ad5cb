/**
 * Deployments that appear upstream after the hub took its baseline are news: one status event
 * (previous null) and one change event, once. What the first poll of a backend, or of a newly
 * watched id set, shows is the baseline and is told nobody; nor is what a hub watching anew, or a
 * second instance on the same pubsub, reads first. The hubs run on a manual clock: each poll is
 * made to happen, and counted, before what it should (not) have told is checked.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../src/domain/clock.js';
import { fakeBackend } from './fixtures/fake-backend.js';
import { createLogger } from '../src/logger.js';
import type { HubEvent } from '../src/status/events.js';
import { WatchHub } from '../src/status/hub.js';
import { createMemoryPubSub } from '../src/status/pubsub.js';
import { subscriptionEventsSent, subscriptionStats } from '../src/graphql/subscriptions.js';
import { allArrived, hubIdle, pollRounds, polled, startStack, until, type Stack } from './helpers.js';
import { sse } from './sub-clients.js';

const INTERVAL = 100;

const told = (events: HubEvent[]) => events.flatMap((e) => (e.type === 'status' || e.type === 'change' ? [`${e.type} ${e.id} ${e.previous}->${e.current}`] : []));

describe('the watch hub and deployments that appear', () => {
  const hubs: WatchHub[] = [];
  let clock: ManualClock;
  beforeEach(() => {
    clock = createManualClock();
  });
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.close()));
  });

  function start(fake: ReturnType<typeof fakeBackend>, pubsub = createMemoryPubSub().pubsub) {
    const hub = new WatchHub(new Map([[fake.backend.id, fake.backend]]), pubsub, createLogger('silent'), { intervalMs: INTERVAL, jitter: 0, clock });
    hubs.push(hub);
    return hub;
  }

  /**
   * An interval at a time (without jitter every hub polls once per step) until each hub has ended
   * `n` more polls of the backend; what they published has reached the listeners by then.
   */
  async function rounds(backend: string, want: Array<[WatchHub, number]>) {
    const target = want.map(([hub, n]) => [hub, polled(hub, backend) + n] as const);
    for (let step = 0; target.some(([hub, n]) => polled(hub, backend) < n); step++) {
      if (step > 20) throw new Error(`the hubs stopped polling ${backend}`);
      clock.advance(INTERVAL);
      await until('the polls to end', () => hubs.every(hubIdle));
    }
    for (const [hub, n] of target) expect(polled(hub, backend)).toBe(n);
  }

  it('tells of a deployment first seen by a later list, once, with previous null; the first list is silent', async () => {
    const fake = fakeBackend('lister', false, ['a', 'b', 'c']);
    const hub = start(fake);
    const all: HubEvent[] = [];
    const byId: HubEvent[] = [];
    hub.watch({ backend: 'lister', ids: null }, (ev) => all.push(ev));
    // An id that does not exist yet: the list has read every deployment there is.
    hub.watch({ backend: 'lister', ids: ['lister:new'] }, (ev) => byId.push(ev));
    await rounds('lister', [[hub, 2]]);
    expect(fake.reads).toHaveLength(2);
    expect(told(all)).toEqual([]);
    fake.add('new');
    await rounds('lister', [[hub, 3]]);
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
    await rounds('lister', [[hub, 2]]);
    leave();
    // Created while nobody watched: the next watch's first read is its baseline.
    fake.add('meanwhile', 'READY');
    const again: HubEvent[] = [];
    hub.watch({ backend: 'lister', ids: null }, (ev) => again.push(ev));
    await rounds('lister', [[hub, 2]]);
    expect(fake.reads).toHaveLength(4);
    expect(told(first)).toEqual([]);
    expect(told(again)).toEqual([]);
    fake.add('later');
    await rounds('lister', [[hub, 2]]);
    expect(told(again)).toEqual(['status lister:later null->PENDING', 'change lister:later null->PENDING']);
  });

  it('two instances on one pubsub: the later one reads its baseline silently, and each tells of a newcomer once', async () => {
    const fake = fakeBackend('lister', false, ['a', 'b']);
    const { pubsub } = createMemoryPubSub();
    const a = start(fake, pubsub);
    const onA: HubEvent[] = [];
    a.watch({ backend: 'lister', ids: null }, (ev) => onA.push(ev));
    await rounds('lister', [[a, 2]]);
    // B starts a little after A's last read began (a second instance does not start in that millisecond).
    clock.advance(10);
    // Created before B's first poll: news to A (its baseline is older), the baseline to B.
    fake.add('before-b', 'READY');
    const b = start(fake, pubsub);
    const onB: HubEvent[] = [];
    b.watch({ backend: 'lister', ids: null }, (ev) => onB.push(ev));
    await rounds('lister', [
      [a, 2],
      [b, 2],
    ]);
    fake.add('after-b');
    await rounds('lister', [
      [a, 2],
      [b, 2],
    ]);
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
    await rounds('batcher', [[hub, 2]]);
    hub.watch({ backend: 'batcher', ids: ['batcher:b'] }, (ev) => events.push(ev));
    await rounds('batcher', [[hub, 2]]);
    expect(told(events)).toEqual([]);
    fake.add('later');
    await rounds('batcher', [[hub, 2]]);
    expect(told(events)).toEqual(['status batcher:later null->PENDING', 'change batcher:later null->PENDING']);
  });
});

describe('a Northflank deployment created after the subscription (SSE)', () => {
  // The hub's clock, apart from the simulator's: the new deployment stays PENDING however far it moves.
  const clock = createManualClock();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vendors: ['northflank'], statusClock: clock, config: { status: { pollIntervalMs: INTERVAL } } });
  });
  afterAll(() => stack?.close());

  /** `n` more polls of Northflank, ended; a step of the interval plus its jitter makes one poll each. */
  const hubPolled = (n: number) => pollRounds(stack.gateway.runtime.hub!, clock, { northflank: n }, INTERVAL * 1.1);

  it('a filter subscription receives exactly one event for it, with previous null', async () => {
    const hub = stack.gateway.runtime.hub!;
    const sentFrom = subscriptionEventsSent(hub);
    const sub = sse(
      stack.url,
      `subscription { modelDeploymentStatusChanged(filter: {vendors: ["northflank"]}) { __typename ... on ModelDeploymentStatusTransition { previous current initial deployment { id name } } } }`,
      {},
    );
    try {
      await until('the subscriber', () => subscriptionStats(hub).subscribers === 1);
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
      await hubPolled(1);
      await sub.waitFor((ev) => ev.length >= 1);
      await hubPolled(4); // nothing twice, nothing else
      await allArrived(hub, sentFrom, [sub]);
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

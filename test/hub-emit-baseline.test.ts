/**
 * emitCurrent hands the states it read to the hub as the baseline of ids the hub has not read
 * yet. On a batch backend (ZStack) a newly watched id's own baseline waits for the earliest poll
 * the interval allows; a change inside that wait is still told. The hub's time is a manual clock:
 * a poll happens when the test moves it there, never because the machine was slow or quick.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelDeployment } from '../src/domain/deployment.js';
import { fakeBackend, fakeDeployment, pass } from './fixtures/fake-backend.js';
import { createManualClock, type ManualClock } from '../src/domain/clock.js';
import { createLogger } from '../src/logger.js';
import type { HubEvent } from '../src/status/events.js';
import { POLL_JITTER, WatchHub } from '../src/status/hub.js';
import { createMemoryPubSub } from '../src/status/pubsub.js';
import { allArrived, startStack, until, type Stack } from './helpers.js';
import { subscriptionEventsSent } from '../src/graphql/subscriptions.js';
import { sse, transitions, type Collector } from './sub-clients.js';

const deployment = fakeDeployment;


const told = (events: HubEvent[]) => events.flatMap((e) => (e.type === 'status' || e.type === 'change' ? [`${e.type} ${e.id} ${e.previous}->${e.current}`] : []));

describe('the hub takes a baseline offered by a subscription', () => {
  const INTERVAL = 400;
  let hub: WatchHub | null = null;
  afterEach(async () => {
    await hub?.close();
    hub = null;
  });

  let clock: ManualClock;
  const fakeBackendOnClock = (id: string, batch: boolean, keys: string[]) => fakeBackend(id, batch, keys, clock);
  beforeEach(() => {
    clock = createManualClock();
  });

  function start(fake: ReturnType<typeof fakeBackend>) {
    hub = new WatchHub(new Map([[fake.backend.id, fake.backend]]), createMemoryPubSub().pubsub, createLogger('silent'), { intervalMs: INTERVAL, jitter: 0, clock });
    return hub;
  }

  it('an offered state is the baseline of a batch id not read yet: the change before the first read is told', async () => {
    const fake = fakeBackendOnClock('batcher', true, ['a', 'b']);
    const h = start(fake);
    h.watch({ backend: 'batcher', ids: ['batcher:a'] }, () => {});
    await fake.nextReads(1);
    const events: HubEvent[] = [];
    h.watch({ backend: 'batcher', ids: ['batcher:b'] }, (ev) => events.push(ev));
    h.offerBaseline(deployment('batcher', 'b', 'READY'), clock.now());
    expect(events).toEqual([]); // no event for the offer itself
    fake.remove('b');
    await fake.nextReads(1);
    expect(told(events)).toEqual(['status batcher:b READY->DELETED', 'change batcher:b READY->DELETED']);
  });

  it('never overrides a state the hub holds, nor one newer than the offer; a poll older than the offer is dropped', async () => {
    const fake = fakeBackendOnClock('batcher', true, ['a', 'b']);
    const h = start(fake);
    const events: HubEvent[] = [];
    h.watch({ backend: 'batcher', ids: ['batcher:a'] }, (ev) => events.push(ev));
    await fake.nextReads(1);
    // The hub has read a as READY: an offer of another state is no baseline (and no event).
    h.offerBaseline(deployment('batcher', 'a', 'FAILED'), clock.now());
    await fake.nextReads(1);
    expect(told(events)).toEqual([]);

    // A poll that began before the offered read shows the state from before it: dropped.
    fake.slowReads(60);
    const before = fake.reads.length;
    h.watch({ backend: 'batcher', ids: ['batcher:b'] }, (ev) => events.push(ev));
    while (fake.reads.length === before) await pass(clock, 1);
    fake.set('b', 'PENDING');
    h.offerBaseline(deployment('batcher', 'b', 'PENDING'), clock.now());
    await pass(clock, 120);
    fake.slowReads(0);
    await fake.nextReads(2);
    expect(told(events)).toEqual([]);
  });

  it('does not take an offer for an id a list has read: a deployment that appeared is news', async () => {
    const fake = fakeBackendOnClock('lister', false, ['a']);
    const h = start(fake);
    const events: HubEvent[] = [];
    h.watch({ backend: 'lister', ids: null }, (ev) => events.push(ev));
    await fake.nextReads(1);
    h.offerBaseline(fake.set('new', 'PENDING'), clock.now());
    await fake.nextReads(1);
    expect(told(events)).toEqual(['status lister:new null->PENDING', 'change lister:new null->PENDING']);
  });

  it('on a list: an offered id the first list does not show is forgotten, not told DELETED', async () => {
    const fake = fakeBackendOnClock('lister', false, ['a']);
    const h = start(fake);
    h.watch({ backend: 'lister', ids: ['lister:a'] }, () => {});
    await fake.nextReads(1);
    await h.close();
    // A fresh hub whose first list is not made yet (a read of an id outside the list's scope).
    const h2 = start(fake);
    const events: HubEvent[] = [];
    h2.watch({ backend: 'lister', ids: ['lister:elsewhere'] }, (ev) => events.push(ev));
    h2.offerBaseline(deployment('lister', 'elsewhere', 'READY'), clock.now() - 1);
    await fake.nextReads(2);
    expect(told(events)).toEqual([]);
  });
});

describe('ZStack: emitCurrent right after a poll, a change before the next one (SSE)', () => {
  const INTERVAL = 1500;
  const OTHER = 'zstack:5d2e7a9c41f04b6e8a3d1c0b9f8e7d6c';
  const UUID = '1bb3ef7d600d4d30b21b8ffd299c37b5';
  const RENAMED = 'a7c3e91b2d4f48609e5b1a2c3d4e5f60';
  /** The hub's clock (and its upstream requests' deadlines): it polls when the test moves it. */
  const statusClock = createManualClock();
  /** The longest the hub waits between polls of a backend that answers. */
  const LONGEST_GAP = INTERVAL * (1 + POLL_JITTER);
  let stack: Stack;
  let stopOther: () => void = () => {};
  /** Every subscription opened here, and the gateway's count of events sent before the first. */
  const opened: Collector[] = [];
  let sentFrom = 0;
  const open = (query: string) => {
    const c = sse(stack.url, query, {});
    opened.push(c);
    return c;
  };
  beforeAll(async () => {
    stack = await startStack({ vendors: ['zstack'], statusClock, config: { status: { pollIntervalMs: INTERVAL } } });
    sentFrom = subscriptionEventsSent(stack.gateway.runtime.hub!);
    // Another watched model keeps the hub polling ZStack.
    const other = open(`subscription { modelDeploymentStatusChanged(ids: ["${OTHER}"]) { __typename } }`);
    stopOther = () => other.stop();
    await until('the hub to watch zstack', () => stack.gateway.runtime.hub!.stats().zstack !== undefined);
  });
  afterAll(async () => {
    stopOther();
    await stack?.close();
  });

  const polls = () => stack.gateway.runtime.hub!.stats().zstack?.polls ?? 0;
  /**
   * The hub waits for its next poll: its timer is the first on its clock (a poll under way has
   * none, only its request's deadline, far later).
   */
  const hubWaiting = () => {
    const due = statusClock.nextTimerAt();
    return due !== null && due - statusClock.now() <= LONGEST_GAP;
  };
  /** Moves the hub's clock to its next poll of ZStack and resolves once that poll has answered. */
  async function justPolled() {
    await until('the hub to wait for its next poll', hubWaiting);
    const start = polls();
    statusClock.advance(statusClock.nextTimerAt()! - statusClock.now());
    expect(polls()).toBe(start + 1);
    await until('the poll to answer', hubWaiting);
    // What the poll found reaches the subscribers over their streams.
    await allArrived(stack.gateway.runtime.hub!, sentFrom, opened);
  }

  it('a model removed before the hub read it is told READY->DELETED, exactly', async () => {
    await justPolled();
    const at = polls();
    const sub = open(
      `subscription { modelDeploymentStatusChanged(ids: ["zstack:${UUID}"], emitCurrent: true) { __typename ... on ModelDeploymentStatusTransition { previous current initial deployment { id status } } } }`,
    );
    try {
      await sub.waitFor((ev) => ev.some((e) => e.initial));
      expect(polls()).toBe(at); // still inside the wait for the next poll
      expect(stack.sims.zstack.removeModel(UUID)).toBe(true);
      await justPolled(); // the earliest poll the interval allows reads the new id
      await sub.waitFor((ev) => transitions(ev).length >= 1);
      await justPolled(); // nothing twice
      expect(sub.events.filter((e) => e.initial).map((e) => e.current)).toEqual(['READY']);
      expect(transitions(sub.events)).toEqual(['READY->DELETED']);
      expect(sub.events.at(-1).deployment).toEqual({ id: `zstack:${UUID}`, status: 'DELETED' });
    } finally {
      sub.stop();
    }
  });

  it('an offered baseline without tags learns them silently: a later rename changes the name only', async () => {
    await justPolled();
    const sub = open(
      `subscription { modelDeploymentChanged(ids: ["zstack:${RENAMED}"], emitCurrent: true) { __typename ... on ModelDeploymentChange { previous current initial changedFields deployment { id name } } } }`,
    );
    try {
      await sub.waitFor((ev) => ev.some((e) => e.initial));
      await justPolled(); // the hub's own first read of the model (with its tags)
      const res = await stack.gql(`mutation { updateModelDeployment(input: {id: "zstack:${RENAMED}", name: "renamed-after-offer"}) { __typename } }`);
      expect(res.body.data.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
      await sub.waitFor((ev) => ev.some((e) => !e.initial));
      await justPolled();
      const changes = sub.events.filter((e) => !e.initial);
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({ previous: 'READY', current: 'READY', deployment: { name: 'renamed-after-offer' } });
      // ZStack's version is a digest of the model's inventory: a rename moves it too; tags stay out.
      expect(changes[0].changedFields).toEqual(['name', 'version', 'updatedAt']);
    } finally {
      sub.stop();
    }
  });
});

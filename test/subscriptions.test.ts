/** Status subscriptions over SSE (graphql-sse client) and WebSocket (graphql-ws client). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { allArrived, createSkippingClock, pollRounds, polled, startStack, until, type Stack } from './helpers.js';
import { createManualClock } from '../src/domain/clock.js';
import { BREAKER_HALF_OPEN_AFTER_MS } from '../src/http/client.js';
import { createToySimulator } from './fixtures/toy/simulator.js';
import { sse, ws, transitions, type Collector } from './sub-clients.js';
import { subscriptionEventsSent, subscriptionStats } from '../src/graphql/subscriptions.js';
import { POLL_JITTER } from '../src/status/hub.js';
import type { RecordedCall } from '../src/simulator/server.js';

const toyModule = fileURLToPath(new URL('./fixtures/toy/adapter.ts', import.meta.url));

/** A transition as `PREVIOUS->CURRENT`, anything else by its type name. */
const describeEvent = (e: any) => (e.__typename === 'ModelDeploymentStatusTransition' ? `${e.previous}->${e.current}` : (e.__typename ?? `error: ${String(e.error)}`));

const STATUS_SUB = `subscription($ids: [ID!], $emit: Boolean) {
  modelDeploymentStatusChanged(ids: $ids, emitCurrent: $emit) {
    __typename
    ... on ModelDeploymentStatusTransition { previous current vendorStatus initial deployment { id status } }
    ... on BackendUnavailable { backend code }
    ... on BackendRecovered { backend }
  }
}`;


describe.each([
  ['SSE', sse],
  ['WebSocket', ws],
] as const)('status subscription over %s', (_name, open) => {
  const INTERVAL = 200;
  /** The interval plus its jitter: a healthy backend polls once per step. */
  const STEP = INTERVAL * 1.1;
  /** The longest wait before a failing backend's next poll (its backoff at most, plus jitter): it polls once per such step. */
  const BACKOFF_STEP = 30_000 * 1.1;
  /** The hub's clock: it polls only when the test moves it. */
  const clock = createManualClock();
  /**
   * The upstream client's clock: a failing poll's retry waits end at once (so that a poll ends by
   * itself and the test can wait for it before moving the hub's clock again); the circuit
   * breaker's wait passes only when the test moves it.
   */
  const upstream = createSkippingClock();
  let stack: Stack;
  let toy: Awaited<ReturnType<typeof createToySimulator>>;
  beforeAll(async () => {
    toy = await createToySimulator();
    stack = await startStack({ vendors: [], extraSims: { toybox: toy }, statusClock: clock, upstreamClock: upstream, config: { adapters: [toyModule], status: { pollIntervalMs: INTERVAL } } });
  });
  afterAll(() => stack?.close());

  const hubOf = () => stack.gateway.runtime.hub!;
  /** Moves the hub's clock until it has ended `n` more polls of the toy backend. */
  const rounds = (n: number, stepMs = STEP) => pollRounds(hubOf(), clock, { toybox: n }, stepMs);
  /**
   * Opens a subscription once the previous tests' subscribers have left (so that every event sent
   * from here on is this one's), and waits until the gateway has it.
   */
  async function subscribe(variables: Record<string, unknown>) {
    const hub = hubOf();
    await until('the earlier subscribers to leave', () => subscriptionStats(hub).subscribers === 0);
    const from = subscriptionEventsSent(hub);
    const sub = open(stack.url, STATUS_SUB, variables);
    await until('the subscriber', () => subscriptionStats(hub).subscribers === 1);
    return { sub, from };
  }
  /**
   * After an outage has been cleared: the breaker's wait passes on the upstream clock (the failing
   * polls opened it), and the toy backend's next poll reads it again.
   */
  async function recovered() {
    upstream.advance(BREAKER_HALF_OPEN_AFTER_MS);
    await rounds(1, BACKOFF_STEP);
    expect(hubOf().stats().toybox!.unavailable).toBe(false);
  }

  it('sends the present state, then each transition once, in order', async () => {
    const hub = hubOf();
    const { sub, from } = await subscribe({ ids: ['toybox:alpha'], emit: true });
    try {
      await sub.waitFor((ev) => ev.some((e) => e.initial));
      expect(sub.events[0]).toMatchObject({ __typename: 'ModelDeploymentStatusTransition', initial: true, previous: null, current: 'READY', deployment: { id: 'toybox:alpha' } });
      await rounds(1); // the hub has its baseline
      toy.setState('alpha', 'down');
      await rounds(1);
      await sub.waitFor((ev) => transitions(ev).length === 1);
      toy.setState('alpha', 'up');
      await rounds(1);
      await sub.waitFor((ev) => transitions(ev).length === 2);
      await rounds(2); // nothing late, nothing twice
      await allArrived(hub, from, [sub]);
      expect(transitions(sub.events)).toEqual(['READY->FAILED', 'FAILED->READY']);
      expect(sub.events.filter((e) => !e.initial).map((e) => e.vendorStatus)).toEqual(['down', 'up']);
    } finally {
      sub.stop();
    }
  });

  it('tells subscribers a backend is down once, then that it recovered, in order, without reconnecting', async () => {
    const hub = hubOf();
    toy.setState('beta', 'down');
    const { sub, from } = await subscribe({ ids: ['toybox:beta'] });
    try {
      await rounds(1); // the hub has its baseline
      toy.setState('beta', 'up');
      await rounds(1);
      await sub.waitFor((ev) => transitions(ev).length === 1);
      toy.server.inject({ kind: 'status', status: 503 });
      await rounds(1);
      await sub.waitFor((ev) => ev.some((e) => e.__typename === 'BackendUnavailable'));
      // Failing polls go on (with backoff); the subscriber is told once.
      await rounds(2, BACKOFF_STEP);
      toy.server.clearFaults();
      await recovered();
      await sub.waitFor((ev) => ev.some((e) => e.__typename === 'BackendRecovered'));
      toy.setState('beta', 'down');
      await rounds(1);
      await sub.waitFor((ev) => transitions(ev).length === 2);
      await rounds(2); // nothing late, nothing twice
      await allArrived(hub, from, [sub]);

      expect(sub.events.map(describeEvent)).toEqual(['FAILED->READY', 'BackendUnavailable', 'BackendRecovered', 'READY->FAILED']);
      expect(sub.events.find((e) => e.__typename === 'BackendUnavailable')).toEqual({ __typename: 'BackendUnavailable', backend: 'toybox', code: 'UPSTREAM_UNAVAILABLE' });
      // The same stream throughout: the clients never retry (retryAttempts: 0), so an error or an
      // end of the stream would have stopped the events after it.
      expect(sub.events.filter((e) => e.error)).toEqual([]);
    } finally {
      toy.server.clearFaults();
      sub.stop();
    }
  }, 60_000);

  it('delivers a transition that happened while the backend was down once it answers again', async () => {
    const hub = hubOf();
    toy.setState('beta', 'down');
    const { sub, from } = await subscribe({ ids: ['toybox:beta'] });
    try {
      await rounds(1); // the hub has its baseline
      toy.server.inject({ kind: 'status', status: 503 });
      await rounds(1);
      await sub.waitFor((ev) => ev.some((e) => e.__typename === 'BackendUnavailable'));
      toy.setState('beta', 'up');
      await rounds(1, BACKOFF_STEP); // the hub retries while the backend is down; nothing is told meanwhile
      await allArrived(hub, from, [sub]);
      expect(transitions(sub.events)).toEqual([]);
      toy.server.clearFaults();
      await recovered();
      await sub.waitFor((ev) => transitions(ev).length === 1);
      await rounds(2); // nothing late, nothing twice
      await allArrived(hub, from, [sub]);

      expect(sub.events.map(describeEvent)).toEqual(['BackendUnavailable', 'BackendRecovered', 'FAILED->READY']);
      expect(sub.events.at(-1)).toMatchObject({ deployment: { id: 'toybox:beta', status: 'READY' }, vendorStatus: 'up', initial: false });
      expect(sub.events.filter((e) => e.error)).toEqual([]);
    } finally {
      toy.server.clearFaults();
      sub.stop();
    }
  }, 60_000);
});

describe('the watch hub', () => {
  /** The hub's clock: it polls only when the test moves it. */
  const statusClock = createManualClock();
  let stack: Stack;
  let toy: Awaited<ReturnType<typeof createToySimulator>>;
  beforeAll(async () => {
    toy = await createToySimulator();
    stack = await startStack({ vendors: [], extraSims: { toybox: toy }, statusClock, config: { adapters: [toyModule], status: { pollIntervalMs: 200 } } });
  });
  afterAll(() => stack?.close());

  it('publishes a change made through the gateway at once, without a poll', async () => {
    const sub = sse(stack.url, `subscription { modelDeploymentChanged(ids: ["toybox:beta"]) { __typename ... on ModelDeploymentChange { changedFields deployment { name } } } }`, {});
    try {
      const hub = stack.gateway.runtime.hub!;
      const stats = () => hub.stats().toybox;
      // The hub's first poll (due at once) takes the baseline.
      await until('the hub to watch toybox', () => stats() !== undefined && statusClock.nextTimerAt() !== null);
      statusClock.advance(statusClock.nextTimerAt()! - statusClock.now());
      await until('the baseline poll to answer', () => stats()!.polls === 1 && !stats()!.polling);
      const at = statusClock.now();
      await stack.gql(`mutation { updateModelDeployment(input: {id: "toybox:beta", name: "Beta renamed"}) { __typename } }`);
      await sub.waitFor((ev) => ev.some((e) => e.deployment?.name === 'Beta renamed'));
      // Sooner than the next poll: the hub's clock has not moved, and it has not polled again.
      expect(statusClock.now()).toBe(at);
      expect(stats()!.polls).toBe(1);
      expect(sub.events.find((e) => e.deployment?.name === 'Beta renamed').changedFields).toContain('name');
    } finally {
      sub.stop();
    }
  });
});

/**
 * The must-show: many subscribers, each watching a different subset of 10 deployments over the
 * three vendors, cost each backend one poll (one list per project / workspace, one batch read)
 * per interval, never two polls closer than the interval less its jitter; and nothing once they
 * have left. The hub's clock is a manual one that the test moves from poll to poll, so polls are
 * timed and counted on it, whatever the load of the machine; real time is waited on only for the
 * subscribers' streams, with generous bounds.
 */
describe('the watch hub under 500 subscribers', () => {
  const INTERVAL = 200;
  const MIN_GAP = INTERVAL * (1 - POLL_JITTER);
  const MAX_GAP = INTERVAL * (1 + POLL_JITTER);
  const VENDORS = ['northflank', 'nemo', 'zstack'] as const;
  type Vendor = (typeof VENDORS)[number];
  const ZS_SEED = '1bb3ef7d600d4d30b21b8ffd299c37b5';
  const ZS_ADDED = ['0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'f9e8d7c6b5a4938271605f4e3d2c1b0a'];
  const IDS = [
    'northflank:default-project/deepseek-v3-deployment',
    'northflank:default-project/llama-3-1-70b-instruct',
    'northflank:ml-research/llama-3-1-8b-instruct',
    'northflank:default-project/mistral-7b-instruct',
    'nemo:research-team-alpha/llama-3.1-8b',
    'nemo:prod-inference/llama-3.1-70b-instruct',
    'nemo:research-team-alpha/nemotron-mini-4b',
    `zstack:${ZS_SEED}`,
    ...ZS_ADDED.map((u) => `zstack:${u}`),
  ];
  /** One status change per backend, made upstream during the measurement. */
  const CHANGED: Record<string, string> = {
    'northflank:default-project/deepseek-v3-deployment': 'READY->FAILED',
    'nemo:research-team-alpha/llama-3.1-8b': 'READY->FAILED',
    [`zstack:${ZS_SEED}`]: 'READY->DELETED',
  };
  const QUERY = `subscription($ids: [ID!]) {
    modelDeploymentStatusChanged(ids: $ids) { __typename ... on ModelDeploymentStatusTransition { previous current deployment { id } } }
  }`;

  /** The hub's clock (and its upstream requests' deadlines); the simulators' own clock never moves. */
  const statusClock = createManualClock();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vendors: [...VENDORS], statusClock, config: { status: { pollIntervalMs: INTERVAL } } });
    const zs = stack.sims.zstack;
    const template = zs.model(ZS_SEED)!;
    ZS_ADDED.forEach((uuid, i) => zs.addModel({ ...template, uuid, name: `watched-model-${i}` }));
  });
  afterAll(() => stack?.close());

  /** Upstream calls one poll needs: Northflank and NeMo list per project / workspace; ZStack reads its uuids in one batch. */
  // A ZStack read is the model query and the user-tag query beside it.
  const needed = () => ({ northflank: stack.sims.northflank.projects.length, nemo: stack.sims.nemo.workspaces.length, zstack: 2 });
  /** The list / batch calls of a poll, told from other calls (a ZStack login). */
  const isPollCall: Record<Vendor, (c: RecordedCall) => boolean> = {
    northflank: (c) => c.method === 'GET' && /^\/v1\/projects\/[^/]+\/llm-model-deployments$/.test(c.path),
    nemo: (c) => c.method === 'GET' && /^\/apis\/models\/v2\/workspaces\/[^/]+\/deployments$/.test(c.path),
    zstack: (c) => c.method === 'GET' && (c.path.startsWith('/zstack/v1/ai/models') || c.path === '/zstack/v1/user-tags'),
  };

  /** Each backend's polls: when (on the hub's clock), and the upstream calls each made. */
  const polls: Record<Vendor, Array<{ at: number; calls: number; other: number }>> = { northflank: [], nemo: [], zstack: [] };

  /**
   * Moves the hub's clock to its next timer, once no poll is under way (so no request in flight is
   * timed out by it), and waits until the polls it set off have answered; records them.
   */
  async function tick() {
    const hub = stack.gateway.runtime.hub!;
    const idle = () => VENDORS.every((v) => !hub.stats()[v]?.polling);
    await until('the polls to answer', idle, 60_000);
    const before = Object.fromEntries(VENDORS.map((v) => [v, { polls: hub.stats()[v]?.polls ?? 0, calls: stack.sims[v]!.server.calls.length }]));
    const due = statusClock.nextTimerAt();
    expect(due).not.toBeNull();
    statusClock.advance(due! - statusClock.now());
    await until('the polls to answer', idle, 60_000);
    for (const v of VENDORS) {
      const made = (hub.stats()[v]?.polls ?? 0) - before[v]!.polls;
      if (made === 0) continue;
      // One timer fires per tick and backend: one poll at most.
      expect({ backend: v, polls: made }).toEqual({ backend: v, polls: 1 });
      const calls = stack.sims[v]!.server.calls.slice(before[v]!.calls);
      polls[v].push({ at: statusClock.now(), calls: calls.filter(isPollCall[v]).length, other: calls.filter((c) => !isPollCall[v](c)).length });
    }
  }
  /** Ticks until the hub's clock has moved `ms`. */
  async function run(ms: number) {
    const end = statusClock.now() + ms;
    while (statusClock.now() < end) await tick();
  }

  it('with 500 subscribers on 10 deployments, the simulators count at most one poll per backend per interval; after all unsubscribe, the counters stop rising', async () => {
    const hub = stack.gateway.runtime.hub!;
    const sims = stack.sims;
    const from = statusClock.now();
    const sentFrom = subscriptionEventsSent(hub);
    // 500 different non-empty subsets of the 10 ids: i * 619 runs through distinct residues mod 1023.
    const subsets = Array.from({ length: 500 }, (_, i) => IDS.filter((_, bit) => ((((i * 619) % 1023) + 1) >> bit) & 1));
    expect(new Set(subsets.map((s) => s.join())).size).toBe(500);
    const subs = subsets.map((ids) => sse(stack.url, QUERY, { ids }));
    try {
      await until('500 subscribers', () => subscriptionStats(hub).subscribers === 500, 180_000);
      expect(subscriptionStats(hub).watches).toBe(500);
      expect(Object.keys(hub.stats()).sort()).toEqual([...VENDORS].sort());
      // While they joined, the hub's clock stood still: not one poll yet. The first tick polls
      // each backend once, for every id at once.
      for (const v of VENDORS) expect(hub.stats()[v]!.polls).toBe(0);
      await tick();
      for (const v of VENDORS) expect(polls[v].map((p) => p.at)).toEqual([from]);
      // Every id has its baseline.
      await run(INTERVAL * 2);

      // A quiet stretch of over 2 s: nothing changes, nobody joins.
      const steadyFrom = statusClock.now();
      await run(2200);
      const steadyTo = statusClock.now();

      sims.northflank!.setStatus('default-project/deepseek-v3-deployment', 'crashed');
      sims.nemo!.setStatus('research-team-alpha/llama-3.1-8b', 'ERROR', 'failed on purpose');
      expect(sims.zstack!.removeModel(ZS_SEED)).toBe(true);
      const expected = subsets.map((ids) => ids.filter((id) => CHANGED[id]).map((id) => `${id} ${CHANGED[id]}`).sort());
      const got = (c: Collector) => c.events.map((e) => (e.deployment ? `${e.deployment.id} ${e.previous}->${e.current}` : JSON.stringify(e))).sort();
      // One interval polls every backend; the events then travel the subscribers' streams.
      await run(MAX_GAP);
      await until('every subscriber to hear of its changes', () => subs.every((c, i) => c.events.length >= expected[i]!.length), 60_000);
      await run(INTERVAL * 2); // nothing late, nothing twice
      await allArrived(hub, sentFrom, subs, 60_000);
      const to = statusClock.now();
      // Each subscriber hears of the changes to its own subset, once; nobody of anything else.
      expect(subs.map(got)).toEqual(expected);

      for (const v of VENDORS) {
        // Every poll, the first one included, makes exactly the list / batch calls the backend
        // needs: no second poll hides inside one; and there are no more polls than the interval allows.
        expect({ backend: v, calls: polls[v].map((p) => p.calls) }).toEqual({ backend: v, calls: polls[v].map(() => needed()[v]) });
        expect(polls[v].length).toBeLessThanOrEqual(Math.ceil((to - from) / MIN_GAP) + 1);
        // Consecutive polls at least the interval less its jitter apart, and at most the interval
        // and its jitter: polling at the interval all along.
        const gaps = polls[v].slice(1).map((p, i) => p.at - polls[v][i]!.at);
        expect({ backend: v, short: gaps.filter((g) => g < MIN_GAP), long: gaps.filter((g) => g > MAX_GAP) }).toEqual({ backend: v, short: [], long: [] });
        // On the quiet stretch: polling at the interval, and no call but the polls' (the first
        // poll of ZStack logs in).
        const steady = polls[v].filter((p) => p.at >= steadyFrom && p.at <= steadyTo);
        expect(steady.length).toBeGreaterThanOrEqual(Math.floor((steadyTo - steadyFrom) / MAX_GAP));
        expect({ backend: v, other: steady.map((p) => p.other) }).toEqual({ backend: v, other: steady.map(() => 0) });
      }
    } finally {
      subs.forEach((s) => s.stop());
    }

    await until('every watch to end', () => Object.keys(hub.stats()).length === 0, 60_000);
    expect(subscriptionStats(hub)).toEqual({ subscribers: 0, watches: 0 });
    // No poll is left to fall due, however far the clock moves.
    expect(statusClock.nextTimerAt()).toBeNull();
    for (const v of VENDORS) sims[v]!.server.resetCalls();
    // The last tick left no poll under way, and the clock has not moved since: nothing is in flight.
    const ended = VENDORS.map((v) => polled(hub, v));
    statusClock.advance(INTERVAL * 3);
    // Nothing fell due, and nothing was set to: no poll began, none can begin later.
    expect(statusClock.pendingTimers()).toBe(0);
    expect(hub.stats()).toEqual({});
    expect(VENDORS.map((v) => polled(hub, v))).toEqual(ended);
    expect(Object.fromEntries(VENDORS.map((v) => [v, sims[v]!.server.count()]))).toEqual({ northflank: 0, nemo: 0, zstack: 0 });
  }, 400_000);
});

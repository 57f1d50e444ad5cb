/**
 * What one caller may cost the vendors, counted on the simulators: identical reads in one request
 * are made once; many ids are read by list or batch calls; a request, a subscription and a key have
 * caps with typed errors; every caller shares one rate budget per backend in which the hub's polls
 * keep a reserve, and a greedy caller is refused (RATE_LIMITED) without anyone else hearing of it.
 * Where the hub polls, it and the budgets run on a manual clock: polls are made to happen and
 * counted, and no token of a budget comes from time passing unless the test moves the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../src/domain/clock.js';
import { allArrived, hubIdle, pollRounds, startStack, until, type Stack } from './helpers.js';
import { sse, ws, transitions } from './sub-clients.js';
import { subscriptionEventsSent, subscriptionStats } from '../src/graphql/subscriptions.js';

const VENDORS = ['northflank', 'nemo', 'zstack'] as const;
/** Calls per simulator, ZStack's logins aside (a session is reused from one request to the next). */
const counts = (stack: Stack) => Object.fromEntries(VENDORS.map((v) => [v, stack.sims[v]!.server.calls.filter((c) => !c.path.includes('/accounts/')).length]));
const reset = (stack: Stack) => VENDORS.forEach((v) => stack.sims[v]!.server.resetCalls());

const LIST = `modelDeployments(first: 10) { totalCount edges { node { id name ... on NemoModelDeployment { versions { nemoId } } } } }`;

/** `n` well-formed ids that name nothing, spread over the three backends. */
function missingIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const hex = i.toString(16).padStart(32, '0');
    return [`northflank:default-project/missing-${i}`, `nemo:research-team-alpha/missing-${i}`, `zstack:${hex}`][i % 3]!;
  });
}

describe('reads within one request', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vendors: [...VENDORS], config: { status: { pollIntervalMs: 60_000 } } });
  });
  afterAll(() => stack?.close());

  it('30 identical aliased lists (with NeMo versions) cost what one costs: one list per backend', async () => {
    reset(stack);
    const one = await stack.gql(`{ a0: ${LIST} }`);
    expect(one.body.errors).toBeUndefined();
    const single = counts(stack);
    reset(stack);
    const many = await stack.gql(`{ ${Array.from({ length: 30 }, (_, i) => `a${i}: ${LIST}`).join('\n')} }`);
    expect(many.body.errors).toBeUndefined();
    expect(Object.keys(many.body.data!)).toHaveLength(30);
    expect(counts(stack)).toEqual(single);
    // One list call per Northflank project and NeMo workspace (one page each here).
    expect(single.northflank).toBe(stack.sims.northflank!.projects.length);
  });

  it('refuses reads beyond limits.upstreamCallsPerRequest with a typed error, beside the data of the rest', async () => {
    const small = await startStack({ vendors: ['northflank'], config: { limits: { upstreamCallsPerRequest: 3 }, status: { pollIntervalMs: 60_000 } } });
    try {
      // No batch read on Northflank: five ids are five GETs, over the cap of three.
      const ids = ['deepseek-v3-deployment', 'gemma-2-9b-it', 'llama-3-1-70b-instruct', 'mistral-7b-instruct', 'qwen-2-5-72b'];
      const r = await small.gql(`{ backends { id } ${ids.map((id, i) => `d${i}: modelDeployment(id: "northflank:default-project/${id}") { id }`).join(' ')} }`);
      expect(r.body.data?.backends).toEqual([{ id: 'northflank' }]);
      const refused = (r.body.errors ?? []).filter((e) => e.extensions?.code === 'RATE_LIMITED');
      expect(refused.length).toBe(ids.length);
      expect(refused[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'upstreamCallsPerRequest', max: 3 });
      expect(small.sims.northflank!.server.count('GET', '/llm-model-deployments/')).toBe(0);
    } finally {
      await small.close();
    }
  });
});

describe('subscriptions for many ids', () => {
  const KEY = 'dashboard-key-0123456789abcdef';
  const OTHER = 'another-key-0123456789abcdef';
  const auth = { authorization: `Bearer ${KEY}` };
  const INTERVAL = 60_000;
  const clock = createManualClock();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      vendors: [...VENDORS],
      statusClock: clock,
      config: {
        status: { pollIntervalMs: INTERVAL },
        limits: { subscriptionsPerKey: 3 },
        auth: {
          apiKeys: [
            { name: 'dashboard', key: KEY, scopes: ['read'] },
            { name: 'another', key: OTHER, scopes: ['read'] },
          ],
        },
      },
    });
  });
  afterAll(() => stack?.close());

  const SUB = `subscription($ids: [ID!], $emit: Boolean) { modelDeploymentStatusChanged(ids: $ids, emitCurrent: $emit) { __typename ... on ModelDeploymentStatusTransition { initial deployment { id } } } }`;

  it('a subscription to 1,700 ids is refused with a typed error, before any upstream call', async () => {
    reset(stack);
    const sub = sse(stack.url, SUB, { ids: missingIds(1700), emit: true }, auth);
    try {
      const [event] = await sub.waitFor((ev) => ev.length > 0);
      const errors = (event.error ?? event).errors ?? event.error;
      expect(JSON.stringify(errors)).toContain('max_items');
      expect(JSON.stringify(errors)).toContain('VALIDATION');
      expect(counts(stack)).toEqual({ northflank: 0, nemo: 0, zstack: 0 });
    } finally {
      sub.stop();
    }
  });

  it('emitCurrent for 1,000 ids over three backends is read by list and batch calls, not 1,000 GETs', async () => {
    reset(stack);
    const ids = [...missingIds(997), 'northflank:default-project/deepseek-v3-deployment', 'nemo:research-team-alpha/llama-3.1-8b', 'zstack:1bb3ef7d600d4d30b21b8ffd299c37b5'];
    const sub = sse(stack.url, SUB, { ids, emit: true }, auth);
    try {
      const events = await sub.waitFor((ev) => ev.filter((e) => e.initial).length === 3);
      expect(events.map((e) => e.deployment.id).sort()).toEqual(ids.slice(997).sort());
      // The hub's first poll of each backend, ended.
      const hub = stack.gateway.runtime.hub!;
      await pollRounds(hub, clock, { northflank: 1, nemo: 1, zstack: 1 }, INTERVAL * 1.1);
      for (const v of VENDORS) expect(hub.stats()[v]?.polled).toBe(1);
      const c = counts(stack);
      // One list per project / workspace for the first states and one for the hub's poll; ZStack reads
      // 334 uuids in batches of 100 (and their tags once).
      expect(c.northflank).toBeLessThanOrEqual(2 * stack.sims.northflank!.projects.length);
      expect(c.nemo).toBeLessThanOrEqual(2 * stack.sims.nemo!.workspaces.length * 2);
      expect(c.zstack).toBeLessThanOrEqual(20);
    } finally {
      sub.stop();
    }
  }, 60_000);

  it('a key with limits.subscriptionsPerKey live subscriptions is refused another, until one ends; other keys are not', async () => {
    const ids = ['northflank:default-project/deepseek-v3-deployment'];
    const subs = [0, 1, 2].map((i) => sse(stack.url, SUB, { ids: [...ids, `nemo:research-team-alpha/missing-${i}`] }, auth));
    let fourth = sse(stack.url, SUB, { ids }, auth);
    try {
      const subscribers = (n: number) => () => subscriptionStats(stack.gateway.runtime.hub!).subscribers === n;
      await until('three subscribers', subscribers(3));
      const [refused] = await fourth.waitFor((ev) => ev.length > 0);
      expect(JSON.stringify(refused)).toContain('subscriptionsPerKey');
      expect(JSON.stringify(refused)).toContain('RATE_LIMITED');
      // Another key is not held to this one's count.
      const other = sse(stack.url, SUB, { ids }, { authorization: `Bearer ${OTHER}` });
      await until('the other key\'s subscriber', subscribers(4));
      other.stop();
      await until('the other key\'s subscriber to leave', subscribers(3));
      subs.pop()!.stop();
      await until('one of the three to leave', subscribers(2));
      fourth = sse(stack.url, SUB, { ids }, auth);
      await until('the fourth subscriber', subscribers(3));
      expect(fourth.events.filter((e) => e.error || e.errors)).toEqual([]);
    } finally {
      subs.forEach((s) => s.stop());
      fourth.stop();
    }
  });
});

describe('a greedy caller and the shared budget of a backend', () => {
  const GREEDY = 'greedy-caller-key-0123456789';
  const DASHBOARD = 'dashboard-key-0123456789abcdef';
  const INTERVAL = 200;
  /** The interval plus its jitter: one poll per step. */
  const STEP = INTERVAL * 1.1;
  const clock = createManualClock();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      vendors: ['northflank'],
      statusClock: clock,
      config: {
        status: { pollIntervalMs: INTERVAL },
        limits: { upstreamCallsPerSecond: 10, upstreamQueue: 8 },
        auth: {
          apiKeys: [
            { name: 'greedy', key: GREEDY, scopes: ['read'] },
            { name: 'dashboard', key: DASHBOARD, scopes: ['read'] },
          ],
        },
      },
    });
    // A little latency per call, as a real vendor has: reads pile up behind the budget.
    stack.sims.northflank!.server.inject({ fault: { kind: 'latency', ms: 20 } });
  });
  afterAll(() => stack?.close());

  it('is refused RATE_LIMITED when its reads fill the queue; a subscriber never hears BackendUnavailable and keeps its transitions', async () => {
    const id = 'northflank:default-project/deepseek-v3-deployment';
    const hub = stack.gateway.runtime.hub!;
    const budget = stack.gateway.runtime.budget!;
    const sentFrom = subscriptionEventsSent(hub);
    const sub = sse(
      stack.url,
      `subscription { modelDeploymentStatusChanged(ids: ["${id}"]) { __typename ... on ModelDeploymentStatusTransition { previous current } ... on BackendUnavailable { code } } }`,
      {},
      { authorization: `Bearer ${DASHBOARD}` },
    );
    try {
      await until('the subscriber', () => subscriptionStats(hub).subscribers === 1);
      await pollRounds(hub, clock, { northflank: 2 }, STEP);
      // 40 requests at once, each reading two deployments (two GETs: Northflank has no batch read).
      const floods = Array.from({ length: 40 }, (_, i) =>
        stack.gql(`{ a: modelDeployment(id: "northflank:default-project/missing-a${i}") { id } b: modelDeployment(id: "${id}") { id } }`, undefined, { token: GREEDY }),
      );
      let answered = false;
      const results = Promise.all(floods).finally(() => (answered = true));
      // The clock stands still, so no token comes: the greedy caller's reads fill the queue.
      await until('the greedy reads to fill the queue', () => budget.waiting().northflank === 8);
      stack.sims.northflank!.setStatus('default-project/deepseek-v3-deployment', 'crashed');
      // The hub's next poll falls due with the queue full of the greedy caller's reads.
      await pollRounds(hub, clock, { northflank: 1 }, STEP);
      // Time for the queued reads: a step at a time until every request is answered. Before the
      // next step, the reads the step let through have been answered (requests' deadlines are on
      // this clock: none is moved past while its read is at the simulator).
      const calls = stack.sims.northflank!.server.calls;
      // Bounded in clock steps, not in real time: the budget lets reads through as its clock moves.
      for (let steps = 0; !answered; steps++) {
        if (steps > 1000) throw new Error(`the flood was not answered in 1,000 steps (waiting: ${JSON.stringify(budget.waiting())})`);
        clock.advance(STEP);
        await until('the polls to end', () => hubIdle(hub));
        await until('the reads let through to be answered', () => answered || calls.every((c) => c.status !== 0));
      }
      const codes = (await results).flatMap((r) => (r.body.errors ?? []).map((e) => e.extensions?.code));
      expect(codes).toContain('RATE_LIMITED');
      expect(new Set(codes.filter((c) => c !== 'NOT_FOUND'))).toEqual(new Set(['RATE_LIMITED']));
      await sub.waitFor((ev) => transitions(ev).length >= 1);
      await pollRounds(hub, clock, { northflank: 2 }, STEP); // nothing late, nothing twice
      await allArrived(hub, sentFrom, [sub]);
      expect(sub.events.map((e) => e.__typename)).toEqual(['ModelDeploymentStatusTransition']);
      expect(transitions(sub.events)).toEqual(['READY->FAILED']);
    } finally {
      sub.stop();
    }
  }, 60_000);
});

describe.each([
  ['SSE', sse],
  ['WebSocket', ws],
] as const)('a subscription over its own budget, over %s', (_name, open) => {
  const INTERVAL = 200;
  const clock = createManualClock();
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vendors: ['northflank'], statusClock: clock, config: { status: { pollIntervalMs: INTERVAL }, limits: { upstreamCallsPerRequest: 1 } } });
  });
  afterAll(() => stack?.close());

  it('ends with a typed RATE_LIMITED error, not a broken stream; other subscribers of the backend hear nothing of it', async () => {
    const SUB = `subscription($ids: [ID!], $emit: Boolean) { modelDeploymentStatusChanged(ids: $ids, emitCurrent: $emit) { __typename ... on ModelDeploymentStatusTransition { initial } ... on BackendUnavailable { code } } }`;
    const hub = stack.gateway.runtime.hub!;
    const sentFrom = subscriptionEventsSent(hub);
    const watcher = open(stack.url, SUB, { ids: ['northflank:default-project/deepseek-v3-deployment'], emit: false });
    try {
      await until('the watcher', () => subscriptionStats(hub).subscribers === 1);
      await pollRounds(hub, clock, { northflank: 1 }, INTERVAL * 1.1);
      // Two ids on Northflank (no batch read): two GETs for the present states, over the cap of one.
      const greedy = open(stack.url, SUB, { ids: ['northflank:default-project/deepseek-v3-deployment', 'northflank:default-project/gemma-2-9b-it'], emit: true });
      const [refused] = await greedy.waitFor((ev) => ev.length > 0);
      greedy.stop();
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'upstreamCallsPerRequest' });
      await pollRounds(hub, clock, { northflank: 2 }, INTERVAL * 1.1);
      await allArrived(hub, sentFrom, [watcher, greedy]);
      // The refusal, to the greedy subscriber alone.
      expect(subscriptionEventsSent(hub) - sentFrom).toBe(1);
      expect(watcher.events).toEqual([]);
      expect(stack.logs.map((l) => JSON.parse(l) as { level: number }).filter((l) => l.level >= 50)).toEqual([]);
    } finally {
      watcher.stop();
    }
  });
});

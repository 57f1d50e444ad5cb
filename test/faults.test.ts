/**
 * Upstream faults of every kind, per vendor, through GraphQL over HTTP against the simulators:
 * a typed error naming the backend within the configured timeout, no unhandled rejection, the
 * gateway serving on; writes never replayed and their outcome told; backends that are down at
 * start-up; and one fixed set of error codes for everything a client can see.
 *
 * Upstream time is the stack's manual clock (the gateway's status clock: request deadlines and
 * retry waits): a request that gets no answer times out when the test moves the clock past its
 * deadline while the simulator holds it, never because the machine is slow. How long an answer
 * took is told by the clock and by the number of attempts, not by wall time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { startStack, startOnClock, onClock, latency, dataOf, conformanceOf, eventually, until, watchSimulator, type GqlResult, type Stack } from './helpers.js';
import type { ManualClock } from '../src/domain/clock.js';
import type { Fault, FaultRule, SimulatorServer, VendorSimulator } from '../src/simulator/server.js';
import { ERROR_CODES } from '../src/domain/errors.js';
import { createNorthflankSimulator } from '../adapters/northflank/simulator.js';
import { createNemoSimulator } from '../adapters/nemo/simulator.js';
import { createZStackSimulator } from '../adapters/zstack/simulator.js';
import { toyAdapter } from './fixtures/toy/adapter.js';
import { createToySimulator } from './fixtures/toy/simulator.js';
import northflank from '../adapters/northflank/index.js';
import { defineAdapter } from '../src/domain/adapter.js';

const VENDORS = ['northflank', 'nemo', 'zstack'] as const;
type Vendor = (typeof VENDORS)[number];

/** Per-attempt bound configured on the backend under test, on the stack's clock. */
const TIMEOUT_MS = 300;
/**
 * The bound where a fault is no timeout: the clock moves only by retry waits then, far less than
 * this, so no request is ever timed out by the test's moving it.
 */
const LONG_TIMEOUT_MS = 30_000;
/** An idempotent read is tried at most three times (src/http/client.ts: 2 retries). */
const ATTEMPTS = 3;
/** The waits between them: at most 100, then 200 ms (src/http/client.ts: backoff from 100 ms). */
const RETRY_WAIT_MS = [100, 200];
const RETRY_WAITS_MS = RETRY_WAIT_MS[0]! + RETRY_WAIT_MS[1]!;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  // The stacks are closed by now, and closing cuts every upstream call still in flight: what could
  // still reject has rejected. A few turns of the event loop (no time) let Node report it.
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/** The path of the seeded deployment each vendor reads it by. */
const ITEM_PATH: Record<Vendor, string> = {
  northflank: '/llm-model-deployments/deepseek-v3-deployment',
  nemo: '/deployments/llama-3.1-8b',
  zstack: '/ai/models/1bb3ef7d600d4d30b21b8ffd299c37b5',
};

const GET = `query($id: ID!) { modelDeployment(id: $id) { id } }`;

const idOf = (_stack: Stack, vendor: Vendor) => `${vendor}:${conformanceOf(vendor).existingKey}`;

function expectFixedCodes(r: GqlResult) {
  for (const e of r.body.errors ?? []) expect(ERROR_CODES, JSON.stringify(e)).toContain(e.extensions?.code);
}



async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

type Expected = string | ({ default: string } & Partial<Record<Vendor, string>>);
/**
 * `held`: the simulator holds every attempt (no answer, or one later than the deadline), so the
 * read ends by timing out on the clock.
 */
const FAULTS: Array<[name: string, fault: (clock: ManualClock) => Fault, code: Expected, held?: 'held']> = [
  ['fixed latency beyond the timeout', (clock) => latency(clock, () => 4 * TIMEOUT_MS), 'UPSTREAM_TIMEOUT', 'held'],
  ['random latency beyond the timeout', (clock) => latency(clock, () => TIMEOUT_MS + 50 + clock.random() * 2 * TIMEOUT_MS), 'UPSTREAM_TIMEOUT', 'held'],
  ['status 500', () => ({ kind: 'status', status: 500 }), 'UPSTREAM_ERROR'],
  ['status 502', () => ({ kind: 'status', status: 502 }), 'UPSTREAM_UNAVAILABLE'],
  // ZStack answers every failed API with 503 and an ErrorCode (here SYS.1000, an internal error).
  ['status 503 in the vendor’s error format', () => ({ kind: 'status', status: 503 }), { default: 'UPSTREAM_UNAVAILABLE', zstack: 'UPSTREAM_ERROR' }],
  ['status 503 from a proxy in front', () => ({ kind: 'status', status: 503, body: 'Service Unavailable' }), 'UPSTREAM_UNAVAILABLE'],
  ['status 401', () => ({ kind: 'status', status: 401 }), 'UPSTREAM_AUTH'],
  ['429 with a Retry-After too long to wait', () => ({ kind: 'rate-limit', retryAfterSeconds: 60 }), 'RATE_LIMITED'],
  ['connection reset', () => ({ kind: 'reset' }), 'UPSTREAM_UNAVAILABLE'],
  ['malformed JSON', () => ({ kind: 'garbled' }), 'UPSTREAM_ERROR'],
  ['truncated JSON', () => ({ kind: 'truncated' }), 'UPSTREAM_UNAVAILABLE'],
  ['a body of the wrong shape', () => ({ kind: 'wrong-shape' }), 'UPSTREAM_ERROR'],
  ['never answering', () => ({ kind: 'hang' }), 'UPSTREAM_TIMEOUT', 'held'],
];

const MATRIX = VENDORS.flatMap((vendor) =>
  FAULTS.map(([name, fault, code, held]) => [vendor, name, typeof code === 'string' ? code : (code[vendor] ?? code.default), fault, held === 'held'] as const),
);

describe('each fault kind on a read, per vendor', () => {
  it.concurrent.each(MATRIX)('%s, %s → %s', async (vendor, _name, code, fault, held) => {
    // Moving the clock past a held read's deadline would time out ZStack's user-tag read beside it too.
    const overrides = { timeoutMs: held ? TIMEOUT_MS : LONG_TIMEOUT_MS, ...(held && vendor === 'zstack' ? { readUserTags: false } : {}) };
    const stack = await startOnClock({ vendors: [vendor], backendOverrides: { [vendor]: overrides } });
    try {
      const sim = stack.sims[vendor]!.server;
      const id = idOf(stack, vendor);
      const reads = () => sim.calls.filter((c) => c.path.includes(ITEM_PATH[vendor])).length;
      // Warm: pooled connection open, ZStack session in place; the fault then hits the read itself.
      expect(dataOf(await stack.gql(GET, { id })).modelDeployment.id).toBe(id);
      sim.resetCalls();
      sim.inject({ fault: fault(stack.clock), pathIncludes: ITEM_PATH[vendor] });

      const { value: r, movedMs } = await onClock(stack.clock, stack.gql(GET, { id }), held ? reads : undefined);

      // An upstream status never becomes the status of the GraphQL response.
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({ modelDeployment: null });
      expect(r.body.errors).toHaveLength(1);
      expect(r.body.errors![0]!.extensions).toMatchObject({ code, backend: vendor });
      expect(r.body.errors![0]!.message).toMatch(new RegExp(`^Backend ${vendor}: `));
      if (held) {
        // Every attempt ended when the clock passed its deadline, and there were three of them.
        expect(reads()).toBe(ATTEMPTS);
        expect(movedMs).toBeGreaterThanOrEqual(ATTEMPTS * TIMEOUT_MS);
        expect(movedMs).toBeLessThanOrEqual(ATTEMPTS * TIMEOUT_MS + RETRY_WAITS_MS);
      } else {
        // Answered by the fault itself: at most three attempts, and no wait but the retries'.
        expect(reads()).toBeGreaterThanOrEqual(1);
        expect(reads()).toBeLessThanOrEqual(ATTEMPTS);
        expect(movedMs).toBeLessThanOrEqual(RETRY_WAITS_MS);
      }

      // The gateway serves on: at once, and this backend again as soon as the fault is gone.
      expect(dataOf(await stack.gql(`{ backends { id } }`)).backends).toEqual([{ id: vendor }]);
      sim.clearFaults();
      const back = await stack.gql(GET, { id });
      expect(back.status).toBe(200);
      expect(back.body.errors).toBeUndefined();
      expect(back.body.data?.modelDeployment.id).toBe(id);
    } finally {
      await stack.close();
    }
  });

  it('a short Retry-After is waited for, then the read succeeds', async () => {
    const stack = await startOnClock({ vendors: ['northflank'], backendOverrides: { northflank: { timeoutMs: LONG_TIMEOUT_MS } } });
    try {
      const sim = stack.sims.northflank!.server;
      const id = idOf(stack, 'northflank');
      sim.inject({ fault: { kind: 'rate-limit', retryAfterSeconds: 1 }, times: 1 });
      const { value: r } = await onClock(stack.clock, stack.gql(GET, { id }), undefined, 1000);
      expect(dataOf(r).modelDeployment.id).toBe(id);
      expect(sim.count('GET')).toBe(2);
      // The wait was the one the vendor asked for.
      const retries = stack.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'retrying idempotent upstream call');
      expect(retries).toEqual([expect.objectContaining({ attempt: 1, wait: 1000, code: 'RATE_LIMITED' })]);
    } finally {
      await stack.close();
    }
  });
});

describe('ZStack login failures', () => {
  it.each([
    ['an ErrorCode other than ID.* (an internal error) is no refusal of our credentials', { kind: 'status', status: 503 } as Fault, 'UPSTREAM_ERROR'],
    ['a 503 without an ErrorCode (a proxy in front) is unavailability', { kind: 'status', status: 503, body: 'Service Unavailable' } as Fault, 'UPSTREAM_UNAVAILABLE'],
  ])('%s', async (_why, fault, code) => {
    const stack = await startStack({ vendors: ['zstack'] });
    try {
      stack.sims.zstack!.server.inject({ method: 'PUT', pathIncludes: '/accounts/login', fault, times: 1 });
      const r = await stack.gql(GET, { id: idOf(stack, 'zstack') });
      expect(r.body.errors?.[0]?.extensions).toMatchObject({ code, backend: 'zstack' });
      expect(r.body.errors?.[0]?.message).toContain('login as account "admin" failed');
      expect(dataOf(await stack.gql(GET, { id: idOf(stack, 'zstack') })).modelDeployment.id).toBe(idOf(stack, 'zstack'));
    } finally {
      await stack.close();
    }
  });
});

/** Per vendor: a valid update, where its write goes, and how to see it applied. */
const WRITES: Record<Vendor, { input: Record<string, unknown>; method: string; applied: (d: any) => boolean; reread: Omit<FaultRule, 'fault'> }> = {
  northflank: {
    input: { description: 'written exactly once' },
    method: 'POST',
    applied: (d) => d.description === 'written exactly once',
    // The plan reads the deployment before the write and the re-read after it: both delayed.
    reread: { method: 'GET', pathIncludes: ITEM_PATH.northflank, times: 2 },
  },
  nemo: {
    input: { nemo: { config: 'llama-config-v3' } },
    method: 'POST',
    applied: (d) => d.config === 'llama-config-v3' && d.version === '4',
    reread: { method: 'GET', pathIncludes: '/versions/4', times: 1 },
  },
  zstack: {
    input: { description: 'written exactly once' },
    method: 'PUT',
    applied: (d) => d.description === 'written exactly once',
    reread: { method: 'GET', pathIncludes: ITEM_PATH.zstack, times: 2 },
  },
};

const UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) {
    __typename
    ... on Error { code message }
    ... on UpstreamError { backend outcome retryable }
    ... on UpdateModelDeploymentSuccess { deployment { id version description ... on NemoModelDeployment { config } } }
  }
}`;
const READ = `query($id: ID!) { modelDeployment(id: $id) { id version description ... on NemoModelDeployment { config } } }`;

describe('a write that fails in flight is never replayed, and its outcome is told', () => {
  const WRITE_TIMEOUT_MS = 400;

  /**
   * Sends the update with `faults` in place, moving the clock past the write's deadline while the
   * simulator holds it (`held`), and by retry waits only otherwise.
   */
  async function writeWith(vendor: Vendor, faults: (clock: ManualClock) => FaultRule[], options: { held?: boolean; withSim?: (sim: SimulatorServer) => void } = {}) {
    const stack = await startOnClock({ vendors: [vendor], backendOverrides: { [vendor]: { timeoutMs: options.held ? WRITE_TIMEOUT_MS : LONG_TIMEOUT_MS } } });
    const sim = stack.sims[vendor]!.server;
    options.withSim?.(sim);
    const id = idOf(stack, vendor);
    dataOf(await stack.gql(READ, { id }));
    sim.resetCalls();
    for (const f of faults(stack.clock)) sim.inject(f);
    const writes = () => sim.calls.filter((c) => c.method === WRITES[vendor].method && c.path.includes(ITEM_PATH[vendor])).length;
    const { value: r, movedMs } = await onClock(stack.clock, stack.gql(UPDATE, { input: { id, ...WRITES[vendor].input } }), options.held ? writes : undefined);
    expect(r.status).toBe(200);
    return { stack, id, result: dataOf(r).updateModelDeployment, movedMs, writes };
  }

  it.concurrent.each(VENDORS)('%s: no answer at all → UNKNOWN, one write', async (vendor) => {
    const { stack, result, movedMs, writes } = await writeWith(vendor, () => [{ method: WRITES[vendor].method, pathIncludes: ITEM_PATH[vendor], fault: { kind: 'hang' }, times: 1 }], { held: true });
    try {
      expect(result).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_TIMEOUT', backend: vendor, outcome: 'UNKNOWN' });
      expect(writes()).toBe(1);
      // Told as soon as the clock passed the write's deadline: the re-read after it needed no wait.
      expect(movedMs).toBe(WRITE_TIMEOUT_MS);
    } finally {
      await stack.close();
    }
  });

  it.concurrent.each(VENDORS)('%s: the answer is lost but the write landed → APPLIED (the re-read shows it), one write', async (vendor) => {
    // The write is held until the gateway, having given up on it, re-reads; the write is then
    // handled (its answer goes nowhere) and only after that is the re-read answered. The order is
    // forced, not timed, so a busy machine cannot turn it around.
    let writeSeen = false;
    let releaseWrite!: () => void;
    const writeGate = new Promise<void>((resolve) => (releaseWrite = resolve));
    let written: () => boolean = () => false;
    const { stack, id, result, writes, movedMs } = await writeWith(
      vendor,
      () => [
        {
          method: WRITES[vendor].method,
          pathIncludes: ITEM_PATH[vendor],
          fault: { kind: 'gate', until: () => ((writeSeen = true), writeGate) },
          times: 1,
        },
        {
          ...WRITES[vendor].reread,
          fault: {
            kind: 'gate',
            until: async () => {
              if (!writeSeen) return;
              releaseWrite();
              await until('the held write to be handled', written);
            },
          },
        },
      ],
      {
        held: true,
        withSim: (sim) => {
          written = () => sim.calls.some((c) => c.method === WRITES[vendor].method && c.path.includes(ITEM_PATH[vendor]) && c.status !== 0);
        },
      },
    );
    try {
      expect(result.__typename).toBe('UpdateModelDeploymentSuccess');
      expect(WRITES[vendor].applied(result.deployment)).toBe(true);
      expect(writes()).toBe(1);
      expect(movedMs).toBe(WRITE_TIMEOUT_MS);
      expect(WRITES[vendor].applied(dataOf(await stack.gql(READ, { id })).modelDeployment)).toBe(true);
    } finally {
      await stack.close();
    }
  });

  it.concurrent.each(VENDORS)('%s: timed out and not visible yet → UNKNOWN, not NOT_APPLIED (it lands later), one write', async (vendor) => {
    const LATE_MS = WRITE_TIMEOUT_MS + 600;
    const { stack, id, result, writes } = await writeWith(
      vendor,
      (clock) => [{ method: WRITES[vendor].method, pathIncludes: ITEM_PATH[vendor], fault: latency(clock, () => LATE_MS), times: 1 }],
      { held: true },
    );
    try {
      expect(result).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_TIMEOUT', backend: vendor, outcome: 'UNKNOWN' });
      // The caller was right not to be told NOT_APPLIED: once its latency has passed, the write is applied after all.
      stack.clock.advance(LATE_MS);
      const sim = stack.sims[vendor]!.server;
      await until('the late write to be handled', () => sim.calls.some((c) => c.method === WRITES[vendor].method && c.path.includes(ITEM_PATH[vendor]) && c.status !== 0));
      expect(WRITES[vendor].applied(dataOf(await stack.gql(READ, { id })).modelDeployment)).toBe(true);
      expect(writes()).toBe(1);
    } finally {
      await stack.close();
    }
  });

  it.concurrent.each(VENDORS)('%s: refused with an answer → NOT_APPLIED, one write', async (vendor) => {
    const { stack, id, result, writes, movedMs } = await writeWith(vendor, () => [{ method: WRITES[vendor].method, pathIncludes: ITEM_PATH[vendor], fault: { kind: 'status', status: 500 }, times: 1 }]);
    try {
      expect(result).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_ERROR', backend: vendor, outcome: 'NOT_APPLIED' });
      expect(writes()).toBe(1);
      expect(movedMs).toBe(0);
      expect(WRITES[vendor].applied(dataOf(await stack.gql(READ, { id })).modelDeployment)).toBe(false);
    } finally {
      await stack.close();
    }
  });
});

/** Each vendor's write, as the simulator receives it (the ZStack login, PUT /zstack/v1/accounts/login, is left alone). */
const WRITE_PATH: Record<Vendor, string> = {
  northflank: '/v1/projects/default-project/llm-model-deployments/deepseek-v3-deployment',
  nemo: '/apis/models/v2/workspaces/research-team-alpha/deployments/llama-3.1-8b',
  zstack: '/zstack/v1/ai/models/1bb3ef7d600d4d30b21b8ffd299c37b5',
};

type WriteExpectation = { code: string; outcome: 'APPLIED' | 'NOT_APPLIED' | 'NOT_SENT' | 'UNKNOWN' };
const OUTCOMES = ['APPLIED', 'NOT_APPLIED', 'NOT_SENT', 'UNKNOWN'];
const UNKNOWN_UNAVAILABLE: WriteExpectation = { code: 'UPSTREAM_UNAVAILABLE', outcome: 'UNKNOWN' };
/**
 * What each vendor's adapter makes of each fault on its write. The simulator answers the fault
 * instead of handling the write, so the write is never applied; the adapters re-read after every
 * ambiguous answer and tell NOT_APPLIED only when the vendor did answer (its synchronous call is
 * over) and the re-read lacks the change; without an answer (reset, truncated body) the write may
 * still land, so UNKNOWN. Northflank's reply body is undocumented (CONVENTIONS.md 1.3), so a garbled
 * or odd 200 is a success whose re-read does not show it: UNKNOWN. A 429 on a single update is
 * never waited out or re-sent (only idempotent reads are retried; bulk updates wait out 429s).
 */
const WRITE_FAULTS: Array<[name: string, fault: Fault, expected: Record<Vendor, WriteExpectation>]> = [
  ['connection reset', { kind: 'reset' }, { northflank: UNKNOWN_UNAVAILABLE, nemo: UNKNOWN_UNAVAILABLE, zstack: UNKNOWN_UNAVAILABLE }],
  [
    'malformed JSON',
    { kind: 'garbled' },
    { northflank: { code: 'UPSTREAM_ERROR', outcome: 'UNKNOWN' }, nemo: { code: 'UPSTREAM_ERROR', outcome: 'NOT_APPLIED' }, zstack: { code: 'UPSTREAM_ERROR', outcome: 'NOT_APPLIED' } },
  ],
  ['truncated JSON', { kind: 'truncated' }, { northflank: UNKNOWN_UNAVAILABLE, nemo: UNKNOWN_UNAVAILABLE, zstack: UNKNOWN_UNAVAILABLE }],
  [
    'a body of the wrong shape',
    { kind: 'wrong-shape' },
    { northflank: { code: 'UPSTREAM_ERROR', outcome: 'UNKNOWN' }, nemo: { code: 'UPSTREAM_ERROR', outcome: 'NOT_APPLIED' }, zstack: { code: 'UPSTREAM_ERROR', outcome: 'NOT_APPLIED' } },
  ],
  [
    '429 with Retry-After: 1',
    { kind: 'rate-limit', retryAfterSeconds: 1 },
    { northflank: { code: 'RATE_LIMITED', outcome: 'NOT_APPLIED' }, nemo: { code: 'RATE_LIMITED', outcome: 'NOT_APPLIED' }, zstack: { code: 'RATE_LIMITED', outcome: 'NOT_APPLIED' } },
  ],
  [
    // ZStack's own 503 carries an ErrorCode (SYS.1000): the API failed.
    'status 503 in the vendor’s error format',
    { kind: 'status', status: 503 },
    { northflank: { code: 'UPSTREAM_UNAVAILABLE', outcome: 'NOT_APPLIED' }, nemo: { code: 'UPSTREAM_UNAVAILABLE', outcome: 'NOT_APPLIED' }, zstack: { code: 'UPSTREAM_ERROR', outcome: 'NOT_APPLIED' } },
  ],
  [
    'status 502 from a proxy in front',
    { kind: 'status', status: 502, body: 'Bad Gateway' },
    { northflank: { code: 'UPSTREAM_UNAVAILABLE', outcome: 'NOT_APPLIED' }, nemo: { code: 'UPSTREAM_UNAVAILABLE', outcome: 'NOT_APPLIED' }, zstack: { code: 'UPSTREAM_UNAVAILABLE', outcome: 'NOT_APPLIED' } },
  ],
];

describe('each fault kind on the write alone, per vendor: typed, outcome told, sent once, bounded', () => {
  const SELECT = `mutation($input: UpdateModelDeploymentInput!) {
    updateModelDeployment(input: $input) {
      __typename
      ... on Error { code message }
      ... on UpstreamError { backend status outcome retryable request { method path } }
      ... on UpdateModelDeploymentSuccess { deployment { id version description ... on NemoModelDeployment { config } } }
    }
  }`;
  const CASES = VENDORS.flatMap((vendor) => WRITE_FAULTS.map(([name, fault, expected]) => [vendor, name, expected[vendor].code, expected[vendor].outcome, fault] as const));

  it.concurrent.each(CASES)('%s, %s → %s, %s', async (vendor, _name, code, outcome, fault) => {
    const stack = await startOnClock({ vendors: [vendor], backendOverrides: { [vendor]: { timeoutMs: LONG_TIMEOUT_MS } } });
    try {
      const sim = stack.sims[vendor]!.server;
      const id = idOf(stack, vendor);
      // Warm: pooled connection open, ZStack logged in; the fault then hits the write and nothing else.
      dataOf(await stack.gql(READ, { id }));
      sim.resetCalls();
      sim.inject({ method: WRITES[vendor].method, pathIncludes: WRITE_PATH[vendor], fault, times: 1 });

      const { value: r, movedMs } = await onClock(stack.clock, stack.gql(SELECT, { input: { id, ...WRITES[vendor].input } }));

      expect(r.status).toBe(200);
      const result = dataOf(r).updateModelDeployment;
      const appliedNow = WRITES[vendor].applied(dataOf(await stack.gql(READ, { id })).modelDeployment);
      if (result.__typename === 'UpdateModelDeploymentSuccess') {
        // A success only where the re-read shows the write applied.
        expect(appliedNow).toBe(true);
        expect(WRITES[vendor].applied(result.deployment)).toBe(true);
      } else {
        expect(result.__typename).toBe('UpstreamError');
        expect(OUTCOMES).toContain(result.outcome);
        expect(result).toMatchObject({ code, outcome, backend: vendor, request: { method: WRITES[vendor].method, path: WRITE_PATH[vendor] } });
        expect(result.message).toMatch(new RegExp(`^Backend ${vendor}: `));
        if (result.outcome === 'NOT_APPLIED' || result.outcome === 'NOT_SENT') expect(appliedNow).toBe(false);
      }
      // Exactly one write reached the vendor: never replayed, not even after the 429.
      expect(sim.calls.filter((c) => c.method === WRITES[vendor].method && c.path === WRITE_PATH[vendor])).toHaveLength(1);
      // Answered without waiting on anything: no timeout, and the 429's Retry-After not waited out.
      expect(movedMs).toBe(0);
      // The gateway serves on, and the same write goes through once the fault is gone.
      expect(dataOf(await stack.gql(SELECT, { input: { id, ...WRITES[vendor].input } })).updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
    } finally {
      await stack.close();
    }
  });
});

describe('the list across vendors when one backend is down', () => {
  it.concurrent.each(VENDORS)('%s down: the others’ deployments, plus an error naming that backend', async (vendor) => {
    const stack = await startStack();
    try {
      const LIST = `{ modelDeployments(first: 500) { totalCount edges { node { id backend } } failures { backend code message } } }`;
      const all = dataOf(await stack.gql(LIST)).modelDeployments;
      const others = all.edges.filter((e: any) => e.node.backend !== vendor);
      expect(others.length).toBeGreaterThan(0);
      expect(others.length).toBeLessThan(all.edges.length);

      await stack.sims[vendor]!.server.close();
      const r = await stack.gql(LIST);
      expect(r.status).toBe(200);
      const list = r.body.data!.modelDeployments;
      expect(list.edges).toEqual(others);
      // Refused, or refused fast: other reads of the dead backend (the hub's polls, ZStack's tag read
      // beside its model read) may have opened its circuit first.
      expect(list.failures).toEqual([
        { backend: vendor, code: 'UPSTREAM_UNAVAILABLE', message: expect.stringMatching(new RegExp(`^Backend ${vendor}: .*(connection refused|circuit is open)`)) },
      ]);
      expect(r.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UPSTREAM_UNAVAILABLE', backend: vendor }) })]);
    } finally {
      await stack.close();
    }
  });
});

describe('a backend down at start-up', () => {
  const HEALTH = `{ backends { id health { ok message } } }`;
  const health = async (stack: Stack) =>
    Object.fromEntries(dataOf(await stack.gql(HEALTH)).backends.map((b: any) => [b.id, b.health])) as Record<string, { ok: boolean; message: string | null }>;
  const listedBackends = async (stack: Stack) => {
    const r = await stack.gql(`{ modelDeployments(first: 500) { edges { node { backend } } failures { backend code } } }`);
    const d = r.body.data!.modelDeployments;
    return { backends: [...new Set(d.edges.map((e: any) => e.node.backend))].sort(), failures: d.failures };
  };

  it('unreachable: the gateway starts, serves the others, shows it unavailable, and sees it recover', async () => {
    const port = await freePort();
    const stack = await startStack({
      healthTtlMs: 50,
      backendOverrides: { northflank: { baseUrl: `http://127.0.0.1:${port}` } },
    });
    let revived: Awaited<ReturnType<typeof createNorthflankSimulator>> | null = null;
    try {
      const h = await health(stack);
      expect(h.northflank).toEqual({ ok: false, message: expect.stringContaining('connection refused') });
      expect(h.nemo!.ok).toBe(true);
      expect(h.zstack!.ok).toBe(true);
      expect(await listedBackends(stack)).toEqual({ backends: ['nemo', 'zstack'], failures: [{ backend: 'northflank', code: 'UPSTREAM_UNAVAILABLE' }] });

      revived = await createNorthflankSimulator({ port, clock: stack.clock, phaseMs: 1000 });
      watchSimulator(revived);
      // Health is re-checked after its short TTL; an open circuit lets a probe through within 2 s.
      await eventually('northflank to be healthy', async () => (await health(stack)).northflank!.ok);
      expect(await listedBackends(stack)).toEqual({ backends: ['nemo', 'northflank', 'zstack'], failures: [] });
    } finally {
      await stack.close();
      await revived?.close();
    }
  }, 60_000);

  it('refusing our credentials: the gateway starts, serves the others, shows them unavailable, and sees them recover', async () => {
    // Health is cached on the status clock: the test moves it past the TTL.
    const stack = await startOnClock({
      healthTtlMs: 50,
      backendOverrides: { nemo: { token: 'rotated-nemo-token' }, zstack: { password: 'rotated-zstack-password' } },
    });
    const revived: VendorSimulator[] = [];
    try {
      const h = await health(stack);
      expect(h.nemo).toEqual({ ok: false, message: expect.stringContaining('401') });
      expect(h.zstack).toEqual({ ok: false, message: expect.stringContaining('ID.1000') });
      expect(h.northflank!.ok).toBe(true);
      expect(JSON.stringify(h)).not.toContain('rotated-');
      expect(await listedBackends(stack)).toEqual({
        backends: ['northflank'],
        failures: [
          { backend: 'nemo', code: 'UPSTREAM_AUTH' },
          { backend: 'zstack', code: 'UPSTREAM_AUTH' },
        ],
      });

      // The vendors now accept the credentials the gateway holds (rotated on their side).
      const nemoPort = stack.sims.nemo!.server.port;
      const zstackPort = stack.sims.zstack!.server.port;
      await stack.sims.nemo!.close();
      await stack.sims.zstack!.close();
      revived.push(await createNemoSimulator({ port: nemoPort, token: 'rotated-nemo-token', clock: stack.clock, phaseMs: 1000 }));
      revived.push(await createZStackSimulator({ port: zstackPort, password: 'rotated-zstack-password', clock: stack.clock, phaseMs: 1000 }));
      for (const sim of revived) watchSimulator(sim);
      // The health cached before is kept for its TTL; past it, the next check asks again.
      stack.clock.advance(50);
      const now = await health(stack);
      expect(now.nemo!.ok).toBe(true);
      expect(now.zstack!.ok).toBe(true);
      expect(await listedBackends(stack)).toEqual({ backends: ['nemo', 'northflank', 'zstack'], failures: [] });
    } finally {
      await stack.close();
      for (const s of revived) await s.close();
    }
  }, 60_000);
});

describe('every error a client can see has a code of the fixed set', () => {
  let stack: Stack;
  beforeAll(async () => {
    const toy = await createToySimulator();
    // An adapter with a bug: what it throws is no error of ours, so the client sees it masked.
    const buggy = defineAdapter({
      ...toyAdapter,
      create: (config, ctx) => ({
        ...toyAdapter.create(config, ctx),
        getMany: async () => {
          throw new TypeError('cannot read properties of undefined (internal detail)');
        },
      }),
    });
    stack = await startStack({
      vendors: ['northflank'],
      extraSims: { toybox: toy },
      adapters: [northflank, buggy],
      config: { server: { port: 0, introspection: false, maxRequestBytes: 4096, limits: { tokens: 200 } } },
    });
  });
  afterAll(() => stack?.close());

  const post = async (body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
      body,
    });
    return { status: res.status, body: JSON.parse(await res.text()) as GqlResult['body'] };
  };
  let deep = 'id';
  for (let i = 0; i < 14; i++) deep = `node { ... on Node { ${deep} } }`;

  it.each([
    ['a syntax error', JSON.stringify({ query: '{ backends { id ' }), 'GRAPHQL_VALIDATION'],
    ['an unknown field', JSON.stringify({ query: '{ nope }' }), 'GRAPHQL_VALIDATION'],
    ['a variable of the wrong type', JSON.stringify({ query: 'query($id: ID!) { modelDeployment(id: $id) { id } }', variables: { id: { a: 1 } } }), 'GRAPHQL_VALIDATION'],
    ['a missing variable', JSON.stringify({ query: 'query($id: ID!) { modelDeployment(id: $id) { id } }' }), 'GRAPHQL_VALIDATION'],
    ['a query too deep (graphql-armor)', JSON.stringify({ query: `{ modelDeployments { edges { ${deep} } } }` }), 'GRAPHQL_VALIDATION'],
    ['too many aliases (graphql-armor)', JSON.stringify({ query: `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: backends { id }`).join(' ')} }` }), 'GRAPHQL_VALIDATION'],
    ['too many directives (graphql-armor)', JSON.stringify({ query: `{ backends ${'@include(if: true) '.repeat(30)} { id } }` }), 'GRAPHQL_VALIDATION'],
    ['too many tokens (graphql-armor)', JSON.stringify({ query: `{ ${'__typename '.repeat(250)} }` }), 'GRAPHQL_VALIDATION'],
    ['introspection while it is off', JSON.stringify({ query: '{ __schema { types { name } } }' }), 'GRAPHQL_VALIDATION'],
    ['an ambiguous operation', JSON.stringify({ query: 'query A { backends { id } } query B { backends { id } }' }), 'GRAPHQL_VALIDATION'],
    ['a body that is not JSON', '{not json', 'BAD_REQUEST'],
    ['no query', '{}', 'BAD_REQUEST'],
    ['a batch', '[{"query":"{ backends { id } }"}]', 'BAD_REQUEST'],
    ['a body over the limit', JSON.stringify({ query: '{ backends { id } }', pad: 'x'.repeat(5000) }), 'PAYLOAD_TOO_LARGE'],
  ])('%s → %s', async (_why, body, code) => {
    const r = await post(body);
    expect(r.status).toBeLessThan(500);
    expect(r.body.errors?.length).toBeGreaterThan(0);
    for (const e of r.body.errors!) expect(e.extensions?.code).toBe(code);
  });

  it('an unexpected error → INTERNAL, masked, beside the data of the rest', async () => {
    const r = await post(JSON.stringify({ query: '{ a: modelDeployment(id: "toybox:alpha") { id } b: backends { id } }' }));
    expect(r.status).toBe(200);
    expect(r.body.data?.b).toHaveLength(2);
    expect(r.body.errors).toEqual([expect.objectContaining({ message: 'Unexpected error.', extensions: expect.objectContaining({ code: 'INTERNAL' }) })]);
    expect(JSON.stringify(r.body)).not.toContain('internal detail');
  });

  it('a cross-site request without a preflight header (CSRF) → FORBIDDEN', async () => {
    const res = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ backends { id } }' }) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as GqlResult['body']).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a mutation over GET → BAD_REQUEST', async () => {
    const q = encodeURIComponent('mutation { updateModelDeployment(input: {id: "northflank:x/y"}) { __typename } }');
    const res = await fetch(`${stack.url}?query=${q}`, { headers: { 'x-graphql-yoga-csrf': '1' } });
    expect(res.status).toBe(405);
    expect(((await res.json()) as GqlResult['body']).errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });

  it('validation errors of a subscription over SSE carry the code too', async () => {
    const res = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { nope }' }),
    });
    const text = await res.text();
    const payload = JSON.parse(/data: (\{.*\})/.exec(text)![1]!);
    expect(payload.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION');
  });

  it('an upstream 401, 429 or 503 is never the HTTP status of the response', async () => {
    const sim = stack.sims.northflank!.server;
    for (const fault of [{ kind: 'status', status: 401 }, { kind: 'rate-limit', retryAfterSeconds: 30 }, { kind: 'status', status: 503 }] as Fault[]) {
      sim.inject({ fault, times: 3 });
      const r = await stack.gql(`{ modelDeployment(id: "northflank:default-project/deepseek-v3-deployment") { id } }`);
      expect(r.status).toBe(200);
      expect(r.headers.get('retry-after')).toBeNull();
      expectFixedCodes(r);
      sim.clearFaults();
    }
  });
});

/**
 * Honest retry hints: over the fault matrix, per vendor, every error of a write carries an outcome,
 * and `retryable` is true only where sending the write again cannot apply it twice (NOT_SENT,
 * NOT_APPLIED); UNKNOWN is never retryable; a write refused before it is sent says NOT_SENT.
 *
 * Upstream time is the stack's manual clock: a request the simulator holds times out when the
 * test moves the clock past its deadline (`onClock`), never because the machine is slow.
 */
import { describe, expect, it } from 'vitest';
import { builtInVendors } from '../adapters/index.js';
import { startOnClock, onClock, latency, dataOf, conformanceInput, isPlanned, plannedWrites, type PlannedWrite, type Stack } from './helpers.js';
import type { Fault } from '../src/simulator/server.js';
import type { ManualClock } from '../src/domain/clock.js';

/** Every built-in vendor, with its conformance update as the write. */
const VENDORS = builtInVendors.map((m) => m.vendor);
type Outcome = 'NOT_SENT' | 'NOT_APPLIED' | 'APPLIED' | 'UNKNOWN';
/** The per-attempt bound of a backend whose request the simulator holds, on the stack's clock. */
const TIMEOUT_MS = 400;
/** The bound otherwise: the clock moves only by retry waits then, far less than this. */
const LONG_TIMEOUT_MS = 30_000;

const UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) {
    __typename
    ... on Error { code message }
    ... on UpstreamError { backend outcome retryable }
  }
}`;

/** The rule every write error must keep. */
function expectHonest(r: any) {
  expect(['NOT_SENT', 'NOT_APPLIED', 'APPLIED', 'UNKNOWN'], JSON.stringify(r)).toContain(r.outcome);
  if (r.retryable) expect(['NOT_SENT', 'NOT_APPLIED'], JSON.stringify(r)).toContain(r.outcome);
  if (r.outcome === 'UNKNOWN' || r.outcome === 'APPLIED') expect(r.retryable, JSON.stringify(r)).toBe(false);
}

type Expectation = { outcome: Outcome; retryable: boolean };
/** One expectation for every vendor, or a default and the vendors whose adapters make another of the fault. */
/** `held`: the simulator holds the request (no answer, or one later than the deadline): it ends by timing out on the clock. */
type Row = [fault: string, f: (clock: ManualClock) => Fault, expected: Expectation | ({ default: Expectation } & Record<string, Expectation>), held?: 'held'];
const UNKNOWN = { outcome: 'UNKNOWN', retryable: false } as const;
const NOT_APPLIED_RETRY = { outcome: 'NOT_APPLIED', retryable: true } as const;
const NOT_APPLIED_FINAL = { outcome: 'NOT_APPLIED', retryable: false } as const;

/** Faults on the write request itself: it left the gateway, so never NOT_SENT. */
const ON_WRITE: Row[] = [
  ['latency beyond the timeout', (clock) => latency(clock, () => TIMEOUT_MS + 600), UNKNOWN, 'held'],
  ['connection reset', () => ({ kind: 'reset' }), UNKNOWN],
  ['never answering', () => ({ kind: 'hang' }), UNKNOWN, 'held'],
  // An answered 500: the adapters' re-read shows it not applied; not a temporary fault.
  ['status 500', () => ({ kind: 'status', status: 500 }), NOT_APPLIED_FINAL],
  ['status 502 from a proxy', () => ({ kind: 'status', status: 502, body: 'Bad Gateway' }), NOT_APPLIED_RETRY],
  [
    'status 503 in the vendor format',
    () => ({ kind: 'status', status: 503 }),
    // ZStack's own 503 carries an ErrorCode: the API failed, it is no temporary fault.
    { default: NOT_APPLIED_RETRY, zstack: NOT_APPLIED_FINAL },
  ],
  ['429 Retry-After: 1', () => ({ kind: 'rate-limit', retryAfterSeconds: 1 }), NOT_APPLIED_RETRY],
  [
    'garbled body',
    () => ({ kind: 'garbled' }),
    // Northflank's reply body is undocumented: a garbled 200 may be a success whose re-read does not show it.
    { default: NOT_APPLIED_FINAL, northflank: UNKNOWN },
  ],
];

/** Faults on the read that comes before the write (the version check): nothing was sent. */
const ON_READ: Row[] = [
  ['connection reset', () => ({ kind: 'reset' }), { outcome: 'NOT_SENT', retryable: true }],
  ['never answering', () => ({ kind: 'hang' }), { outcome: 'NOT_SENT', retryable: true }, 'held'],
  ['status 502 from a proxy', () => ({ kind: 'status', status: 502, body: 'Bad Gateway' }), { outcome: 'NOT_SENT', retryable: true }],
  ['garbled body', () => ({ kind: 'garbled' }), { outcome: 'NOT_SENT', retryable: false }],
];

const expectedFor = (e: Row[2], vendor: string): Expectation => ('outcome' in e ? (e as Expectation) : (e[vendor] ?? e.default));
const cases = (rows: Row[]) => VENDORS.flatMap((vendor) => rows.map(([name, fault, e, held]) => [vendor, name, expectedFor(e, vendor).outcome, expectedFor(e, vendor).retryable, fault, held === 'held'] as const));

/**
 * A stack for one vendor on a manual clock, warmed, with the write its conformance update sends
 * (one request; its dry run says which). `held`: its requests time out after TIMEOUT_MS on the
 * clock (ZStack reads no user tags then: moving the clock past a held request's deadline would
 * time out a tag read beside it too).
 */
async function withStack(vendor: string, held: boolean, run: (stack: Stack, input: Record<string, unknown>, write: PlannedWrite) => Promise<void>) {
  const overrides = held ? { timeoutMs: TIMEOUT_MS, ...(vendor === 'zstack' ? { readUserTags: false } : {}) } : { timeoutMs: LONG_TIMEOUT_MS };
  const stack = await startOnClock({ vendors: [vendor], backendOverrides: { [vendor]: overrides } });
  try {
    const input = conformanceInput(vendor);
    // Warm: pooled connection open, ZStack logged in.
    dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id: input.id }));
    const planned = await plannedWrites(async (q, v) => (await stack.gql(q, v)).body, input);
    expect(planned).toHaveLength(1);
    stack.sims[vendor]!.server.resetCalls();
    await run(stack, input, planned[0]!);
  } finally {
    await stack.close();
  }
}

const writesSent = (stack: Stack, vendor: string, write: PlannedWrite) => stack.sims[vendor]!.server.calls.filter(isPlanned([write])).length;

describe('retryable and outcome of every write error, per vendor', () => {
  it.concurrent.each(cases(ON_WRITE))('%s, fault on the write: %s → %s, retryable %s', async (vendor, _name, outcome, retryable, fault, held) => {
    await withStack(vendor, held, async (stack, input, write) => {
      stack.sims[vendor]!.server.inject({ method: write.method, pathIncludes: write.path, fault: fault(stack.clock), times: 1 });
      const answer = stack.gql(UPDATE, { input });
      const r = dataOf((await onClock(stack.clock, answer, held ? () => writesSent(stack, vendor, write) : undefined)).value).updateModelDeployment;
      expect(r.__typename).toBe('UpstreamError');
      expectHonest(r);
      expect({ outcome: r.outcome, retryable: r.retryable }).toEqual({ outcome, retryable });
      expect(writesSent(stack, vendor, write)).toBe(1);
    });
  });

  it.concurrent.each(cases(ON_READ))('%s, fault on the read before the write: %s → %s, retryable %s', async (vendor, _name, outcome, retryable, fault, held) => {
    await withStack(vendor, held, async (stack, input, write) => {
      // The read of the deployment, at the path its write goes to.
      const sim = stack.sims[vendor]!.server;
      sim.inject({ method: 'GET', pathIncludes: write.path, fault: fault(stack.clock) });
      const reads = () => sim.calls.filter((c) => c.method === 'GET' && c.path.includes(write.path)).length;
      const r = dataOf((await onClock(stack.clock, stack.gql(UPDATE, { input }), held ? reads : undefined)).value).updateModelDeployment;
      expect(r.__typename).toBe('UpstreamError');
      expectHonest(r);
      expect({ outcome: r.outcome, retryable: r.retryable }).toEqual({ outcome, retryable });
      expect(writesSent(stack, vendor, write)).toBe(0);
    });
  });

  it.concurrent.each(VENDORS)('%s: refused by an open circuit → NOT_SENT, nothing sent', async (vendor) => {
    await withStack(vendor, false, async (stack, input, write) => {
      const id = input.id;
      const sim = stack.sims[vendor]!.server;
      sim.inject({ method: 'GET', fault: { kind: 'reset' } });
      // Every read fails (ZStack reads tags beside the model: a tag read that succeeds would reset
      // the breaker's count), until the breaker opens (5 consecutive failures; a read tries up to 3 times).
      for (let i = 0; i < 10; i++) {
        const read = (await onClock(stack.clock, stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id }))).value;
        if (/circuit is open/.test(read.body.errors?.[0]?.message ?? '')) break;
      }
      const before = sim.calls.length;
      const r = dataOf((await onClock(stack.clock, stack.gql(UPDATE, { input }))).value).updateModelDeployment;
      expect(r).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', outcome: 'NOT_SENT' });
      expect(r.message, JSON.stringify(r)).toMatch(/circuit is open/);
      expectHonest(r);
      expect(sim.calls.length).toBe(before);
      expect(writesSent(stack, vendor, write)).toBe(0);
    });
  });
});

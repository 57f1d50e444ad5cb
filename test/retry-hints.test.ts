/**
 * Honest retry hints: over the fault matrix, per vendor, every error of a write carries an outcome,
 * and `retryable` is true only where sending the write again cannot apply it twice (NOT_SENT,
 * NOT_APPLIED); UNKNOWN is never retryable; a write refused before it is sent says NOT_SENT.
 */
import { describe, expect, it } from 'vitest';
import { builtInVendors } from '../adapters/index.js';
import { startStack, dataOf, conformanceInput, isPlanned, plannedWrites, type PlannedWrite, type Stack } from './helpers.js';
import type { Fault } from '../src/simulator/server.js';

/** Every built-in vendor, with its conformance update as the write. */
const VENDORS = builtInVendors.map((m) => m.vendor);
type Outcome = 'NOT_SENT' | 'NOT_APPLIED' | 'APPLIED' | 'UNKNOWN';
const TIMEOUT_MS = 400;

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
type Row = [fault: string, f: Fault, expected: Expectation | ({ default: Expectation } & Record<string, Expectation>)];
const UNKNOWN = { outcome: 'UNKNOWN', retryable: false } as const;
const NOT_APPLIED_RETRY = { outcome: 'NOT_APPLIED', retryable: true } as const;
const NOT_APPLIED_FINAL = { outcome: 'NOT_APPLIED', retryable: false } as const;

/** Faults on the write request itself: it left the gateway, so never NOT_SENT. */
const ON_WRITE: Row[] = [
  ['latency beyond the timeout', { kind: 'latency', ms: TIMEOUT_MS + 600 }, UNKNOWN],
  ['connection reset', { kind: 'reset' }, UNKNOWN],
  ['never answering', { kind: 'hang' }, UNKNOWN],
  // An answered 500: the adapters' re-read shows it not applied; not a temporary fault.
  ['status 500', { kind: 'status', status: 500 }, NOT_APPLIED_FINAL],
  ['status 502 from a proxy', { kind: 'status', status: 502, body: 'Bad Gateway' }, NOT_APPLIED_RETRY],
  [
    'status 503 in the vendor format',
    { kind: 'status', status: 503 },
    // ZStack's own 503 carries an ErrorCode: the API failed, it is no temporary fault.
    { default: NOT_APPLIED_RETRY, zstack: NOT_APPLIED_FINAL },
  ],
  ['429 Retry-After: 1', { kind: 'rate-limit', retryAfterSeconds: 1 }, NOT_APPLIED_RETRY],
  [
    'garbled body',
    { kind: 'garbled' },
    // Northflank's reply body is undocumented: a garbled 200 may be a success whose re-read does not show it.
    { default: NOT_APPLIED_FINAL, northflank: UNKNOWN },
  ],
];

/** Faults on the read that comes before the write (the version check): nothing was sent. */
const ON_READ: Row[] = [
  ['connection reset', { kind: 'reset' }, { outcome: 'NOT_SENT', retryable: true }],
  ['never answering', { kind: 'hang' }, { outcome: 'NOT_SENT', retryable: true }],
  ['status 502 from a proxy', { kind: 'status', status: 502, body: 'Bad Gateway' }, { outcome: 'NOT_SENT', retryable: true }],
  ['garbled body', { kind: 'garbled' }, { outcome: 'NOT_SENT', retryable: false }],
];

const expectedFor = (e: Row[2], vendor: string): Expectation => ('outcome' in e ? (e as Expectation) : (e[vendor] ?? e.default));
const cases = (rows: Row[]) => VENDORS.flatMap((vendor) => rows.map(([name, fault, e]) => [vendor, name, expectedFor(e, vendor).outcome, expectedFor(e, vendor).retryable, fault] as const));

/** A stack for one vendor, warmed, with the write its conformance update sends (one request; its dry run says which). */
async function withStack(vendor: string, run: (stack: Stack, input: Record<string, unknown>, write: PlannedWrite) => Promise<void>) {
  const stack = await startStack({ vendors: [vendor], backendOverrides: { [vendor]: { timeoutMs: TIMEOUT_MS } } });
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
  it.concurrent.each(cases(ON_WRITE))('%s, fault on the write: %s → %s, retryable %s', async (vendor, _name, outcome, retryable, fault) => {
    await withStack(vendor, async (stack, input, write) => {
      stack.sims[vendor]!.server.inject({ method: write.method, pathIncludes: write.path, fault, times: 1 });
      const r = dataOf(await stack.gql(UPDATE, { input })).updateModelDeployment;
      expect(r.__typename).toBe('UpstreamError');
      expectHonest(r);
      expect({ outcome: r.outcome, retryable: r.retryable }).toEqual({ outcome, retryable });
      expect(writesSent(stack, vendor, write)).toBe(1);
    });
  });

  it.concurrent.each(cases(ON_READ))('%s, fault on the read before the write: %s → %s, retryable %s', async (vendor, _name, outcome, retryable, fault) => {
    await withStack(vendor, async (stack, input, write) => {
      // The read of the deployment, at the path its write goes to.
      stack.sims[vendor]!.server.inject({ method: 'GET', pathIncludes: write.path, fault });
      const r = dataOf(await stack.gql(UPDATE, { input })).updateModelDeployment;
      expect(r.__typename).toBe('UpstreamError');
      expectHonest(r);
      expect({ outcome: r.outcome, retryable: r.retryable }).toEqual({ outcome, retryable });
      expect(writesSent(stack, vendor, write)).toBe(0);
    });
  });

  it.concurrent.each(VENDORS)('%s: refused by an open circuit → NOT_SENT, nothing sent', async (vendor) => {
    await withStack(vendor, async (stack, input, write) => {
      const id = input.id;
      const sim = stack.sims[vendor]!.server;
      sim.inject({ method: 'GET', fault: { kind: 'reset' } });
      // Every read fails (ZStack reads tags beside the model: a tag read that succeeds would reset
      // the breaker's count), until the breaker opens (5 consecutive failures; a read tries up to 3 times).
      for (let i = 0; i < 10; i++) {
        const read = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id });
        if (/circuit is open/.test(read.body.errors?.[0]?.message ?? '')) break;
      }
      const before = sim.calls.length;
      const r = dataOf(await stack.gql(UPDATE, { input })).updateModelDeployment;
      expect(r).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', outcome: 'NOT_SENT' });
      expect(r.message, JSON.stringify(r)).toMatch(/circuit is open/);
      expectHonest(r);
      expect(sim.calls.length).toBe(before);
      expect(writesSent(stack, vendor, write)).toBe(0);
    });
  });
});

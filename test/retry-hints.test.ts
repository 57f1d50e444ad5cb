/**
 * Honest retry hints: over the fault matrix, per vendor, every error of a write carries an outcome,
 * and `retryable` is true only where sending the write again cannot apply it twice (NOT_SENT,
 * NOT_APPLIED); UNKNOWN is never retryable; a write refused before it is sent says NOT_SENT.
 */
import { describe, expect, it } from 'vitest';
import { startStack, dataOf, conformanceOf, type Stack } from './helpers.js';
import type { Fault } from '../src/simulator/server.js';

const VENDORS = ['northflank', 'nemo', 'zstack'] as const;
type Vendor = (typeof VENDORS)[number];
type Outcome = 'NOT_SENT' | 'NOT_APPLIED' | 'APPLIED' | 'UNKNOWN';
const TIMEOUT_MS = 400;

const WRITE: Record<Vendor, { input: Record<string, unknown>; method: string; path: string; item: string }> = {
  northflank: {
    input: { description: 'retry hints' },
    method: 'POST',
    path: '/v1/projects/default-project/llm-model-deployments/deepseek-v3-deployment',
    item: '/llm-model-deployments/deepseek-v3-deployment',
  },
  nemo: { input: { nemo: { config: 'llama-config-v3' } }, method: 'POST', path: '/apis/models/v2/workspaces/research-team-alpha/deployments/llama-3.1-8b', item: '/deployments/llama-3.1-8b' },
  zstack: { input: { description: 'retry hints' }, method: 'PUT', path: '/zstack/v1/ai/models/1bb3ef7d600d4d30b21b8ffd299c37b5', item: '/ai/models/1bb3ef7d600d4d30b21b8ffd299c37b5' },
};

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

type Row = [fault: string, f: Fault, expected: { outcome: Outcome; retryable: boolean } | Record<Vendor, { outcome: Outcome; retryable: boolean }>];
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
    { northflank: NOT_APPLIED_RETRY, nemo: NOT_APPLIED_RETRY, zstack: NOT_APPLIED_FINAL },
  ],
  ['429 Retry-After: 1', { kind: 'rate-limit', retryAfterSeconds: 1 }, NOT_APPLIED_RETRY],
  [
    'garbled body',
    { kind: 'garbled' },
    // Northflank's reply body is undocumented: a garbled 200 may be a success whose re-read does not show it.
    { northflank: UNKNOWN, nemo: NOT_APPLIED_FINAL, zstack: NOT_APPLIED_FINAL },
  ],
];

/** Faults on the read that comes before the write (the version check): nothing was sent. */
const ON_READ: Row[] = [
  ['connection reset', { kind: 'reset' }, { outcome: 'NOT_SENT', retryable: true }],
  ['never answering', { kind: 'hang' }, { outcome: 'NOT_SENT', retryable: true }],
  ['status 502 from a proxy', { kind: 'status', status: 502, body: 'Bad Gateway' }, { outcome: 'NOT_SENT', retryable: true }],
  ['garbled body', { kind: 'garbled' }, { outcome: 'NOT_SENT', retryable: false }],
];

const expectedFor = (e: Row[2], vendor: Vendor) => ('outcome' in e ? e : e[vendor]) as { outcome: Outcome; retryable: boolean };
const cases = (rows: Row[]) => VENDORS.flatMap((vendor) => rows.map(([name, fault, e]) => [vendor, name, expectedFor(e, vendor).outcome, expectedFor(e, vendor).retryable, fault] as const));

async function withStack(vendor: Vendor, run: (stack: Stack, id: string) => Promise<void>) {
  const stack = await startStack({ vendors: [vendor], backendOverrides: { [vendor]: { timeoutMs: TIMEOUT_MS } } });
  try {
    const id = `${vendor}:${conformanceOf(vendor).existingKey}`;
    // Warm: pooled connection open, ZStack logged in.
    dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id }));
    stack.sims[vendor]!.server.resetCalls();
    await run(stack, id);
  } finally {
    await stack.close();
  }
}

const writesSent = (stack: Stack, vendor: Vendor) => stack.sims[vendor]!.server.calls.filter((c) => c.method === WRITE[vendor].method && c.path === WRITE[vendor].path).length;

describe('retryable and outcome of every write error, per vendor', () => {
  it.concurrent.each(cases(ON_WRITE))('%s, fault on the write: %s → %s, retryable %s', async (vendor, _name, outcome, retryable, fault) => {
    await withStack(vendor, async (stack, id) => {
      stack.sims[vendor]!.server.inject({ method: WRITE[vendor].method, pathIncludes: WRITE[vendor].path, fault, times: 1 });
      const r = dataOf(await stack.gql(UPDATE, { input: { id, ...WRITE[vendor].input } })).updateModelDeployment;
      expect(r.__typename).toBe('UpstreamError');
      expectHonest(r);
      expect({ outcome: r.outcome, retryable: r.retryable }).toEqual({ outcome, retryable });
      expect(writesSent(stack, vendor)).toBe(1);
    });
  });

  it.concurrent.each(cases(ON_READ))('%s, fault on the read before the write: %s → %s, retryable %s', async (vendor, _name, outcome, retryable, fault) => {
    await withStack(vendor, async (stack, id) => {
      stack.sims[vendor]!.server.inject({ method: 'GET', pathIncludes: WRITE[vendor].item, fault });
      const r = dataOf(await stack.gql(UPDATE, { input: { id, ...WRITE[vendor].input } })).updateModelDeployment;
      expect(r.__typename).toBe('UpstreamError');
      expectHonest(r);
      expect({ outcome: r.outcome, retryable: r.retryable }).toEqual({ outcome, retryable });
      expect(writesSent(stack, vendor)).toBe(0);
    });
  });

  it.concurrent.each(VENDORS)('%s: refused by an open circuit → NOT_SENT, nothing sent', async (vendor) => {
    await withStack(vendor, async (stack, id) => {
      const sim = stack.sims[vendor]!.server;
      sim.inject({ method: 'GET', fault: { kind: 'reset' } });
      // Every read fails (ZStack reads tags beside the model: a tag read that succeeds would reset
      // the breaker's count), until the breaker opens (5 consecutive failures; a read tries up to 3 times).
      for (let i = 0; i < 10; i++) {
        const read = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id });
        if (/circuit is open/.test(read.body.errors?.[0]?.message ?? '')) break;
      }
      const before = sim.calls.length;
      const r = dataOf(await stack.gql(UPDATE, { input: { id, ...WRITE[vendor].input } })).updateModelDeployment;
      expect(r).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', outcome: 'NOT_SENT' });
      expect(r.message, JSON.stringify(r)).toMatch(/circuit is open/);
      expectHonest(r);
      expect(sim.calls.length).toBe(before);
      expect(writesSent(stack, vendor)).toBe(0);
    });
  });
});

/**
 * Operations: /healthz and /readyz, Prometheus metrics over both request lanes (the fast path and
 * Yoga) and both subscription transports, OpenTelemetry traces across the vendors, request ids.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import { createOpsEndpoints, startMetricsServer } from '../src/observability/index.js';
import { dataOf, eventually, startStack, type Stack } from './helpers.js';
import { sse, ws } from './sub-clients.js';

let stack: Stack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
});

const KEY = 'reader-key-0123456789abcdef';
const WRITER = 'writer-key-0123456789abcdef';
const METRICS_KEY = 'metrics-key-0123456789abcdef';

/** Scrapes or reads with `get` until `pred` holds of what it gives (test/helpers.ts `eventually`). */
const until = <T>(what: string, get: () => Promise<T>, pred: (v: T) => boolean): Promise<T> =>
  eventually(what, async () => {
    const v = await get();
    return pred(v) ? { v } : null;
  }).then((r) => r.v);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}
const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

const base = (s: Stack) => s.url.replace(/\/graphql$/, '');
async function scrape(s: Stack, key = METRICS_KEY): Promise<Sample[]> {
  const res = await fetch(`${base(s)}/metrics`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return parseMetrics(await res.text());
}

/** The Yoga lane: a request with an Origin header is not taken by the fast path. */
async function viaYoga(s: Stack, query: string, variables: Record<string, unknown>, token: string) {
  const res = await fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://elsewhere.test', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

const auth = {
  apiKeys: [
    { name: 'dashboard', key: KEY, scopes: ['read' as const] },
    { name: 'ops-script', key: WRITER, scopes: ['read' as const, 'write' as const] },
  ],
};

describe('/healthz and /readyz', () => {
  it('answer without a key, name each backend, reveal no secret, and turn 503 while draining', async () => {
    stack = await startStack({ config: { auth } });
    const healthz = await fetch(`${base(stack)}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ status: 'ok' });
    // The GraphQL API itself needs a key.
    expect((await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ backends { id } }"}' })).status).toBe(401);

    const ready = await until('readiness', async () => {
      const r = await fetch(`${base(stack!)}/readyz`);
      return { status: r.status, body: (await r.json()) as any };
    }, (r) => r.status === 200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.backends.map((b: any) => [b.id, b.state, b.circuit]).sort()).toEqual([
      ['nemo', 'up', 'closed'],
      ['northflank', 'up', 'closed'],
      ['zstack', 'up', 'closed'],
    ]);

    // The same handler, with a drain under way.
    let draining = false;
    const handler = createOpsEndpoints(stack.gateway, { isDraining: () => draining });
    const server = http.createServer((req, res) => {
      if (!handler(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      draining = true;
      const during = await fetch(`${url}/readyz`);
      expect(during.status).toBe(503);
      expect(((await during.json()) as any).status).toBe('draining');
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('reports a backend that is down as down, and stays ready', async () => {
    stack = await startStack({ healthTtlMs: 0 });
    await stack.sims.nemo!.close();
    const ready = await until('nemo down', async () => {
      const r = await fetch(`${base(stack!)}/readyz`);
      return { status: r.status, body: (await r.json()) as any };
    }, (r) => r.body.backends.find((b: any) => b.id === 'nemo')?.state === 'down');
    expect(ready.status).toBe(200);
    expect(ready.body.backends.find((b: any) => b.id === 'northflank').state).toBe('up');
  });
});

describe('Prometheus metrics', () => {
  it('move with the right labels over both lanes, both subscription transports, failures and plans; no id in any label', async () => {
    stack = await startStack({ config: { auth, server: { metrics: { key: METRICS_KEY } }, status: { pollIntervalMs: 50 } } });
    const s = stack;
    expect((await fetch(`${base(s)}/metrics`)).status).toBe(401);

    const listQuery = `query FastList { modelDeployments(first: 100) { edges { node { id nativeId backend } } } }`;
    const all = dataOf(await s.gql(listQuery, {}, { token: KEY })).modelDeployments.edges.map((e: any) => e.node);
    const nf = all.find((d: any) => d.backend === 'northflank');
    const nemo = all.find((d: any) => d.backend === 'nemo');
    const yogaList = await viaYoga(s, `query YogaList { modelDeployments(first: 5) { edges { node { id } } } }`, {}, KEY);
    expect(yogaList.errors).toBeUndefined();

    const RENAME = `mutation Rename($id: ID!, $name: String!) { updateModelDeployment(input: { id: $id, name: $name }) { __typename } }`;
    expect(dataOf(await s.gql(RENAME, { id: nf.id, name: 'renamed-fast' }, { token: WRITER })).updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
    expect((await viaYoga(s, RENAME, { id: nf.id, name: 'renamed-yoga' }, WRITER)).data.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');

    // A failing upstream call: NeMo answers 503 to every read of one deployment (retried, then given up).
    s.sims.nemo!.server.inject({ fault: { kind: 'status', status: 503 }, method: 'GET', pathIncludes: `/deployments/${nemo.nativeId.split('/')[1]}`, times: 3 });
    const failed = await s.gql(`query Broken($id: ID!) { modelDeployment(id: $id) { id } }`, { id: nemo.id }, { token: KEY });
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');

    // A bulk plan, applied.
    const planned = dataOf(
      await s.gql(`mutation Plan($ids: [ID!]) { updateModelDeployments(ids: $ids, patch: { addTags: ["metrics"] }, dryRun: true) { ... on UpdateModelDeploymentsPayload { planId } } }`, { ids: [nf.id] }, { token: WRITER }),
    ).updateModelDeployments;
    dataOf(await s.gql(`mutation Apply($p: ID!) { applyModelDeploymentPlan(planId: $p) { __typename } }`, { p: planned.planId }, { token: WRITER }));

    // Subscriptions over SSE and WebSocket.
    const SUB = `subscription Watch($ids: [ID!]) { modelDeploymentChanged(ids: $ids) { __typename } }`;
    const overSse = sse(s.url, SUB, { ids: [nf.id] }, { authorization: `Bearer ${KEY}` });
    const overWs = ws(s.url, SUB, { ids: [nf.id] }, { authorization: `Bearer ${KEY}` });
    // SSE through Yoga's lane too (a request with an Origin header).
    const overYogaSse = sse(s.url, SUB, { ids: [nf.id] }, { authorization: `Bearer ${KEY}`, origin: 'http://elsewhere.test' });
    let m = await until('three live subscriptions', () => scrape(s), (m) => value(m, 'model_gateway_subscriptions_live', { transport: 'sse' }) === 2 && value(m, 'model_gateway_subscriptions_live', { transport: 'ws' }) === 1);
    await until('a hub poll', () => scrape(s), (m) => value(m, 'model_gateway_hub_polls_total', { backend: 'northflank', outcome: 'ok' }) > 0);
    // A change while watched: its event reaches both subscribers.
    dataOf(await s.gql(RENAME, { id: nf.id, name: 'renamed-watched' }, { token: WRITER }));
    await overSse.waitFor((e) => e.length > 0);
    await overWs.waitFor((e) => e.length > 0);
    await overYogaSse.waitFor((e) => e.length > 0);
    overSse.stop();
    overWs.stop();
    overYogaSse.stop();
    m = await until('subscriptions gone', () => scrape(s), (m) => value(m, 'model_gateway_subscriptions_live') === 0);

    const op = 'model_gateway_graphql_operation_duration_seconds_count';
    expect(value(m, op, { operation_name: 'FastList', operation_type: 'query', outcome: 'ok' })).toBe(1);
    expect(value(m, op, { operation_name: 'YogaList', operation_type: 'query', outcome: 'ok' })).toBe(1);
    expect(value(m, op, { operation_name: 'Rename', operation_type: 'mutation', outcome: 'ok' })).toBe(3);
    expect(value(m, op, { operation_name: 'Broken', operation_type: 'query', outcome: 'error' })).toBe(1);
    expect(value(m, op, { operation_name: 'Watch', operation_type: 'subscription', outcome: 'ok' })).toBe(3);

    const up = 'model_gateway_upstream_request_duration_seconds_count';
    const nemoItem = '/apis/models/v2/workspaces/{workspace}/deployments/{name}';
    expect(value(m, up, { backend: 'nemo', method: 'GET', route: nemoItem, status_class: '5xx' })).toBe(3);
    expect(value(m, 'model_gateway_upstream_retries_total', { backend: 'nemo', method: 'GET', route: nemoItem })).toBe(2);
    expect(value(m, up, { backend: 'northflank', method: 'POST', route: '/v1/projects/{projectId}/llm-model-deployments/{llmModelDeploymentId}', status_class: '2xx' })).toBeGreaterThanOrEqual(4);
    expect(value(m, up, { backend: 'zstack', method: 'GET', status_class: '2xx' })).toBeGreaterThan(0);
    expect(value(m, 'model_gateway_upstream_circuit_state', { backend: 'nemo' })).toBe(0);
    expect(value(m, 'model_gateway_writes_total', { backend: 'northflank', outcome: 'APPLIED' })).toBe(4);
    expect(value(m, 'model_gateway_plan_applies_total', { outcome: 'applied' })).toBe(1);
    expect(value(m, 'model_gateway_hub_poll_duration_seconds_count', { backend: 'northflank' })).toBeGreaterThan(0);
    expect(value(m, 'model_gateway_event_delivery_lag_seconds_count')).toBeGreaterThan(0);

    // No label value carries a deployment id (nor any part of one).
    const labelValues = new Set(m.flatMap((x) => Object.values(x.labels)));
    const idParts = all.flatMap((d: any) => [d.id, ...d.nativeId.split('/')]).filter((p: string) => p.length > 3);
    for (const v of labelValues) for (const p of idParts) expect(v.includes(p), `label value ${v} carries ${p}`).toBe(false);
  }, 60_000);

  it('are kept per gateway: two gateways in one process count apart', async () => {
    stack = await startStack();
    const other = await startStack();
    try {
      dataOf(await stack.gql(`query One { backends { id } }`));
      const mine = parseMetrics((await stack.gateway.runtime.observability.metrics.scrape()).body);
      const theirs = parseMetrics((await other.gateway.runtime.observability.metrics.scrape()).body);
      expect(value(mine, 'model_gateway_graphql_operation_duration_seconds_count', { operation_name: 'One' })).toBe(1);
      expect(value(theirs, 'model_gateway_graphql_operation_duration_seconds_count', { operation_name: 'One' })).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('can have a port of their own', async () => {
    stack = await startStack({ config: { server: { metrics: { port: 0 } } } });
    // Not on the API port then.
    expect((await fetch(`${base(stack)}/metrics`)).status).not.toBe(200);
    const own = await startMetricsServer(stack.gateway, '127.0.0.1', 0);
    try {
      dataOf(await stack.gql(`query Counted { backends { id } }`));
      const res = await fetch(`http://127.0.0.1:${own.port}/metrics`);
      expect(res.status).toBe(200);
      expect(value(parseMetrics(await res.text()), 'model_gateway_graphql_operation_duration_seconds_count', { operation_name: 'Counted' })).toBe(1);
      expect((await fetch(`http://127.0.0.1:${own.port}/graphql`)).status).toBe(404);
    } finally {
      await own.close();
    }
  });
});

describe('tracing', () => {
  it('a list across three vendors: one operation span, its upstream calls as children, the trace id sent to every vendor', async () => {
    const exporter = new InMemorySpanExporter();
    stack = await startStack({ traceExporter: exporter });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await stack.gql(`query ListAll { modelDeployments(first: 100) { totalCount edges { node { id } } } }`, {}, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-request-id': 'trace-test-1' },
    });
    dataOf(res);
    expect(res.headers.get('x-request-id')).toBe('trace-test-1');

    const spans = exporter.getFinishedSpans();
    const operations = spans.filter((sp) => sp.kind === SpanKind.SERVER);
    expect(operations.map((sp) => sp.name)).toEqual(['query ListAll']);
    const operation = operations[0]!;
    expect(operation.spanContext().traceId).toBe(traceId);
    expect(operation.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    const clientSpans = spans.filter((sp) => sp.kind === SpanKind.CLIENT);
    const children = clientSpans.filter((sp) => sp.spanContext().traceId === traceId);
    for (const c of children) expect(c.parentSpanContext?.spanId).toBe(operation.spanContext().spanId);
    const backendsOf = (list: ReadableSpan[]) => [...new Set(list.map((c) => c.attributes['model_gateway.backend']))].sort();
    expect(backendsOf(children)).toEqual(['nemo', 'northflank', 'zstack']);
    // Every vendor's list route (once per configured project or workspace), and ZStack's tag read.
    expect(children.map((c) => `${c.attributes['model_gateway.backend']} ${c.name}`).sort()).toEqual([
      'nemo GET /apis/models/v2/workspaces/{workspace}/deployments',
      'nemo GET /apis/models/v2/workspaces/{workspace}/deployments',
      'northflank GET /v1/projects/{projectId}/llm-model-deployments',
      'northflank GET /v1/projects/{projectId}/llm-model-deployments',
      'zstack GET /zstack/v1/ai/models',
      'zstack GET /zstack/v1/user-tags',
    ]);
    for (const c of children) expect(c.attributes['http.response.status_code']).toBe(200);
    // The ZStack session login is shared by every request that needs it: a trace of its own.
    expect(clientSpans.filter((c) => !children.includes(c)).map((c) => c.name)).toEqual(['PUT /zstack/v1/accounts/login']);

    // Each simulator received the trace id beside the request id.
    for (const [vendor, sim] of Object.entries(stack.sims)) {
      const calls = sim.server.calls.filter((c: any) => c.headers['x-request-id'] === 'trace-test-1');
      expect(calls.length, vendor).toBeGreaterThan(0);
      for (const c of calls) expect(String(c.headers.traceparent)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    }
  });

  it('sampled off: a client\'s sampled traceparent is still followed; an untraced request sends no trace context', async () => {
    const exporter = new InMemorySpanExporter();
    stack = await startStack({ traceExporter: exporter, config: { tracing: { enabled: true, sampleRatio: 0 } } });
    dataOf(await stack.gql(`query Untraced { modelDeployments(first: 5) { totalCount } }`, {}, { headers: { 'x-request-id': 'untraced-1' } }));
    expect(exporter.getFinishedSpans()).toEqual([]);
    for (const sim of Object.values(stack.sims)) for (const c of sim.server.calls) expect(c.headers.traceparent).toBeUndefined();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    dataOf(await stack.gql(`query Traced { modelDeployments(first: 5) { totalCount } }`, {}, { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01`, 'x-request-id': 'traced-1' } }));
    const spans = exporter.getFinishedSpans();
    expect(spans.filter((sp) => sp.kind === SpanKind.SERVER).map((sp) => [sp.name, sp.spanContext().traceId])).toEqual([['query Traced', traceId]]);
    expect(spans.filter((sp) => sp.kind === SpanKind.CLIENT).length).toBeGreaterThanOrEqual(3);
    const sent = Object.values(stack.sims).flatMap((sim) => sim.server.calls.filter((c: any) => c.headers['x-request-id'] === 'traced-1'));
    expect(sent.length).toBeGreaterThanOrEqual(3);
    for (const c of sent) expect(String(c.headers.traceparent)).toContain(traceId);
  });

  it('is off by default: no traceparent reaches the vendors; the request id is echoed (or made) on every response', async () => {
    stack = await startStack();
    const res = await stack.gql(`{ backends { id } }`, {}, { headers: { 'x-request-id': 'plain-1' } });
    expect(res.headers.get('x-request-id')).toBe('plain-1');
    const made = await stack.gql(`{ modelDeployments(first: 1) { totalCount } }`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((await fetch(`${base(stack)}/healthz`)).headers.get('x-request-id')).toBeTruthy();
    for (const sim of Object.values(stack.sims)) for (const c of sim.server.calls) expect(c.headers.traceparent).toBeUndefined();
  });
});

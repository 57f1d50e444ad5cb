/**
 * `npm run soak [-- --seconds N]`: a bounded load and fault run on loopback. The three vendor
 * simulators run here; a gateway process (`model-gateway serve`) runs on them. Concurrent
 * queries, mutations and subscriptions (graphql-ws and SSE) go to the gateway while faults of
 * every kind are injected into the simulators at random. Prints requests served, errors by code,
 * crashes (must be 0) and the gateway's RSS at start and end; exits 1 when anything crashed or
 * an answer was not a typed one.
 * Options: --seconds N (default 60), --max-requests N (default 500000), --seed N.
 * SOAK_GATEWAY_HEAP_MB=N caps the gateway's heap: RSS that keeps growing under a cap is a leak,
 * while without one V8 grows its heap lazily under this much allocation.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import WebSocket from 'ws';
import { builtInVendors } from '../../adapters/index.js';
import type { VendorSimulator, Fault } from '../../src/simulator/server.js';
import { ERROR_CODES } from '../../src/domain/errors.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
};
const SECONDS = arg('seconds', 60);
const MAX_REQUESTS = arg('max-requests', 500_000);
const SEED = arg('seed', Date.now() % 2 ** 31);
let seed = SEED;
const QUERY_WORKERS = 16;
const MUTATION_WORKERS = 4;
const SUBSCRIBERS = 6;
const UPSTREAM_TIMEOUT_MS = 1000;
/** No answer from the gateway within this is counted as a hung request. */
const CLIENT_TIMEOUT_MS = 20_000;

/** A small seeded generator, so that a run can be repeated with --seed. */
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024);
}

const stats = {
  served: 0,
  queries: 0,
  mutations: 0,
  statuses: {} as Record<string, number>,
  errorsByCode: {} as Record<string, number>,
  mutationResults: {} as Record<string, number>,
  untyped: [] as string[],
  hung: 0,
  transportErrors: 0,
  subscriptionEvents: 0,
  subscriptionErrors: 0,
  resubscribes: 0,
  faults: {} as Record<string, number>,
  crashes: 0,
  crashLines: [] as string[],
  errorLogLines: 0,
  errorLogSamples: [] as string[],
};

// ---- simulators and the gateway process ---------------------------------------------------------

const sims: Record<string, VendorSimulator & Record<string, any>> = {};
for (const { vendor, simulator } of builtInVendors) {
  sims[vendor] = (await simulator({ phaseMs: 2000, seed: true })) as VendorSimulator & Record<string, any>;
}
const env: Record<string, string> = {
  ...(process.env as Record<string, string>),
  SOAK_NORTHFLANK_TOKEN: sims.northflank!.token,
  SOAK_NEMO_TOKEN: sims.nemo!.token,
  SOAK_ZSTACK_PASSWORD: sims.zstack!.password,
};
const backends = Object.entries(sims).map(([id, sim]) => {
  const entry: Record<string, unknown> = { id, ...sim.backendConfig, timeoutMs: UPSTREAM_TIMEOUT_MS };
  // Secrets reach the gateway through its environment, never the config file.
  if (id === 'northflank') entry.token = '${SOAK_NORTHFLANK_TOKEN}';
  if (id === 'nemo') entry.token = '${SOAK_NEMO_TOKEN}';
  if (id === 'zstack') entry.password = '${SOAK_ZSTACK_PASSWORD}';
  return entry;
});
const dir = await mkdtemp(join(tmpdir(), 'model-gateway-soak-'));
const configFile = join(dir, 'config.json');
await writeFile(
  configFile,
  JSON.stringify({ server: { host: '127.0.0.1', port: 0, graphiql: false }, backends, status: { pollIntervalMs: 500 }, logging: { level: 'warn' } }),
);

const bin = fileURLToPath(new URL('../../bin/model-gateway.js', import.meta.url));
const heapCap = process.env.SOAK_GATEWAY_HEAP_MB ? [`--max-old-space-size=${Number(process.env.SOAK_GATEWAY_HEAP_MB)}`] : [];
const gateway: ChildProcess = spawn(process.execPath, [...heapCap, bin, 'serve', '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
let exited: number | string | null = null;
let stopping = false;
gateway.on('exit', (code, signal) => {
  exited = code ?? signal;
  if (!stopping) {
    stats.crashes++;
    stats.crashLines.push(`gateway exited during the run (${exited})`);
  }
});
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  const onData = (b: Buffer) => {
    out += b.toString();
    const m = /listening on (http:\/\/\S+\/graphql)/.exec(out);
    if (m) resolve(m[1]!);
  };
  gateway.stdout!.on('data', onData);
  gateway.stderr!.on('data', onData);
  gateway.once('exit', () => reject(new Error(`the gateway did not start:\n${out}`)));
  setTimeout(() => reject(new Error(`the gateway did not start within 30 s:\n${out}`)), 30_000).unref();
});
// A stray rejection or exception is logged by `serve` and counted here as a crash.
for (const stream of [gateway.stdout!, gateway.stderr!]) {
  let buf = '';
  stream.on('data', (b: Buffer) => {
    buf += b.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (/unhandled rejection|uncaught exception|"level":60|FATAL/i.test(line)) {
        stats.crashes++;
        if (stats.crashLines.length < 5) stats.crashLines.push(line.slice(0, 400));
      } else if (line.includes('"level":50')) {
        stats.errorLogLines++;
        if (stats.errorLogSamples.length < 3) stats.errorLogSamples.push(line.slice(0, 300));
      }
    }
  });
}

// ---- clients ------------------------------------------------------------------------------------

const origin = new URL(url).origin;
const pool = new Pool(origin, { connections: QUERY_WORKERS + MUTATION_WORKERS + 4, keepAliveTimeout: 60_000 });

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  let res;
  try {
    res = await pool.request({
      path: '/graphql',
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query, variables }),
      headersTimeout: CLIENT_TIMEOUT_MS,
      bodyTimeout: CLIENT_TIMEOUT_MS,
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT') stats.hung++;
    else stats.transportErrors++;
    return null;
  }
  const text = await res.body.text();
  stats.served++;
  count(stats.statuses, String(res.statusCode));
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    stats.untyped.push(`${res.statusCode} not JSON: ${text.slice(0, 200)}`);
    return null;
  }
  for (const e of body.errors ?? []) {
    const code = e.extensions?.code;
    count(stats.errorsByCode, String(code));
    if (!(ERROR_CODES as readonly string[]).includes(code)) stats.untyped.push(JSON.stringify(e).slice(0, 300));
  }
  if (res.statusCode >= 500 && !(body.errors ?? []).length) stats.untyped.push(`${res.statusCode} without errors`);
  return body;
}

const first = await gql(`{ modelDeployments(first: 500) { edges { node { id vendor } } } }`);
const ids: { id: string; vendor: string }[] = first?.data?.modelDeployments?.edges?.map((e: any) => e.node) ?? [];
if (ids.length === 0) throw new Error('the gateway listed no deployments');
const byVendor = (v: string) => ids.filter((d) => d.vendor === v).map((d) => d.id);

const QUERIES: Array<() => [string, Record<string, unknown>]> = [
  () => [`{ modelDeployments(first: 100) { totalCount edges { node { id status } } failures { backend code } } }`, {}],
  () => [`query($id: ID!) { modelDeployment(id: $id) { id name status vendorStatus version updatedAt } }`, { id: pick(ids).id }],
  () => [`query($id: ID!) { modelDeployment(id: $id) { id name status vendorStatus version updatedAt } }`, { id: pick(ids).id }],
  () => [`query($a: ID!, $b: ID!, $c: ID!) { a: node(id: $a) { id } b: node(id: $b) { id } c: node(id: $c) { id } }`, { a: pick(ids).id, b: pick(ids).id, c: pick(ids).id }],
  () => [`{ backends { id health { ok message latencyMs } } }`, {}],
  () => [`query($v: [String!]) { modelDeployments(filter: { vendors: $v, statuses: [READY] }) { totalCount } }`, { v: [pick(Object.keys(sims))] }],
];

const UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) { __typename ... on Error { code } ... on UpstreamError { outcome } ... on UpdateModelDeploymentSuccess { dryRun } }
}`;
let edits = 0;
function mutation(): Record<string, unknown> {
  const vendor = pick(Object.keys(sims));
  const id = pick(byVendor(vendor));
  const dryRun = random() < 0.25;
  edits++;
  if (vendor === 'nemo') return { id, dryRun, nemo: { config: pick(['llama-config-v1', 'llama-config-v3']) } };
  return { id, dryRun, description: `soak edit ${edits}` };
}

const deadline = performance.now() + SECONDS * 1000;
const running = () => performance.now() < deadline && stats.served < MAX_REQUESTS && exited === null;

async function queryWorker() {
  while (running()) {
    const [q, v] = pick(QUERIES)();
    if (await gql(q, v)) stats.queries++;
  }
}

async function mutationWorker() {
  while (running()) {
    const body = await gql(UPDATE, { input: mutation() });
    const r = body?.data?.updateModelDeployment;
    if (!r) continue;
    stats.mutations++;
    const kind = r.__typename === 'UpdateModelDeploymentSuccess' ? (r.dryRun ? 'planned' : 'applied') : `${r.code}${r.outcome ? `/${r.outcome}` : ''}`;
    count(stats.mutationResults, kind);
    if (r.code && !(ERROR_CODES as readonly string[]).includes(r.code)) stats.untyped.push(JSON.stringify(r));
  }
}

const SUBSCRIPTION = `subscription($ids: [ID!]) { modelDeploymentStatusChanged(ids: $ids, emitCurrent: true) { __typename } }`;
const wsClient = createWsClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
const sseClient = createSseClient({ url, retryAttempts: 0 });
const disposers: Array<() => void> = [];

function subscribe(kind: 'ws' | 'sse', watch: string[]) {
  if (!running()) return;
  const client = kind === 'ws' ? wsClient : sseClient;
  const dispose = client.subscribe(
    { query: SUBSCRIPTION, variables: { ids: watch } },
    {
      next: (event: any) => {
        stats.subscriptionEvents++;
        for (const e of event.errors ?? []) {
          count(stats.errorsByCode, String(e.extensions?.code));
          if (!(ERROR_CODES as readonly string[]).includes(e.extensions?.code)) stats.untyped.push(JSON.stringify(e).slice(0, 300));
        }
      },
      error: () => {
        stats.subscriptionErrors++;
        stats.resubscribes++;
        setTimeout(() => subscribe(kind, watch), 200);
      },
      complete: () => {
        if (running()) {
          stats.resubscribes++;
          setTimeout(() => subscribe(kind, watch), 200);
        }
      },
    },
  );
  disposers.push(dispose);
}

// ---- faults -------------------------------------------------------------------------------------

const FAULTS: Array<() => Fault> = [
  () => ({ kind: 'latency', ms: between(50, 400), jitterMs: 300 }),
  () => ({ kind: 'latency', ms: UPSTREAM_TIMEOUT_MS + between(0, 500) }),
  () => ({ kind: 'status', status: pick([500, 502, 503, 401]) }),
  () => ({ kind: 'rate-limit', retryAfterSeconds: pick([0, 1, 60]) }),
  () => ({ kind: 'reset' }),
  () => ({ kind: 'garbled' }),
  () => ({ kind: 'truncated' }),
  () => ({ kind: 'wrong-shape' }),
  () => ({ kind: 'hang' }),
];

async function injector() {
  while (running()) {
    await sleep(between(250, 750));
    const vendor = pick(Object.keys(sims));
    const sim = sims[vendor]!;
    const roll = random();
    if (roll < 0.08) {
      // An outage: every call to the backend fails for a moment.
      count(stats.faults, 'outage');
      sim.server.inject({ kind: 'reset' });
      setTimeout(() => sim.server.clearFaults(), between(1000, 3000));
    } else if (roll < 0.12 && vendor === 'zstack') {
      count(stats.faults, 'session-expiry');
      sims.zstack!.expireSessions();
    } else {
      const fault = pick(FAULTS)();
      count(stats.faults, fault.kind === 'status' ? `status ${fault.status}` : fault.kind);
      sim.server.inject({ fault, times: between(1, 8), method: random() < 0.3 ? pick(['GET', 'POST', 'PUT']) : undefined });
    }
  }
  await sleep(3000);
  for (const sim of Object.values(sims)) sim.server.clearFaults();
}

/** RSS every few seconds: growth that does not level off is a leak. */
const rssSeries: number[] = [];
async function memoryProbe() {
  while (running()) {
    await sleep(Math.max(1000, (SECONDS * 1000) / 12));
    if (exited === null) rssSeries.push(rssMb(gateway.pid!));
  }
}

// ---- the run ------------------------------------------------------------------------------------

await sleep(500);
const rssStart = rssMb(gateway.pid!);
const started = performance.now();
console.log(`soak: ${SECONDS} s against ${url} (gateway pid ${gateway.pid}), --seed ${SEED}`);
console.log(`  ${QUERY_WORKERS} query workers, ${MUTATION_WORKERS} mutation workers, ${SUBSCRIBERS} subscriptions, faults every 0.25–0.75 s`);
for (let i = 0; i < SUBSCRIBERS; i++) subscribe(i % 2 ? 'sse' : 'ws', [pick(ids).id, pick(ids).id, pick(ids).id]);
await Promise.all([...Array.from({ length: QUERY_WORKERS }, queryWorker), ...Array.from({ length: MUTATION_WORKERS }, mutationWorker), injector(), memoryProbe()]);
const elapsed = (performance.now() - started) / 1000;
// The gateway answers once more after the faults stop.
const after = await gql(`{ backends { id } }`);
if (!after?.data?.backends?.length) {
  stats.crashes++;
  stats.crashLines.push('the gateway did not answer after the run');
}
const rssEnd = exited === null ? rssMb(gateway.pid!) : 0;

stopping = true;
for (const d of disposers) d();
await wsClient.dispose();
sseClient.dispose();
await pool.close();
if (exited === null) {
  gateway.kill('SIGTERM');
  await new Promise((r) => (exited === null ? gateway.once('exit', r) : r(null)));
}
await Promise.allSettled(Object.values(sims).map((s) => s.close()));
await rm(dir, { recursive: true, force: true });

const sorted = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).sort((a, b) => b[1] - a[1]));
console.log(`
requests served:     ${stats.served} in ${elapsed.toFixed(1)} s (${Math.round(stats.served / elapsed)}/s): ${stats.queries} queries, ${stats.mutations} mutations
HTTP statuses:       ${JSON.stringify(sorted(stats.statuses))}
errors by code:      ${JSON.stringify(sorted(stats.errorsByCode))}
mutation results:    ${JSON.stringify(sorted(stats.mutationResults))}
subscriptions:       ${stats.subscriptionEvents} events, ${stats.subscriptionErrors} errors, ${stats.resubscribes} resubscribes
faults injected:     ${JSON.stringify(sorted(stats.faults))}
untyped answers:     ${stats.untyped.length}${stats.untyped.length ? `\n  ${stats.untyped.slice(0, 5).join('\n  ')}` : ''}
hung requests:       ${stats.hung}, transport errors: ${stats.transportErrors}
gateway error logs:  ${stats.errorLogLines}${stats.errorLogSamples.length ? `\n  ${stats.errorLogSamples.join('\n  ')}` : ''}
crashes:             ${stats.crashes}${stats.crashLines.length ? `\n  ${stats.crashLines.join('\n  ')}` : ''}
gateway RSS:         ${rssStart} MB at start, ${rssEnd} MB at end (during the run: ${rssSeries.join(', ')} MB)`);
process.exit(stats.crashes === 0 && stats.untyped.length === 0 && stats.hung === 0 ? 0 : 1);

/**
 * What one SSE subscriber costs the gateway, without sockets: `node --expose-gc --import tsx
 * test/bench/sub-pipeline.ts`. One gateway in this process over the three simulators, N identical
 * subscriptions (the subscription benchmark's) opened on the fast lane with stand-in responses that
 * only count bytes, then status events handed to the hub as a poll would. Prints the heap each
 * subscriber keeps (after GC) and, per subscriber and event, the CPU of the whole path (hub fan-out,
 * shared execution, every plugin's hooks, the SSE writer) and what it allocates in the young
 * generation. Quick and steady on a busy machine, where the socket benchmark is neither.
 * Environment: N=3000 subscribers, EVENTS=30; ALLOC=1 collects before each event so the
 * allocation figure is exact (run with --max-semi-space-size=512 so that no scavenge interrupts it).
 */
import { EventEmitter } from 'node:events';
import v8 from 'node:v8';
import { startSims, QUERY, VENDORS } from './subscriptions.js';
import { parseConfig } from '../../src/config.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/logger.js';
import { createFastLane } from '../../src/server/fast-lane.js';
import { subscriptionStats } from '../../src/graphql/subscriptions.js';
import type { HubEvent } from '../../src/status/events.js';
import type { ModelDeployment } from '../../src/domain/deployment.js';

const N = Number(process.env.N ?? 3000);
const EVENTS = Number(process.env.EVENTS ?? 30);
const gc = globalThis.gc;
if (!gc) throw new Error('run with --expose-gc');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const youngUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;

const setup = await startSims();
const { sims } = setup;
const ids = VENDORS.flatMap((v) => setup.ids[v]);
// No poll during the measure: every event is one handed to the hub below.
const config = parseConfig({ logging: { level: 'warn' }, status: { pollIntervalMs: 3_600_000 }, backends: VENDORS.map((v) => ({ id: v, ...sims[v].backendConfig })) });
const gateway = await createGateway(config, { logger: createLogger('warn') });
const lane = createFastLane(gateway);

let events = 0;
/** What the SSE writer uses of a ServerResponse. */
class CountingResponse extends EventEmitter {
  headersSent = false;
  destroyed = false;
  writableLength = 0;
  setHeader() {
    return this;
  }
  writeHead() {
    this.headersSent = true;
    return this;
  }
  write(chunk: Buffer) {
    if (chunk.length > 3) events++;
    return true;
  }
  end() {}
  destroy() {}
}
const request = () => ({
  method: 'POST',
  url: '/graphql',
  headers: { host: 'localhost', 'content-type': 'application/json', accept: 'text/event-stream', 'content-length': '1' },
});

gc();
await sleep(50);
gc();
const heapBefore = process.memoryUsage().heapUsed;
const responses: CountingResponse[] = [];
for (let i = 0; i < N; i++) {
  const res = new CountingResponse();
  responses.push(res);
  // A body of its own per subscriber, as each request brings.
  if (!lane.handle(request() as never, res as never, JSON.stringify({ query: QUERY, variables: { ids } }), `bench-${i}`)) throw new Error('not on the fast lane');
  if (i % 200 === 0) await sleep(0);
}
const hub = gateway.runtime.hub!;
while (subscriptionStats(hub).subscribers < N) await sleep(20);
// The first polls set every id's baseline.
await sleep(3000);
gc();
await sleep(50);
gc();
const perSubscriber = (process.memoryUsage().heapUsed - heapBefore) / N;

// The hub's own fan-out, reached past its privacy: an event as a poll that saw the change makes it.
const inside = hub as unknown as {
  byBackend: Map<string, { seen: Map<string, { deployment: ModelDeployment }> }>;
  dispatch(bw: unknown, ev: HubEvent): void;
};
const backend = inside.byBackend.get('northflank')!;
const id = setup.ids.northflank[0]!;
const seen = backend.seen.get(id);
if (!seen) throw new Error(`no baseline for ${id}`);
let status = seen.deployment.status;
const cpu: number[] = [];
const young: number[] = [];
for (let e = 0; e < EVENTS; e++) {
  const next = status === 'FAILED' ? 'READY' : 'FAILED';
  const deployment = { ...seen.deployment, status: next };
  const ev = { type: 'status', backend: 'northflank', id, deployment, previous: status, current: next, vendorStatus: deployment.vendorStatus, fingerprint: String(e), at: Date.now() } as HubEvent;
  status = next;
  events = 0;
  if (process.env.ALLOC) gc();
  const y0 = youngUsed();
  const c0 = process.cpuUsage();
  inside.dispatch(backend, ev);
  while (events < N) await new Promise((r) => setImmediate(r));
  const c = process.cpuUsage(c0);
  young.push(youngUsed() - y0);
  cpu.push(c.user + c.system);
  await sleep(20);
}
console.log(
  `${N} SSE subscribers on the fast lane, no sockets: ${(perSubscriber / 1024).toFixed(2)} KB of heap each; per subscriber and event ` +
    `${(median(cpu) / N).toFixed(2)} µs CPU, ${(median(young) / N).toFixed(0)} B allocated${process.env.ALLOC ? '' : ' (scavenges included: ALLOC=1 for the exact figure)'} (median of ${EVENTS} events)`,
);
responses.forEach((r) => r.emit('close'));
await gateway.close();
await Promise.all(VENDORS.map((v) => sims[v].close()));

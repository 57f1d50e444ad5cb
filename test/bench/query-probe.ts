/**
 * One client on one kept-alive connection sending an authenticated query back to back, in its own
 * process (so that the load generator's work does not count as the gateway's latency). Runs until
 * a line arrives on stdin, then prints `{ requests, errors, p50, p99 }` (ms) as one JSON line.
 * Environment: PROBE_URL, PROBE_KEY, PROBE_QUERY.
 */
import { Pool } from 'undici';

const url = new URL(process.env.PROBE_URL!);
const client = new Pool(url.origin, { connections: 1 });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${process.env.PROBE_KEY}` };
const body = JSON.stringify({ query: process.env.PROBE_QUERY });
let running = true;
process.stdin.once('data', () => (running = false));
const latencies: number[] = [];
let errors = 0;
while (running) {
  const t = performance.now();
  const r = await client.request({ path: url.pathname, method: 'POST', headers, body });
  const text = await r.body.text();
  if (r.statusCode !== 200 || text.includes('"errors"')) errors++;
  latencies.push(performance.now() - t);
}
await client.close();
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
process.stdout.write(`${JSON.stringify({ requests: latencies.length, errors, p50: q(0.5), p99: q(0.99) })}\n`);
process.exit(0);

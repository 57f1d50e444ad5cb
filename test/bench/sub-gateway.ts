/**
 * The gateway process of the subscription benchmark: the config file named by argv[2], and a
 * second, private port that reports the hub's state and the subscriber count, so that the
 * benchmark knows when every subscriber is watching. Prints `{pid, url, statsUrl, fdLimit}` as one JSON line.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { parseConfig } from '../../src/config.js';
import { createGateway } from '../../src/gateway.js';
import { startServer } from '../../src/server/index.js';
import { createLogger } from '../../src/logger.js';
import { subscriptionStats } from '../../src/graphql/subscriptions.js';

const config = parseConfig(JSON.parse(readFileSync(process.argv[2]!, 'utf8')));
const gateway = await createGateway(config, { logger: createLogger(config.logging.level) });
const server = await startServer(gateway, { port: 0 });
// Descriptors are the first wall at 10,000 subscribers: say what this process may open.
const fdLimit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? NaN);

// `?profile=start` and `?profile=<file>` (stop, and write there): a CPU profile of part of a run.
let profiler: Session | null = null;
const stats = http.createServer((req, res) => {
  // With --expose-gc, `?gc` tells live memory from garbage not yet collected.
  if (req.url?.includes('gc') && typeof globalThis.gc === 'function') globalThis.gc();
  const profile = new URL(req.url ?? '/', 'http://x').searchParams.get('profile');
  if (profile === 'start' && !profiler) {
    profiler = new Session();
    profiler.connect();
    profiler.post('Profiler.enable', () => profiler!.post('Profiler.start', () => res.end('{}')));
    return;
  }
  if (profile && profile !== 'start' && profiler) {
    profiler.post('Profiler.stop', (err, r) => {
      if (!err) writeFileSync(profile, JSON.stringify(r.profile));
      profiler!.disconnect();
      profiler = null;
      res.end('{}');
    });
    return;
  }
  res.setHeader('content-type', 'application/json');
  const hub = gateway.runtime.hub;
  res.end(JSON.stringify({ hub: hub?.stats() ?? {}, subscriptions: hub ? subscriptionStats(hub) : null, memory: process.memoryUsage() }));
});
await new Promise<void>((r) => stats.listen(0, '127.0.0.1', () => r()));
const statsUrl = `http://127.0.0.1:${(stats.address() as AddressInfo).port}/`;
process.stdout.write(`${JSON.stringify({ pid: process.pid, url: server.url, statsUrl, fdLimit })}\n`);
// Exit cleanly on SIGTERM so that --cpu-prof / --heap-prof can write their profiles.
process.on('SIGTERM', () => process.exit(0));

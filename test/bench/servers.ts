/**
 * The server side of `npm run bench`, in one process pinned to its own core: the Northflank
 * simulator (0 ms, 20 ms, and 20 ms ± 5 ms upstream latency), a bare node:http reverse proxy in front of each
 * (the cost of one extra hop), and a gateway in front of each. Prints their URLs as one JSON line.
 */
import { createGateway } from '../../src/gateway.js';
import { parseConfig } from '../../src/config.js';
import { startServer } from '../../src/server/index.js';
import { createLogger } from '../../src/logger.js';
import { startUpstream } from './upstream.js';

async function setup(latencyMs: number, jitterMs = 0) {
  const { sim, proxy } = await startUpstream();
  // With jitter, the latency is uniform in latencyMs ± jitterMs/2 (the same mean).
  if (latencyMs > 0) sim.server.inject({ kind: 'latency', ms: latencyMs - jitterMs / 2, jitterMs });
  const config = parseConfig({
    server: { port: 0 },
    logging: { level: 'silent' },
    backends: [{ id: 'northflank', ...sim.backendConfig, projects: ['default-project'] }],
    // The per-backend upstream budget (default 100 reads/s) would measure itself; lifted, the
    // bench measures what the gateway's own code costs per request.
    limits: { upstreamCallsPerSecond: 1_000_000, upstreamQueue: 100_000 },
  });
  const gateway = await createGateway(config, { logger: createLogger('silent') });
  const server = await startServer(gateway, { port: 0 });
  return { direct: sim.url, proxy, gateway: server.url, token: sim.token };
}

const out = { pid: process.pid, l0: await setup(0), l20: await setup(20), l20j: await setup(20, 10) };
process.stdout.write(`${JSON.stringify(out)}\n`);
// Exit cleanly on SIGTERM so that --cpu-prof can write its profile.
process.on('SIGTERM', () => process.exit(0));

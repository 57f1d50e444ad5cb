/**
 * The server side of `npm run bench`, in one process pinned to its own core: the Northflank
 * simulator (0 ms, 20 ms, and 20 ms ± 5 ms upstream latency), a bare node:http reverse proxy in front of each
 * (the cost of one extra hop), and a gateway in front of each. Prints their URLs as one JSON line.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNorthflankSimulator } from '../../adapters/northflank/simulator.js';
import { createGateway } from '../../src/gateway.js';
import { parseConfig } from '../../src/config.js';
import { startServer } from '../../src/server/index.js';
import { createLogger } from '../../src/logger.js';

const LIST_SIZE = 50;

async function proxyTo(target: string): Promise<string> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const { hostname, port } = new URL(target);
  const server = http.createServer((req, res) => {
    const up = http.request({ host: hostname, port, path: req.url, method: req.method, headers: req.headers, agent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function setup(latencyMs: number, jitterMs = 0) {
  const sim = await createNorthflankSimulator({ projects: ['default-project'], phaseMs: 1 });
  // Fill default-project up to LIST_SIZE deployments through the vendor's own create call.
  const existing = sim.all('default-project').length;
  for (let i = existing; i < LIST_SIZE; i++) {
    const res = await fetch(`${sim.url}/v1/projects/default-project/llm-model-deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `bench model ${i}`,
        description: 'benchmark deployment',
        tags: ['bench'],
        spec: { type: 'custom', configuration: { engine: 'vllm', nodeConfiguration: { storage: { storageClass: 'nvme', storageSize: 6144 } } } },
      }),
    });
    if (res.status !== 200) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  }
  // With jitter, the latency is uniform in latencyMs ± jitterMs/2 (the same mean).
  if (latencyMs > 0) sim.server.inject({ kind: 'latency', ms: latencyMs - jitterMs / 2, jitterMs });
  const proxy = await proxyTo(sim.url);
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

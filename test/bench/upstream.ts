/**
 * The upstream side of a bench server process: the Northflank simulator filled up to 50
 * deployments through the vendor's own create call, and a bare node:http reverse proxy in front
 * of it (the cost of one extra hop, the physical limit of any gateway).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNorthflankSimulator } from '../../adapters/northflank/simulator.js';

export const LIST_SIZE = 50;

export async function proxyTo(target: string): Promise<string> {
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

/** The simulator with LIST_SIZE deployments in default-project, and a proxy in front of it. */
export async function startUpstream() {
  const sim = await createNorthflankSimulator({ projects: ['default-project'], phaseMs: 1 });
  for (let i = sim.all('default-project').length; i < LIST_SIZE; i++) {
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
  return { sim, proxy: await proxyTo(sim.url) };
}

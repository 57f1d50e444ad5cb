/**
 * Scale-out: two gateway processes share events through a real redis-server. A subscriber on
 * instance A sees a change made through instance B. Skipped (with a notice) where redis-server is
 * not installed; CI installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createToySimulator } from './fixtures/toy-adapter.js';
import { sse } from './sub-clients.js';

const hasRedis = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).status === 0;
if (!hasRedis) {
  console.warn('NOTICE: redis-server is not installed, so the Redis scale-out tests are skipped. Install it with: apt-get install -y redis-server');
}

const bin = fileURLToPath(new URL('../bin/model-gateway.js', import.meta.url));
const toyModule = fileURLToPath(new URL('./fixtures/toy-adapter.ts', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function startGateway(config: string): Promise<{ proc: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [bin, 'serve', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${out}`)), 20_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]! });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`gateway exited with ${code}: ${out}`)));
  });
}

describe.skipIf(!hasRedis)('two gateway instances over Redis', () => {
  let redis: ChildProcess;
  let a: { proc: ChildProcess; url: string };
  let b: { proc: ChildProcess; url: string };
  let toy: Awaited<ReturnType<typeof createToySimulator>>;

  beforeAll(async () => {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    toy = await createToySimulator();
    const dir = mkdtempSync(join(tmpdir(), 'mg-redis-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        adapters: [toyModule],
        backends: [{ id: 'toybox', vendor: 'toy', baseUrl: toy.url }],
        pubsub: { redis: `redis://127.0.0.1:${port}` },
        // Polls are rare: what reaches A must come through Redis.
        status: { pollIntervalMs: 600000 },
        logging: { level: 'warn' },
      }),
    );
    [a, b] = await Promise.all([startGateway(config), startGateway(config)]);
  }, 40_000);

  afterAll(async () => {
    a?.proc.kill('SIGTERM');
    b?.proc.kill('SIGTERM');
    redis?.kill('SIGTERM');
    await toy?.close();
  });

  it('a subscriber on A sees a change made through B', async () => {
    const sub = sse(a.url, `subscription { modelDeploymentChanged(ids: ["toybox:beta"]) { __typename ... on ModelDeploymentChange { changedFields deployment { id name } } } }`, {});
    try {
      await new Promise((r) => setTimeout(r, 800)); // A has its baseline
      const res = await fetch(b.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `mutation { updateModelDeployment(input: {id: "toybox:beta", name: "Renamed via B"}) { __typename } }` }),
      });
      expect((await res.json()).data.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
      const events = await sub.waitFor((ev) => ev.some((e) => e.deployment?.name === 'Renamed via B'), 5000);
      expect(events.filter((e) => e.deployment?.name === 'Renamed via B')).toHaveLength(1);
      expect(events.find((e) => e.deployment?.name === 'Renamed via B').changedFields).toContain('name');
    } finally {
      sub.stop();
    }
  }, 20_000);
});

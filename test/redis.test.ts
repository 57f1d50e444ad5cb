/**
 * Scale-out: two gateway processes share events through a real redis-server. A subscriber on
 * instance A sees a change made through instance B. Skipped (with a notice) where redis-server is
 * not installed; CI installs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createToySimulator } from './fixtures/toy/simulator.js';
import { topicFor } from '../src/status/events.js';
import { sse } from './sub-clients.js';
import { redisServer, requireService } from './services.js';
import { freePort, startGateway, startRedisServer } from './redis-server.js';
import { orAfter } from './helpers.js';

const hasRedis = requireService(redisServer, 'the Redis scale-out tests');

import { typescriptModules } from './binary.js';
const toyModule = fileURLToPath(new URL('./fixtures/toy/adapter.ts', import.meta.url));

describe.skipIf(!hasRedis)('two gateway instances over Redis', () => {
  let redis: ChildProcess;
  let a: { proc: ChildProcess; url: string };
  let b: { proc: ChildProcess; url: string };
  let toy: Awaited<ReturnType<typeof createToySimulator>>;
  let redisUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedisServer(port);
    toy = await createToySimulator();
    const dir = mkdtempSync(join(tmpdir(), 'mg-redis-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        adapters: [toyModule],
        backends: [{ id: 'toybox', vendor: 'toy', baseUrl: toy.url }],
        pubsub: { redis: (redisUrl = `redis://127.0.0.1:${port}`) },
        // Polls are rare: what reaches A must come through Redis.
        status: { pollIntervalMs: 600000 },
        logging: { level: 'warn' },
      }),
    );
    [a, b] = await Promise.all([startGateway(config, typescriptModules), startGateway(config, typescriptModules)]);
  }, 40_000);

  afterAll(async () => {
    a?.proc.kill('SIGTERM');
    b?.proc.kill('SIGTERM');
    redis?.kill('SIGTERM');
    await toy?.close();
  });

  it('a subscriber on A sees a change made through B', async () => {
    // A's first poll publishes beta's baseline through Redis; A takes it from there, as this listener does.
    const listener = new Redis(redisUrl);
    const baseline = new Promise<void>((resolve) => listener.on('message', (_channel: string, message: string) => message.includes('"toybox:beta"') && resolve()));
    await listener.subscribe(topicFor('toybox'));
    const sub = sse(a.url, `subscription { modelDeploymentChanged(ids: ["toybox:beta"]) { __typename ... on ModelDeploymentChange { changedFields deployment { id name } } } }`, {});
    try {
      expect(await orAfter(baseline.then(() => 'published'), 30_000, 'A published no baseline (a hang guard of 30 s)')).toBe('published');
      listener.disconnect();
      const res = await fetch(b.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `mutation { updateModelDeployment(input: {id: "toybox:beta", name: "Renamed via B"}) { __typename } }` }),
      });
      expect((await res.json()).data.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
      const events = await sub.waitFor((ev) => ev.some((e) => e.deployment?.name === 'Renamed via B'));
      expect(events.filter((e) => e.deployment?.name === 'Renamed via B')).toHaveLength(1);
      expect(events.find((e) => e.deployment?.name === 'Renamed via B').changedFields).toContain('name');
    } finally {
      listener.disconnect();
      sub.stop();
    }
  }, 20_000);
});

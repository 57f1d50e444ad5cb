/**
 * Three gateway processes sharing a real redis-server, 300 subscribers spread over them, one
 * ZStack simulator (batch reads, so the ids each instance watches matter). One instance polls for
 * the cluster, through a lease in Redis, and reads what every instance's subscribers watch: the
 * upstream calls per interval are those of a single instance. The poll owner is killed; another
 * takes over within two intervals and no subscriber misses a transition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createZStackSimulator } from '../adapters/zstack/simulator.js';
import type { RecordedCall, VendorSimulator } from '../src/simulator/server.js';
import { sse, transitions, type Collector } from './sub-clients.js';
import { redisServer, requireService } from './services.js';
import { freePort, pingOnce, startGateway, type GatewayProcess } from './redis-server.js';
import { watchSimulator } from './helpers.js';
import { Redis } from 'ioredis';

const hasRedis = requireService(redisServer, 'the Redis poll-ownership tests');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const INTERVAL = 600;
const SEED = '1bb3ef7d600d4d30b21b8ffd299c37b5';
/** One model per instance, watched only there; the seed model is watched everywhere. */
const OWN = ['0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'f9e8d7c6b5a4938271605f4e3d2c1b0a', '00112233445566778899aabbccddeeff'];

type Instance = GatewayProcess;

async function until(what: string, cond: () => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const SUB = `subscription($ids: [ID!]) {
  modelDeploymentStatusChanged(ids: $ids, emitCurrent: true) {
    __typename ... on ModelDeploymentStatusTransition { previous current initial deployment { id } }
  }
}`;

describe.skipIf(!hasRedis)('three gateway instances over one Redis', () => {
  let redis: ChildProcess;
  let zs: VendorSimulator & Record<string, any>;
  const instances: Instance[] = [];

  beforeAll(async () => {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await pingOnce(port))) {
      if (Date.now() > deadline) throw new Error('redis-server did not answer');
      await sleep(25);
    }
    zs = (await createZStackSimulator({ seed: true })) as typeof zs;
    watchSimulator(zs);
    const template = zs.model(SEED)!;
    OWN.forEach((uuid, i) => zs.addModel({ ...template, uuid, name: `instance-${i}-model` }));
    const dir = mkdtempSync(join(tmpdir(), 'mg-cluster-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        backends: [{ id: 'zstack', ...zs.backendConfig }],
        pubsub: { redis: `redis://127.0.0.1:${port}` },
        status: { pollIntervalMs: INTERVAL },
        logging: { level: 'info' },
      }),
    );
    instances.push(...(await Promise.all([0, 1, 2].map(() => startGateway(config)))));
    const client = new Redis(`redis://127.0.0.1:${port}`);
    leaseHolder = async () => {
      const id = await client.get('model-gateway:poll:lease:zstack');
      return id ? instances.findIndex((i) => i.output().includes(id)) : -1;
    };
    closeClient = () => client.disconnect();
  }, 60_000);

  let closeClient = () => {};
  afterAll(async () => {
    closeClient();
    for (const i of instances) i.proc.kill('SIGTERM');
    redis?.kill('SIGTERM');
    await zs?.close();
  });

  /** The batch reads of models (polls and first states), with the uuids each asked for. */
  const modelReads = (from: number) => (zs.server.calls as RecordedCall[]).filter((c) => c.at >= from && c.method === 'GET' && c.path.startsWith('/zstack/v1/ai/models'));
  /** Which instance holds the poll lease now, by the instance id each logs at start (-1: none). */
  let leaseHolder: () => Promise<number>;

  it('polls once per interval for all, reads every instance\'s ids, and survives the death of the poller without a missed transition', async () => {
    // 300 subscribers, 100 per instance: each watches the seed model and its instance's own model.
    const subs: Array<{ at: number; c: Collector }> = [];
    for (let n = 0; n < 300; n++) {
      const at = n % 3;
      subs.push({ at, c: sse(instances[at]!.url, SUB, { ids: [`zstack:${SEED}`, `zstack:${OWN[at]}`] }) });
    }
    try {
      await until('every subscriber\'s present states', () => subs.every((s) => s.c.events.filter((e) => e.initial).length === 2), 60_000);
      let owner = -1;
      for (const deadline = Date.now() + 10_000; owner < 0 && Date.now() < deadline; await sleep(50)) owner = await leaseHolder();
      expect(owner).toBeGreaterThanOrEqual(0);
      // Every instance has announced its ids and the owner polls them all.
      await sleep(INTERVAL * 3);

      const from = Date.now();
      await sleep(INTERVAL * 8);
      const to = Date.now();
      const reads = modelReads(from);
      // One instance alone: one batch read per interval (the interval less its 10% jitter at the shortest).
      expect(reads.length).toBeLessThanOrEqual(Math.ceil((to - from) / (INTERVAL * 0.9)) + 1);
      expect(reads.length).toBeGreaterThanOrEqual(Math.floor((to - from) / (INTERVAL * 1.1)) - 1);
      // Each read asks for the ids of all three instances.
      for (const r of reads) {
        const asked = decodeURIComponent(JSON.stringify(r));
        for (const uuid of [SEED, ...OWN]) expect(asked).toContain(uuid);
      }

      // A transition the owner polls and tells everybody.
      zs.removeModel(OWN[0]!);
      await until('the first instance\'s subscribers to hear of their model', () => subs.filter((s) => s.at === 0).every((s) => transitions(s.c.events).length === 1));

      // The owner dies without a word (SIGKILL: no release of its lease); a change right after.
      const dead = await leaseHolder();
      const killedAt = Date.now();
      instances[dead]!.proc.kill('SIGKILL');
      zs.removeModel(SEED);
      const survivors = subs.filter((s) => s.at !== dead);
      await until('every surviving subscriber to hear of the seed model', () => survivors.every((s) => transitions(s.c.events).some((t) => t === 'READY->DELETED' && s.c.events.some((e) => !e.initial && e.deployment?.id === `zstack:${SEED}`))), 30_000);
      // The dead owner's reads carry its ZStack session; the first read with another is the new owner's.
      const deadSession = modelReads(from).filter((c) => c.at < killedAt).at(-1)!.headers.authorization;
      const takeover = modelReads(killedAt).find((c) => c.headers.authorization !== deadSession)!.at - killedAt;
      // Within two intervals of the death, plus one interval of slack for processes on a busy machine.
      expect(takeover).toBeLessThanOrEqual(INTERVAL * 3);
      let next = dead;
      for (const deadline = Date.now() + 10_000; next === dead && Date.now() < deadline; await sleep(50)) next = await leaseHolder();
      expect([0, 1, 2].filter((n) => n !== dead)).toContain(next);
      await sleep(INTERVAL * 2); // nothing twice
      for (const s of survivors) {
        const seed = s.c.events.filter((e) => !e.initial && e.deployment?.id === `zstack:${SEED}`).map((e) => `${e.previous}->${e.current}`);
        expect(seed).toEqual(['READY->DELETED']);
        expect(s.c.events.filter((e) => e.error)).toEqual([]);
      }
      // And the new owner polls alone, for everybody.
      const after = Date.now();
      await sleep(INTERVAL * 5);
      expect(modelReads(after).length).toBeLessThanOrEqual(Math.ceil((Date.now() - after) / (INTERVAL * 0.9)) + 1);
    } finally {
      subs.forEach((s) => s.c.stop());
    }
  }, 120_000);
});

/**
 * Three gateway processes sharing a real redis-server, 300 subscribers spread over them, one
 * ZStack simulator (batch reads, so the ids each instance watches matter). One instance polls for
 * the cluster, through a lease in Redis, and reads what every instance's subscribers watch: the
 * upstream calls per interval are those of a single instance. The poll owner is killed; another
 * takes over (its lease lapses within one and a half intervals) and no subscriber misses a
 * transition. The lease runs on real time; the test waits for reads, events and processes, and
 * counts them, rather than expecting a pace of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createZStackSimulator } from '../adapters/zstack/simulator.js';
import type { RecordedCall, VendorSimulator } from '../src/simulator/server.js';
import { sse, transitions, type Collector } from './sub-clients.js';
import { redisServer, requireService } from './services.js';
import { freePort, startGateway, startRedisServer, type GatewayProcess } from './redis-server.js';
import { eventually, until as untilHolds, watchSimulator } from './helpers.js';
import { Redis } from 'ioredis';

const hasRedis = requireService(redisServer, 'the Redis poll-ownership tests');

const INTERVAL = 600;
const SEED = '1bb3ef7d600d4d30b21b8ffd299c37b5';
/** One model per instance, watched only there; the seed model is watched everywhere. */
const OWN = ['0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'f9e8d7c6b5a4938271605f4e3d2c1b0a', '00112233445566778899aabbccddeeff'];

type Instance = GatewayProcess;

/** Three processes on a busy machine: a generous bound on each wait (a hang guard, never a pace). */
const until = (what: string, cond: () => boolean, timeoutMs = 60_000) => untilHolds(what, cond, timeoutMs);

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
    redis = await startRedisServer(port);
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
    leaseTtl = () => client.pttl('model-gateway:poll:lease:zstack');
    closeClient = () => client.disconnect();
  }, 120_000);

  let closeClient = () => {};
  afterAll(async () => {
    closeClient();
    for (const i of instances) i.proc.kill('SIGTERM');
    redis?.kill('SIGTERM');
    await zs?.close();
  });

  /** The batch reads of models (polls and first states), with the uuids each asked for. */
  const modelReads = (from: number, to?: number) => (zs.server.calls as RecordedCall[]).slice(from, to).filter((c) => c.method === 'GET' && c.path.startsWith('/zstack/v1/ai/models'));
  /** A mark in the simulator's calls, in the order they arrived: modelReads(mark) are the reads after it. */
  const mark = () => zs.server.calls.length;
  /** Which instance holds the poll lease now, by the instance id each logs at start (-1: none). */
  let leaseHolder: () => Promise<number>;
  /** How long the poll lease has left, in ms (negative: no lease). */
  let leaseTtl: () => Promise<number>;
  /** Which instance holds the lease, once one does (and, with `not`, once it is another than that one). */
  async function holder(not = -1): Promise<number> {
    return eventually('an instance to hold the lease', async () => {
      const h = await leaseHolder();
      return h < 0 || h === not ? null : { h };
    }).then((r) => r.h);
  }
  const session = (c: RecordedCall) => c.headers.authorization;
  const asksFor = (c: RecordedCall, uuids: string[]) => uuids.every((u) => decodeURIComponent(JSON.stringify(c)).includes(u));
  /**
   * One poller at a time: the reads change hands at most `handovers` times, and two reads of one
   * instance are never closer than the interval less its jitter (the next poll is timed from the
   * end of the one before; a slow machine can only space them further).
   */
  function onePoller(reads: RecordedCall[], handovers: number) {
    const changes = reads.filter((r, i) => i > 0 && session(r) !== session(reads[i - 1]!)).length;
    expect(changes, 'the reads changed hands').toBeLessThanOrEqual(handovers);
    const last = new Map<unknown, number>();
    for (const r of reads) {
      const before = last.get(session(r));
      if (before !== undefined) expect(r.at - before, 'the gap between two reads of one instance').toBeGreaterThanOrEqual(Math.floor(INTERVAL * 0.9) - 2);
      last.set(session(r), r.at);
    }
  }

  it('polls once per interval for all, reads every instance\'s ids, and survives the death of the poller without a missed transition', async () => {
    // 300 subscribers, 100 per instance: each watches the seed model and its instance's own model.
    const subs: Array<{ at: number; c: Collector }> = [];
    for (let n = 0; n < 300; n++) {
      const at = n % 3;
      subs.push({ at, c: sse(instances[at]!.url, SUB, { ids: [`zstack:${SEED}`, `zstack:${OWN[at]}`] }) });
    }
    try {
      await until('every subscriber\'s present states', () => subs.every((s) => s.c.events.filter((e) => e.initial).length === 2), 120_000);
      const owner = await holder();
      expect(owner).toBeGreaterThanOrEqual(0);
      // Every instance has announced its ids: the owner's reads ask for them all.
      const settled = mark();
      await until('a read of every instance\'s ids', () => modelReads(settled).some((r) => asksFor(r, [SEED, ...OWN])));

      // Eight polls in a row: each one batch read, by one instance, for the ids of all three.
      const from = mark();
      await until('eight polls', () => modelReads(from).length >= 8);
      const reads = modelReads(from).slice(0, 8);
      for (const r of reads) expect(asksFor(r, [SEED, ...OWN]), r.path).toBe(true);
      // (The lease may change hands once on a busy machine; with no lease, three instances would take turns.)
      onePoller(reads, 1);

      // A transition the owner polls and tells everybody.
      zs.removeModel(OWN[0]!);
      await until('the first instance\'s subscribers to hear of their model', () => subs.filter((s) => s.at === 0).every((s) => transitions(s.c.events).length === 1));

      // The owner dies without a word (SIGKILL: no release of its lease); a change right after.
      const [dead, ttl] = await eventually('a lease with time left', async () => {
        const read = [await leaseHolder(), await leaseTtl()] as const;
        return read[0] >= 0 && read[1] > 0 ? read : null;
      });
      expect(dead).toBeGreaterThanOrEqual(0);
      // Its lease lapses within one and a half intervals; the others try for it every quarter interval.
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(INTERVAL * 1.5);
      const seedModel = { ...zs.model(SEED)! };
      const killedAt = mark();
      instances[dead]!.proc.kill('SIGKILL');
      zs.removeModel(SEED);
      const survivors = subs.filter((s) => s.at !== dead);
      const seedEvents = (s: { c: Collector }) => s.c.events.filter((e) => !e.initial && e.deployment?.id === `zstack:${SEED}`).map((e) => `${e.previous}->${e.current}`);
      await until('every surviving subscriber to hear of the seed model', () => survivors.every((s) => seedEvents(s).includes('READY->DELETED')));
      // The dead owner's reads carry its ZStack session; the first read with another is the new owner's.
      const deadSession = modelReads(from, killedAt).at(-1)!.headers.authorization;
      const takeover = modelReads(killedAt).find((c) => c.headers.authorization !== deadSession);
      expect(takeover).toBeDefined();
      const next = await holder(dead);
      expect([0, 1, 2].filter((n) => n !== dead)).toContain(next);
      // Nothing twice: two more polls, then a change whose event comes after anything they told.
      const told = mark();
      await until('two more polls', () => modelReads(told).length >= 2);
      zs.addModel(seedModel);
      await until('every surviving subscriber to hear the seed model is back', () => survivors.every((s) => seedEvents(s).length >= 2));
      for (const s of survivors) {
        expect(seedEvents(s)).toEqual(['READY->DELETED', 'DELETED->READY']);
        expect(s.c.events.filter((e) => e.error)).toEqual([]);
      }
      // And the survivors poll one at a time, for everybody (the lease may change hands once).
      const after = mark();
      await until('five more polls', () => modelReads(after).length >= 5);
      const late = modelReads(after).slice(0, 5);
      const watched = [SEED, ...[0, 1, 2].filter((n) => n !== dead).map((n) => OWN[n]!)];
      for (const r of late) {
        expect(session(r) === deadSession, 'a read with the dead owner\'s session').toBe(false);
        expect(asksFor(r, watched), r.path).toBe(true);
      }
      onePoller(late, 1);
    } finally {
      subs.forEach((s) => s.c.stop());
    }
  }, 300_000);
});

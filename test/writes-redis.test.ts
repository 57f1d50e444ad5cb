/**
 * Writes and plans with `pubsub.redis`, against a real redis-server: compare-and-set holds across
 * two gateway processes (the Redis write lock), and a lost Redis is a typed, temporary error while
 * subscriptions go on locally, with no unhandled rejection, and everything resumes when it is back.
 * Skipped (with a notice) where redis-server is not installed; CI installs it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInVendors } from '../adapters/index.js';
import { vendorModule } from '../src/vendor-module.js';
import type { VendorSimulator } from '../src/simulator/server.js';
import { createGateway } from '../src/gateway.js';
import { parseConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startStack, dataOf, conformanceInput, conformanceOf, eventually, isPlanned, onClock, plannedWrites, until, watchSimulator, type Stack } from './helpers.js';
import { sse } from './sub-clients.js';
import { redisServer, requireService } from './services.js';
import { freePort, startGateway, startRedisServer } from './redis-server.js';
import { Redis } from 'ioredis';
import { createManualClock, systemClock, type Clock } from '../src/domain/clock.js';
import { createRedisWriteLock } from '../src/app/write-lock.js';
import { ConflictError } from '../src/domain/errors.js';

const hasRedis = requireService(redisServer, 'the Redis write-lock and lost-store tests');

const startRedis = (port: number): Promise<ChildProcess> => startRedisServer(port);

async function stopRedis(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}


/** Every built-in vendor: its conformance update, written by 20 writers at once through two gateways. */
const VENDORS = builtInVendors.map((m) => m.vendor);
const UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) { __typename ... on Error { code message } ... on UpdateModelDeploymentSuccess { deployment { version } } }
}`;

async function post(url: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: any[] };
}

describe.skipIf(!hasRedis)('compare-and-set across two gateway processes sharing Redis', () => {
  let redis: ChildProcess;
  let a: Awaited<ReturnType<typeof startGateway>>;
  let b: Awaited<ReturnType<typeof startGateway>>;
  const sims: Record<string, VendorSimulator> = {};

  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    for (const v of VENDORS) {
      sims[v] = await vendorModule(builtInVendors, v).simulator({ seed: true });
      watchSimulator(sims[v]!);
    }
    const dir = mkdtempSync(join(tmpdir(), 'mg-writes-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        backends: VENDORS.map((v) => ({ id: v, ...sims[v]!.backendConfig })),
        pubsub: { redis: `redis://127.0.0.1:${port}` },
        status: { pollIntervalMs: 600000 },
        logging: { level: 'warn' },
      }),
    );
    [a, b] = await Promise.all([startGateway(config), startGateway(config)]);
  }, 60_000);

  afterAll(async () => {
    a?.proc.kill('SIGTERM');
    b?.proc.kill('SIGTERM');
    if (redis) await stopRedis(redis);
    await Promise.allSettled(Object.values(sims).map((s) => s!.close()));
  });

  it.each(VENDORS)('%s: 20 updates with one expectedVersion through A and B → 1 success, 19 ConflictError, the planned upstream writes once', async (vendor) => {
    const sim = sims[vendor]!.server;
    const { id, ...input } = conformanceInput(vendor);
    const planned = await plannedWrites((q, v) => post(a.url, q, v), { id, ...input });
    expect(planned.length).toBeGreaterThan(0);
    const version = (await post(a.url, `query($id: ID!) { modelDeployment(id: $id) { version } }`, { id })).data.modelDeployment.version;
    sim.resetCalls();
    for (const w of planned) sim.inject({ method: w.method, pathIncludes: w.path.split('?')[0], fault: { kind: 'latency', ms: 40 } });
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, async (_, n) => (await post(n % 2 ? b.url : a.url, UPDATE, { input: { id, expectedVersion: version, ...input } })).data.updateModelDeployment),
      );
      expect(results.filter((r) => r.__typename === 'UpdateModelDeploymentSuccess')).toHaveLength(1);
      expect(results.filter((r) => r.__typename === 'ConflictError')).toHaveLength(19);
      expect(sim.calls.filter(isPlanned(planned))).toHaveLength(planned.length);
    } finally {
      sim.clearFaults();
    }
  }, 60_000);
});

describe.skipIf(!hasRedis)('the Redis write lock', () => {
  let redis: ChildProcess;
  let clients: Redis[] = [];
  let url: string;
  const logger = createLogger('silent');
  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedis(port);
    url = `redis://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    if (redis) await stopRedis(redis);
  });
  const client = () => {
    const c = new Redis(url);
    clients.push(c);
    return c;
  };
  it('two instances never hold one key at once: the lease is renewed while a write outlasts it', async () => {
    // Leases run out on Redis's time, renewals fall due on the instances' clock. The lease is far
    // longer than the test, so Redis never ends it by itself; before each renewal the key is made
    // to look nearly run out, and the renewal is seen putting its time back.
    const LEASE_MS = 90_000;
    const clock = createManualClock();
    let renewalsArmed = 0;
    const oneClock: Clock = {
      ...clock,
      setTimer: (fn, ms) => {
        if (ms === LEASE_MS / 3) renewalsArmed++;
        return clock.setTimer(fn, ms);
      },
    };
    const raw = client();
    const key = 'model-gateway:write-lock:dep-1';
    const one = createRedisWriteLock(client(), { clock: oneClock, logger, leaseMs: LEASE_MS });
    const two = createRedisWriteLock(client(), { clock, logger, leaseMs: LEASE_MS, waitMs: 10 * LEASE_MS });
    const events: string[] = [];
    let finish!: () => void;
    const first = one.run('dep-1', async () => {
      events.push('one:start');
      await new Promise<void>((r) => (finish = r));
      events.push('one:end');
    });
    await until('the first write to hold the lock', () => events.includes('one:start'));
    const second = two.run('dep-1', async () => void events.push('two:start'));
    // The write outlasts three leases of the clock; the second instance keeps trying meanwhile.
    for (let i = 1; i <= 9; i++) {
      await until(`renewal ${i} to be due`, () => renewalsArmed === i);
      await raw.pexpire(key, 30_000);
      clock.advance(LEASE_MS / 3);
      await eventually(`renewal ${i}`, async () => (await raw.pttl(key)) > 30_000);
    }
    expect(events).toEqual(['one:start']);
    finish();
    await first;
    // The second instance takes the lock at its next try.
    await onClock(clock, second, undefined, 50);
    expect(events).toEqual(['one:start', 'one:end', 'two:start']);
  });

  it('is released by its owner only (compare-and-delete)', async () => {
    const raw = client();
    const lock = createRedisWriteLock(client(), { clock: systemClock, logger });
    await lock.run('dep-2', async () => {
      expect(await raw.get('model-gateway:write-lock:dep-2')).toMatch(/^[0-9a-f]{32}$/);
      // As if the lease had run out and another owner had taken the lock meanwhile.
      await raw.set('model-gateway:write-lock:dep-2', 'another-owner');
    });
    expect(await raw.get('model-gateway:write-lock:dep-2')).toBe('another-owner');
    await raw.del('model-gateway:write-lock:dep-2');
  });

  it('a waiter on another instance that outwaits the bound gets ConflictError and never runs', async () => {
    const clock = createManualClock();
    const one = createRedisWriteLock(client(), { clock, logger });
    const two = createRedisWriteLock(client(), { clock, logger, waitMs: 200 });
    let ran = false;
    let finish!: () => void;
    let holding = false;
    const first = one.run(
      'dep-3',
      () =>
        new Promise<void>((r) => {
          holding = true;
          finish = r;
        }),
    );
    await until('the first write to hold the lock', () => holding);
    const from = clock.now();
    const err = await onClock(
      clock,
      two
        .run('dep-3', async () => {
          ran = true;
        })
        .then(
          () => null,
          (e) => e,
        ),
      undefined,
      50,
    ).then((r) => r.value);
    expect(err).toBeInstanceOf(ConflictError);
    expect(ran).toBe(false);
    // Refused when its clock reached the bound: its last pause ends there.
    expect(clock.now() - from).toBe(200);
    finish();
    await first;
    expect(await two.run('dep-3', async () => 'free again')).toBe('free again');
  });
});

describe.skipIf(!hasRedis)('a lost Redis', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let stack: Stack | null = null;
  let redis: ChildProcess | null = null;
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await stack?.close();
    stack = null;
    if (redis) await stopRedis(redis);
    redis = null;
  });
  afterAll(async () => {
    // The stacks and Redis are closed by now (closing cuts every upstream call still in flight):
    // what could still reject has rejected. A few turns of the event loop (no time) let Node report it.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  const DRY_RUN = `mutation($ids: [ID!]) {
    updateModelDeployments(ids: $ids, patch: { addTags: ["redis-test"] }, dryRun: true) {
      __typename
      ... on Error { code message }
      ... on UpstreamError { backend outcome retryable }
      ... on UpdateModelDeploymentsPayload { planId summary { changed } }
    }
  }`;
  const PLAN = `query($id: ID!) { modelDeploymentPlan(id: $id) { id state } }`;
  const APPLY = `mutation($planId: ID!) { applyModelDeploymentPlan(planId: $planId) {
    __typename ... on Error { code message } ... on UpstreamError { backend outcome retryable } ... on UpdateModelDeploymentsPayload { summary { changed } }
  } }`;

  it('killed and restarted during plans and subscriptions: typed errors while down, subscriptions go on, plans work again after', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    stack = await startStack({ vendors: ['northflank'], config: { pubsub: { redis: `redis://127.0.0.1:${port}` }, status: { pollIntervalMs: 100 } } });
    const id = `northflank:${conformanceOf('northflank').existingKey}`;
    const other = 'northflank:default-project/gemma-2-9b-it';
    const sub = sse(stack.url, `subscription($ids: [ID!]) { modelDeploymentStatusChanged(ids: $ids) { __typename ... on ModelDeploymentStatusTransition { previous current initial } } }`, { ids: [id] });
    try {
      const planned = dataOf(await stack.gql(DRY_RUN, { ids: [id] })).updateModelDeployments;
      expect(planned).toMatchObject({ __typename: 'UpdateModelDeploymentsPayload', summary: { changed: 1 } });

      await stopRedis(redis);
      redis = null;

      // Plans: typed, naming the store, from the fixed code set; nothing sent upstream.
      const writesBefore = stack.sims.northflank!.server.calls.filter((c) => c.method !== 'GET').length;
      const dry = dataOf(await stack.gql(DRY_RUN, { ids: [id] })).updateModelDeployments;
      expect(dry).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', backend: 'redis', retryable: true });
      expect(dry.message).toMatch(/pubsub\.redis/);
      const read = await stack.gql(PLAN, { id: planned.planId });
      expect(read.body.data).toEqual({ modelDeploymentPlan: null });
      expect(read.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', backend: 'redis' });
      const applied = dataOf(await stack.gql(APPLY, { planId: planned.planId })).applyModelDeploymentPlan;
      expect(applied).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', backend: 'redis', outcome: 'NOT_SENT', retryable: true });
      // A single write cannot take its lock: refused, not sent, and said so.
      const single = dataOf(await stack.gql(`mutation($id: ID!) { updateModelDeployment(input: { id: $id, description: "while redis is down" }) { __typename ... on Error { code } ... on UpstreamError { backend outcome retryable } } }`, { id })).updateModelDeployment;
      expect(single).toEqual({ __typename: 'UpstreamError', code: 'UPSTREAM_UNAVAILABLE', backend: 'redis', outcome: 'NOT_SENT', retryable: true });
      expect(stack.sims.northflank!.server.calls.filter((c) => c.method !== 'GET').length).toBe(writesBefore);

      // Subscriptions go on with what this instance sees.
      stack.sims.northflank!.setStatus(conformanceOf('northflank').existingKey, 'crashed');
      await sub.waitFor((ev) => ev.some((e) => e.current === 'FAILED' && !e.initial));

      // Redis is back: plans (made before the outage, and new ones) work again.
      redis = await startRedis(port);
      const again = await eventually('plans to work again', async () => {
        const r = dataOf(await stack!.gql(DRY_RUN, { ids: [other] })).updateModelDeployments;
        return r.__typename === 'UpdateModelDeploymentsPayload' ? r : null;
      });
      expect(again.summary.changed).toBe(1);
      const done = dataOf(await stack.gql(APPLY, { planId: again.planId })).applyModelDeploymentPlan;
      expect(done).toMatchObject({ __typename: 'UpdateModelDeploymentsPayload', summary: { changed: 1 } });
      expect(stack.logs.filter((l) => /unhandled/i.test(l))).toEqual([]);
    } finally {
      sub.stop();
    }
  }, 60_000);

  it('unreachable at start: an error naming pubsub.redis and the address, never the password', async () => {
    const port = await freePort();
    const config = parseConfig({ server: { port: 0 }, logging: { level: 'silent' }, pubsub: { redis: `redis://:s3cret-redis-pass@127.0.0.1:${port}` }, backends: [{ id: 'nf', vendor: 'northflank', baseUrl: 'http://127.0.0.1:9', token: 'unused-token', projects: ['p'] }] }, {});
    const err = await createGateway(config, { logger: createLogger('silent') }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain('pubsub.redis');
    expect(err!.message).toContain(`127.0.0.1:${port}`);
    expect(err!.message).not.toContain('s3cret-redis-pass');
    expect(err!.message).not.toBe('Connection is closed.');
  }, 30_000);
});

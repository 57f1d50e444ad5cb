import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdapterInstance } from '../../src/domain/adapter.js';
import { createManualClock, type ManualClock } from '../../src/domain/clock.js';
import type { ModelDeployment } from '../../src/domain/deployment.js';
import { ConflictError, NotFoundError, UpstreamError, ValidationError } from '../../src/domain/errors.js';
import { createHttpClient } from '../../src/http/client.js';
import { zstackAdapter, ZStackConfigSchema } from './adapter.js';
import { sha512Hex } from './client.js';
import type { ModelInventory } from './contract.js';
import { createZStackSimulator, type ZStackSimulator } from './simulator.js';
import zstackModule from './index.js';
import { createSkippingClock, heldSince, onClock, until } from '../../test/helpers.js';

const QWEN = '1bb3ef7d600d4d30b21b8ffd299c37b5';
const LLAMA = 'a7c3e91b2d4f48609e5b1a2c3d4e5f60';
const MISSING = '0123456789abcdef0123456789abcdef';
const TTL = 60_000;
/** A request's deadline in the timeout tests (on `wire`): beyond onClock's short waits, so only a held request is timed out. */
const TIMEOUT_MS = 500;
/** Most the retry waits of one request add up to (two retries of the client's base delay, 5 ms, doubled). */
const RETRY_WAITS_MS = 5 + 10;

let clock: ManualClock;
/**
 * The upstream client's time: request deadlines and retry waits. A retry's wait ends at once
 * (moving it); a deadline passes only when a test moves it (onClock): no test waits for a timeout
 * in real time.
 */
let wire: ManualClock;
let sim: ZStackSimulator;
let adapter: AdapterInstance<string>;
let logLines: string[];

function make(over: Record<string, unknown> = {}): AdapterInstance<string> {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const config = ZStackConfigSchema.parse({ id: 'zs', ...sim.backendConfig, ...over });
  return zstackAdapter.create(config, { backendId: 'zs', logger, clock, http: (o) => createHttpClient({ ...o, backend: 'zs', logger, clock: wire, retryBaseDelayMs: 5 }) });
}

const calls = (method?: string, path?: string) => sim.server.calls.filter((c) => (!method || c.method === method) && (!path || c.path.includes(path)));
const modelQueries = () => calls('GET', '/zstack/v1/ai/models');
const puts = () => calls('PUT', '/zstack/v1/ai/models/');
const logins = () => calls('PUT', '/accounts/login');

async function caught(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/** Awaits `p`, moving the clock 25 ms whenever a timer waits on it (a job's backoff runs on the adapter's clock). */
async function moving<T>(p: Promise<T>): Promise<T> {
  let pending = true;
  p.then(
    () => (pending = false),
    () => (pending = false),
  );
  for (;;) {
    // Real time only for the sockets to carry what the last move set off: until the answer, or a timer on the clock.
    await until('the answer, or a timer waiting on the clock', () => !pending || clock.pendingTimers() > 0);
    if (!pending) break;
    clock.advance(25);
    // A turn of the event loop (no time): what the move set off runs before the next look.
    await new Promise((r) => setImmediate(r));
  }
  return p;
}

const one = async (uuid: string) => {
  const [d] = await adapter.getMany([uuid]);
  if (d instanceof Error) throw d;
  return d as ModelDeployment<ModelInventory>;
};

beforeEach(async () => {
  clock = createManualClock();
  wire = createSkippingClock();
  logLines = [];
  sim = await createZStackSimulator({ clock, sessionTtlMs: TTL });
  adapter = make();
});
afterEach(async () => {
  await adapter.close?.();
  await sim.close();
});

describe('config', () => {
  it.each([
    ['accountName + password', { accountName: 'admin', password: 'p' }, true],
    ['a fixed sessionUuid', { sessionUuid: 'abc123' }, true],
    ['nothing to authenticate with', {}, false],
    ['a password without account', { password: 'p', sessionUuid: 's' }, false],
    ['an unknown updateBodyStyle', { accountName: 'a', password: 'p', updateBodyStyle: 'nested' }, false],
  ])('%s → valid: %s', (_why, extra, ok) => {
    const r = ZStackConfigSchema.safeParse({ id: 'zs', vendor: 'zstack', baseUrl: 'http://127.0.0.1:8080', ...extra });
    expect(r.success).toBe(ok);
  });

  it('says what is missing, and defaults to the flat body', () => {
    const r = ZStackConfigSchema.safeParse({ id: 'zs', vendor: 'zstack', baseUrl: 'http://127.0.0.1:8080' });
    expect(r.error?.issues[0]?.message).toBe('a zstack backend needs either sessionUuid, or accountName and password');
    expect(ZStackConfigSchema.parse({ id: 'zs', vendor: 'zstack', baseUrl: 'http://x:1', sessionUuid: 's' }).updateBodyStyle).toBe('flat');
  });
});

describe('keys', () => {
  it('refuses every malformed key before any upstream call', () => {
    for (const bad of [...zstackModule.conformance.badKeys, '', 'a'.repeat(31), `${QWEN}%2f`]) {
      expect(() => adapter.parseKey(bad), bad).toThrow(ValidationError);
    }
    expect(adapter.parseKey(QWEN)).toBe(QWEN);
    expect(adapter.formatKey(QWEN)).toBe(QWEN);
    expect(sim.server.calls).toHaveLength(0);
  });
});

describe('reads', () => {
  it('reads one model by its uuid path with the OAuth header, logging in once', async () => {
    const d = await one(QWEN);
    expect(d).toMatchObject({ id: `zs:${QWEN}`, name: 'example', status: 'READY', tags: ['moe', 'demo'], version: expect.stringMatching(/^2025-12-03T10:12:44.000Z~[0-9a-f]{12}$/) });
    expect(d.tagsDeferred).toBeUndefined();
    expect(modelQueries().map((c) => c.path + c.query)).toEqual([`/zstack/v1/ai/models/${QWEN}`]);
    expect(calls('GET', '/user-tags')).toHaveLength(1);
    expect(modelQueries()[0]!.headers.authorization).toMatch(/^OAuth [0-9a-f]{32}$/);
    expect(logins()).toHaveLength(1);
    expect(logins()[0]!.body).toEqual({ logInByAccount: { accountName: 'admin', password: sha512Hex(sim.password) } });
  });

  it('reads 20 models with ONE model query (uuid?=…), missing ones as NotFoundError in place, and their tags with ONE user-tag query (the same full state as list)', async () => {
    const uuids = [QWEN, LLAMA];
    for (let i = 0; i < 17; i++) {
      const uuid = `${i.toString(16).padStart(2, '0')}${'e'.repeat(30)}`;
      sim.addModel({ uuid, name: `model-${i}` }, { userTags: [`t${i}`] });
      uuids.push(uuid);
    }
    uuids.push(MISSING);
    await adapter.getMany([QWEN]); // log in first
    sim.server.resetCalls();
    const result = await adapter.getMany(uuids);
    expect(result).toHaveLength(20);
    expect(result.filter((r) => !(r instanceof Error))).toHaveLength(19);
    expect(result[19]).toBeInstanceOf(NotFoundError);
    expect((result[19] as NotFoundError).id).toBe(`zs:${MISSING}`);
    expect((result[2] as ModelDeployment).tags).toEqual(['t0']);
    expect((result[0] as ModelDeployment).tags).toEqual(['moe', 'demo']);
    expect(modelQueries()).toHaveLength(1);
    expect(new URLSearchParams(modelQueries()[0]!.query).getAll('q')).toEqual([`uuid?=${uuids.join(',')}`]);
    expect(calls('GET', '/user-tags')).toHaveLength(1);
    expect(new URLSearchParams(calls('GET', '/user-tags')[0]!.query).getAll('q')).toEqual(['resourceType=ModelVO', `resourceUuid?=${uuids.join(',')}`]);
    expect(sim.server.calls).toHaveLength(2);
  });

  it('with readUserTags: false, 20 models cost exactly one upstream request', async () => {
    adapter = make({ readUserTags: false });
    await adapter.getMany([QWEN]);
    sim.server.resetCalls();
    const uuids = Array.from({ length: 20 }, (_, i) => (i === 0 ? QWEN : `${i.toString(16).padStart(2, '0')}${'d'.repeat(30)}`));
    const r = await adapter.getMany(uuids);
    expect(sim.server.calls).toHaveLength(1);
    expect((r[0] as ModelDeployment).tags).toEqual([]);
  });

  it('lists every model, walking pages of 500, with their tags', async () => {
    for (let i = 0; i < 1100; i++) sim.addModel({ uuid: i.toString(16).padStart(32, '0'), name: `bulk-${i}` });
    const all = await adapter.list({});
    expect(all).toHaveLength(1106);
    expect(new Set(all.map((d) => d.id)).size).toBe(1106);
    expect(all.find((d) => d.nativeId === QWEN)?.tags).toEqual(['moe', 'demo']);
    const starts = modelQueries().map((c) => new URLSearchParams(c.query).get('start'));
    expect(starts).toEqual(['0', '500', '1000']);
    expect(new URLSearchParams(modelQueries()[0]!.query).get('limit')).toBe('500');
  });

  it('pushes the status filter down: nothing but READY exists', async () => {
    expect(await adapter.list({ statuses: ['FAILED', 'PENDING'] })).toEqual([]);
    expect(sim.server.calls).toHaveLength(0);
    expect(await adapter.list({ statuses: ['READY'] })).toHaveLength(6);
  });

  it('keeps 64-bit values exact, beyond 2^53', async () => {
    const big = 'b'.repeat(32);
    sim.addModel({ uuid: big, name: 'huge', minGpuMemory: 9007199254740993n, artifactSizeBytes: 9223372036854775807n, size: 18014398509481985n, extraGpuMemRequest: -1n });
    const d = await one(big);
    expect(d.raw).toMatchObject({ minGpuMemory: '9007199254740993', artifactSizeBytes: '9223372036854775807', size: '18014398509481985', extraGpuMemRequest: '-1' });
    expect(d.resources?.gpuMemoryBytes).toBe(9007199254740993n);
    const qwen = await one(QWEN);
    expect(qwen.raw).toMatchObject({ minGpuMemory: '4295991296', extraGpuMemRequest: '4294967296' });
  });

  it('reports health', async () => {
    expect(await adapter.health()).toMatchObject({ ok: true, message: null });
    expect(calls('GET', '/ai/models')[0]!.query).toBe('?count=true');
  });
});

describe('sessions (CONVENTIONS.md 3.2)', () => {
  it('survives session expiry mid-run: the next call logs in again once and is replayed', async () => {
    await one(QWEN);
    clock.advance(TTL + 1);
    sim.server.resetCalls();
    const d = await one(LLAMA);
    expect(d.name).toBe('Llama-3.1-8B-Instruct');
    expect(sim.logins()).toBe(2);
    const seq = sim.server.calls.map((c) => `${c.method} ${c.path.replace(/[0-9a-f]{32}/, '{uuid}')} ${c.status}`).sort();
    // Both reads failed with ID.1001 (503), one login, then both were replayed.
    expect(seq).toEqual([
      'GET /zstack/v1/ai/models/{uuid} 200',
      'GET /zstack/v1/ai/models/{uuid} 503',
      'GET /zstack/v1/user-tags 200',
      'GET /zstack/v1/user-tags 503',
      'PUT /zstack/v1/accounts/login 200',
    ]);
  });

  it('concurrent calls share one login', async () => {
    await one(QWEN);
    sim.expireSessions();
    const results = await Promise.all(Array.from({ length: 10 }, () => adapter.getMany([QWEN])));
    expect(results.every((r) => !(r[0] instanceof Error))).toBe(true);
    expect(sim.logins()).toBe(2);
  });

  it('an update whose session expired is replayed once after logging in (the API did not run)', async () => {
    await one(QWEN);
    clock.advance(TTL + 1);
    sim.server.resetCalls();
    const r = await adapter.update(QWEN, { description: 'after expiry' });
    expect(r.deployment.description).toBe('after expiry');
    expect(sim.logins()).toBe(2);
  });

  it('a wrong password gives a clear error naming the backend, without the password or a session', async () => {
    adapter = make({ password: 'wrong-password-123' });
    const err = await caught(adapter.getMany([QWEN]).then((r) => { if (r[0] instanceof Error) throw r[0]; }));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ code: 'UPSTREAM_AUTH', backend: 'zs', vendorCode: 'ID.1000' });
    expect(err.message).toBe('Backend zs: login as account "admin" failed: ID.1000 Authentication error: wrong account name or password');
    const everything = JSON.stringify({ m: err.message, e: err.extensions, d: err.detail, v: err.vendorMessage }) + logLines.join('');
    expect(everything).not.toContain('wrong-password-123');
    expect(everything).not.toContain(sha512Hex('wrong-password-123'));
  });

  it('a fixed sessionUuid is used as is; when it expires (no login configured) the error says so without the session', async () => {
    const login = await fetch(`${sim.url}/zstack/v1/accounts/login`, {
      method: 'PUT',
      body: JSON.stringify({ logInByAccount: { accountName: 'admin', password: sha512Hex(sim.password) } }),
    });
    const session = ((await login.json()) as any).inventory.uuid as string;
    adapter = make({ accountName: undefined, password: undefined, sessionUuid: session });
    expect((await one(QWEN)).name).toBe('example');
    expect(modelQueries()[0]!.headers.authorization).toBe(`OAuth ${session}`);
    clock.advance(TTL);
    const [err] = (await adapter.getMany([QWEN])) as any[];
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ code: 'UPSTREAM_AUTH', vendorCode: 'ID.1001', status: 503 });
    expect(err.message).toContain('configure a fresh sessionUuid');
    expect(JSON.stringify({ m: err.message, d: err.detail, x: err.extensions })).not.toContain(session);
  });

  it('never logs a password, its hash or a session uuid', async () => {
    await one(QWEN);
    sim.expireSessions();
    await adapter.update(QWEN, { description: 'x' });
    const sessions = sim.server.calls.map((c) => c.headers.authorization).filter(Boolean).map((h) => String(h).slice(6));
    expect(sessions.length).toBeGreaterThan(0);
    const logs = logLines.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [sim.password, sha512Hex(sim.password), ...sessions]) expect(logs).not.toContain(secret);
  });
});

describe('updates (seed 004, CONVENTIONS.md 0.1)', () => {
  const full = {
    name: 'qwen3-moe',
    description: 'full update',
    tags: ['prod', 'moe'],
    vendor: {
      installPath: '/models/qwen3-moe',
      vendor: 'Alibaba Cloud',
      parameters: '--tp 2',
      modelCenterUuid: 'ebf96ce1de2c46fa8af9d503c29bb93d',
      modelClassifications: ['LLM', 'MoE'],
      recommendedGpuNum: '2,4',
      gpuConstraintDescription: 'H100 only',
      modelId: 'Qwen/Qwen3-30B-A3B',
      defaultModelServiceUuid: '8c1f2a3b4d5e6f708192a3b4c5d6e7f8',
      clearDefaultModelService: false,
      systemTags: ['modelType::LLM'],
    },
  };

  it('sends exactly the flat body of the page for a full update, with the OAuth header', async () => {
    const r = await adapter.update(QWEN, full);
    expect(puts()).toHaveLength(1);
    const put = puts()[0]!;
    expect(put.path).toBe(`/zstack/v1/ai/models/${QWEN}`);
    expect(put.headers.authorization).toMatch(/^OAuth [0-9a-f]{32}$/);
    expect(put.headers['content-type']).toMatch(/^application\/json/);
    const expected = {
      name: 'qwen3-moe',
      installPath: '/models/qwen3-moe',
      description: 'full update',
      vendor: 'Alibaba Cloud',
      parameters: '--tp 2',
      modelCenterUuid: 'ebf96ce1de2c46fa8af9d503c29bb93d',
      modelClassifications: ['LLM', 'MoE'],
      recommendedGpuNum: '2,4',
      gpuConstraintDescription: 'H100 only',
      modelId: 'Qwen/Qwen3-30B-A3B',
      defaultModelServiceUuid: '8c1f2a3b4d5e6f708192a3b4c5d6e7f8',
      clearDefaultModelService: false,
      systemTags: ['modelType::LLM'],
      userTags: ['prod', 'moe'],
    };
    expect(put.body).toEqual(expected);
    expect(Object.keys(put.body as object)).toEqual(Object.keys(expected));
    expect(r.requests).toEqual([{ method: 'PUT', path: `/zstack/v1/ai/models/${QWEN}`, body: expected }]);
    expect(r.deployment).toMatchObject({ name: 'qwen3-moe', description: 'full update', tags: ['prod', 'moe'], model: { name: 'Qwen/Qwen3-30B-A3B', path: '/models/qwen3-moe' } });
    expect(r.deployment.resources?.gpuCounts).toEqual([2, 4]);
    expect(sim.hidden(QWEN)).toEqual({ modelClassifications: ['LLM', 'MoE'], defaultModelServiceUuid: '8c1f2a3b4d5e6f708192a3b4c5d6e7f8', systemTags: ['modelType::LLM'] });
  });

  it('sends only the changed fields for a partial update', async () => {
    const r = await adapter.update(QWEN, { description: 'only this' });
    expect(puts().map((c) => c.body)).toEqual([{ description: 'only this' }]);
    expect(r.changes).toEqual([{ field: 'description', before: 'test model', after: 'only this' }]);
    expect(r.deployment.name).toBe('example');
  });

  it('with updateBodyStyle wrapped sends the wrapped shape', async () => {
    adapter = make({ updateBodyStyle: 'wrapped' });
    sim.setBodyStyle('wrapped');
    const r = await adapter.update(QWEN, { description: 'wrapped', tags: ['w'], vendor: { modelId: 'm' } });
    expect(puts().map((c) => c.body)).toEqual([{ updateModel: { description: 'wrapped', modelId: 'm' }, userTags: ['w'] }]);
    expect(r.requests[0]!.body).toEqual({ updateModel: { description: 'wrapped', modelId: 'm' }, userTags: ['w'] });
    expect(r.deployment).toMatchObject({ description: 'wrapped', tags: ['w'] });
  });

  it('against a server reading the wrapped body, a flat update is "accepted but not applied", never success', async () => {
    sim.setBodyStyle('wrapped');
    const err = await caught(adapter.update(QWEN, { description: 'lost' }));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ code: 'UPSTREAM_ERROR', outcome: 'NOT_APPLIED', status: 200 });
    expect(err.message).toContain(`UpdateModel ${QWEN} was accepted but not applied: description unchanged`);
    expect(err.message).toContain('updateBodyStyle');
    expect(puts()).toHaveLength(1);
    expect(sim.model(QWEN)!.description).toBe('test model');
  });

  it.each([
    ['modelClassifications', { vendor: { modelClassifications: ['text-generation'] } }],
    ['clearDefaultModelService', { vendor: { clearDefaultModelService: true } }],
    ['defaultModelServiceUuid', { vendor: { defaultModelServiceUuid: 'b'.repeat(32) } }],
  ])('against a wrapped server, a flat body of %s (not shown in the inventory) is never reported as success', async (_field, patch) => {
    sim.setBodyStyle('wrapped');
    const before = sim.hidden(QWEN);
    clock.advance(5_000);
    const err = await caught(adapter.update(QWEN, patch as never));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ code: 'UPSTREAM_ERROR', outcome: 'UNKNOWN' });
    expect(err.message).toContain('cannot be confirmed');
    expect(err.message).toContain('updateBodyStyle');
    expect(puts()).toHaveLength(1);
    expect(sim.hidden(QWEN)).toEqual(before);
  });

  it('confirms an update of fields the inventory does not show by its lastOpDate', async () => {
    clock.advance(5_000);
    const r = await adapter.update(QWEN, { vendor: { modelClassifications: ['text-generation'] } } as never);
    expect(r.deployment.id).toBe(`zs:${QWEN}`);
    expect(sim.hidden(QWEN)!.modelClassifications).toEqual(['text-generation']);
  });

  it('a garbled answer to the PUT leaves the outcome to the re-read', async () => {
    sim.server.inject({ fault: { kind: 'garbled' }, method: 'PUT', pathIncludes: '/ai/models/', times: 1 });
    const queriesBefore = modelQueries().length;
    const err = await caught(adapter.update(QWEN, { description: 'garbled' }));
    expect(err).toBeInstanceOf(UpstreamError);
    // The injected garble comes before the simulator applies anything: the re-read shows it missing.
    expect(err).toMatchObject({ code: 'UPSTREAM_ERROR', outcome: 'NOT_APPLIED' });
    expect(err.message).toContain('the re-read shows the update was not applied');
    // Read for the plan, then the re-read after the unclear answer.
    expect(modelQueries().length - queriesBefore).toBe(2);
  });

  it('a plain-text 500 to the PUT is re-read before it is called NOT_APPLIED', async () => {
    sim.server.inject({ fault: { kind: 'status', status: 500, body: 'java.lang.NullPointerException' }, method: 'PUT', pathIncludes: '/ai/models/', times: 1 });
    const queriesBefore = modelQueries().length;
    const err = await caught(adapter.update(QWEN, { description: 'x' }));
    expect(err).toMatchObject({ code: 'UPSTREAM_ERROR', outcome: 'NOT_APPLIED', status: 500 });
    expect(modelQueries().length - queriesBefore).toBe(2);
    expect(sim.model(QWEN)!.description).toBe('test model');
  });

  it('plans without sending (dry run)', async () => {
    const plan = await adapter.planUpdate(QWEN, { name: 'planned', vendor: { recommendedGpuNum: '4' } });
    expect(plan.requests).toEqual([{ method: 'PUT', path: `/zstack/v1/ai/models/${QWEN}`, body: { name: 'planned', recommendedGpuNum: '4' } }]);
    expect(plan.changes).toEqual([
      { field: 'name', before: 'example', after: 'planned' },
      { field: 'recommendedGpuNum', before: [1, 2], after: [4] },
    ]);
    expect(puts()).toHaveLength(0);
  });

  it.each([
    ['an empty name', { name: '' }, ['name'], 'min_length'],
    ['a bad uuid in the zstack block', { vendor: { modelCenterUuid: 'nope' } }, ['zstack', 'modelCenterUuid'], 'pattern'],
    ['a bad GPU list', { vendor: { recommendedGpuNum: 'two' } }, ['zstack', 'recommendedGpuNum'], 'pattern'],
    ['an empty tag', { tags: ['ok', ''] }, ['tags', 1], 'min_length'],
    ['tags and userTags disagreeing', { tags: ['a'], vendor: { userTags: ['b'] } }, ['zstack', 'userTags'], 'conflict'],
    ['an unknown field in the block', { vendor: { engine: 'vllm' } }, ['zstack', 'engine'], 'unknown_field'],
    ['nothing to change', { vendor: {} }, [], 'required'],
    ['a null field (seed 004 types every field; null is none of them)', { vendor: { name: null } }, ['zstack', 'name'], 'not_null'],
    ['set and clear the default service', { vendor: { defaultModelServiceUuid: 'a'.repeat(32), clearDefaultModelService: true } }, ['zstack', 'clearDefaultModelService'], 'custom'],
  ])('refuses %s before any upstream call', async (_why, patch, path, rule) => {
    const err = await caught(adapter.update(QWEN, patch as never));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.issues[0]).toMatchObject({ path, rule });
    expect(sim.server.calls).toHaveLength(0);
  });

  it('refuses a stale expectedVersion with a ConflictError, sending nothing', async () => {
    const current = (await one(QWEN)).version!;
    const err = await caught(adapter.update(QWEN, { description: 'x' }, { expectedVersion: '0.9.0' }));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ expectedVersion: '0.9.0', actualVersion: current });
    expect(puts()).toHaveLength(0);
    await adapter.update(QWEN, { description: 'x' }, { expectedVersion: current });
    expect(puts()).toHaveLength(1);
  });

  it('an unknown uuid is a NotFoundError without a write', async () => {
    expect(await caught(adapter.update(MISSING, { description: 'x' }))).toBeInstanceOf(NotFoundError);
    expect(puts()).toHaveLength(0);
  });
});

describe('async UpdateModel (CONVENTIONS.md 3.4)', () => {
  it('follows the 202 job at our baseUrl (not the location host) to its result', async () => {
    sim.setAsync(true, { polls: 3 });
    const r = await moving(adapter.update(QWEN, { description: 'via job' }));
    expect(r.deployment.description).toBe('via job');
    const jobs = calls('GET', '/zstack/v1/api-jobs/');
    expect(jobs.map((c) => c.status)).toEqual([202, 202, 200]);
    expect(jobs[0]!.headers.host).toBe(new URL(sim.url).host);
  });

  it('a job that never finishes is UPSTREAM_TIMEOUT with outcome UNKNOWN within asyncTimeoutMs', async () => {
    adapter = make({ asyncTimeoutMs: 400 });
    sim.setAsync(true, { hang: true });
    const t0 = clock.now();
    const err = await caught(moving(adapter.update(QWEN, { description: 'never' })));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    expect(err.message).toContain('did not finish within 400 ms');
    // The backoff waits (25, 50, 100, 200 ms) are cut at the deadline: it ends when it falls due.
    expect(clock.now() - t0).toBe(400);
    expect(calls('GET', '/api-jobs/').length).toBeGreaterThanOrEqual(2);
  });

  it('a job failing with ID.1001 is replayed once after logging in again', async () => {
    await one(QWEN);
    sim.setAsync(true, { polls: 1 });
    // The session ends between the plan's read and the write: the job reports ID.1001.
    sim.failNextUpdate({ code: 'ID.1001', description: 'Invalid session', details: 'Session expired' });
    const r = await moving(adapter.update(QWEN, { description: 'replayed' }));
    expect(r.deployment.description).toBe('replayed');
    expect(puts()).toHaveLength(2);
    expect(sim.logins()).toBe(2);
  });

  it('a job failing with an ErrorCode is an UpstreamError with the code and cause chain', async () => {
    sim.setAsync(true, { polls: 1 });
    sim.failNextUpdate({ code: 'SYS.1006', description: 'Operation failed', details: 'model is in use', cause: { code: 'AI.1001', description: 'busy' } });
    const err = await caught(moving(adapter.update(QWEN, { description: 'x' })));
    expect(err).toMatchObject({ code: 'UPSTREAM_ERROR', vendorCode: 'SYS.1006', outcome: 'NOT_APPLIED', status: 503 });
    expect(err.detail).toMatchObject({ code: 'SYS.1006', details: 'model is in use', cause: { code: 'AI.1001', description: 'busy' } });
  });
});

describe('errors are typed and bounded (CONVENTIONS.md 3.5)', () => {
  it('an ErrorCode reply to UpdateModel carries code, description, details and cause', async () => {
    sim.failNextUpdate({ code: 'SYS.1006', description: 'Operation failed', details: 'db locked', elaboration: 'retry later', cause: { code: 'SYS.1000', description: 'internal', cause: { code: 'SYS.1001', description: 'timeout' } } });
    const err = await caught(adapter.update(QWEN, { description: 'x' }));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ code: 'UPSTREAM_ERROR', status: 503, vendorCode: 'SYS.1006', vendorMessage: 'SYS.1006 Operation failed: db locked', outcome: 'NOT_APPLIED', backend: 'zs' });
    expect(err.detail).toEqual({
      code: 'SYS.1006',
      description: 'Operation failed',
      details: 'db locked',
      elaboration: 'retry later',
      cause: { code: 'SYS.1000', description: 'internal', details: null, elaboration: null, cause: { code: 'SYS.1001', description: 'timeout', details: null, elaboration: null, cause: null } },
    });
  });

  it('SYS.1007 becomes a ValidationError naming the field of the input', async () => {
    sim.failNextUpdate({ code: 'SYS.1007', description: 'One or more API argument is invalid', details: 'field[modelCenterUuid] of message[APIUpdateModelMsg] model center not found' });
    const err = await caught(adapter.update(QWEN, { vendor: { modelCenterUuid: 'f'.repeat(32) } }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.issues).toEqual([{ path: ['zstack', 'modelCenterUuid'], rule: 'vendor', message: 'field[modelCenterUuid] of message[APIUpdateModelMsg] model center not found One or more API argument is invalid' }]);
  });

  it('SYS.1003 becomes a NotFoundError', async () => {
    sim.failNextUpdate({ code: 'SYS.1003', description: 'Resource not found', details: `invalid field[uuid], resource[uuids:[${QWEN}], type:ModelVO] not found` });
    const err = await caught(adapter.update(QWEN, { description: 'x' }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.id).toBe(`zs:${QWEN}`);
  });

  const read = async () => {
    const [r] = await adapter.getMany([QWEN]);
    if (r instanceof Error) throw r;
    return r;
  };

  it.each([
    ['404 plain text', { kind: 'status', status: 404, body: 'no api mapping to /zstack/v1/ai/models' }, { code: 'UPSTREAM_ERROR', status: 404, vendorMessage: 'no api mapping to /zstack/v1/ai/models' }],
    ['400 plain text', { kind: 'status', status: 400, body: "Invalid query parameter. 'limit' must be an integer" }, { code: 'UPSTREAM_ERROR', status: 400 }],
    ['500 plain-text exception', { kind: 'status', status: 500, body: 'java.lang.NullPointerException' }, { code: 'UPSTREAM_ERROR', status: 500, vendorMessage: 'java.lang.NullPointerException' }],
    ['503 ErrorCode', { kind: 'status', status: 503 }, { code: 'UPSTREAM_ERROR', status: 503, vendorCode: 'SYS.1000' }],
    ['503 not JSON', { kind: 'status', status: 503, body: 'Service Unavailable' }, { code: 'UPSTREAM_UNAVAILABLE', status: 503, retryable: true }],
    ['502 (retried, then)', { kind: 'status', status: 502, body: 'bad gateway' }, { code: 'UPSTREAM_UNAVAILABLE', status: 502 }],
    ['garbled JSON', { kind: 'garbled' }, { code: 'UPSTREAM_ERROR', status: 200 }],
    ['a body of the wrong shape', { kind: 'wrong-shape' }, { code: 'UPSTREAM_ERROR', status: 200 }],
    ['a connection reset', { kind: 'reset' }, { code: 'UPSTREAM_UNAVAILABLE' }],
  ] as const)('%s on a read is a typed UpstreamError', async (_why, fault, expected) => {
    await read(); // session first
    sim.server.inject({ fault: fault as never, pathIncludes: '/ai/models' });
    const { value: err, movedMs } = await onClock(wire, caught(read()));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ backend: 'zs', ...expected });
    // Within a bound on the client's clock: no deadline passed, at most the waits of two retries.
    expect(movedMs).toBeLessThanOrEqual(RETRY_WAITS_MS);
  });


  it('a hanging read times out within the bound', async () => {
    // No user-tag read beside the held one: moving the clock to the held read's deadline would time
    // out a tag read still on its way too, and its retries would move the clock further.
    adapter = make({ timeoutMs: TIMEOUT_MS, readUserTags: false });
    await read();
    sim.server.inject({ fault: { kind: 'hang' }, pathIncludes: '/ai/models' });
    const { value: err, movedMs } = await onClock(wire, caught(read()), heldSince(sim.server));
    expect(err).toMatchObject({ code: 'UPSTREAM_TIMEOUT', backend: 'zs' });
    // The bound, on the client's clock: three attempts' deadlines and the waits between them.
    expect(movedMs).toBeLessThanOrEqual(3 * TIMEOUT_MS + RETRY_WAITS_MS);
  });

  it('a PUT that times out and did not apply is UNKNOWN (never retried blindly)', async () => {
    adapter = make({ timeoutMs: TIMEOUT_MS });
    await read();
    sim.server.inject({ fault: { kind: 'hang' }, method: 'PUT', times: 1 });
    const { value: err } = await onClock(wire, caught(adapter.update(QWEN, { description: 'maybe' })), heldSince(sim.server));
    expect(err).toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    expect(puts()).toHaveLength(1);
  });

  it('a PUT whose connection is reset is UNKNOWN when the re-read does not show the change', async () => {
    await read();
    sim.server.inject({ fault: { kind: 'reset' }, method: 'PUT', times: 1 });
    const err = await caught(adapter.update(QWEN, { description: 'lost in flight' }));
    expect(err).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', outcome: 'UNKNOWN' });
    expect(puts()).toHaveLength(1);
  });
});

describe('the user-tag query is auxiliary (ASSUMPTION(A9)): its failure degrades tags, not models', () => {
  it('with the route answering 404, getMany, list and update serve models; tags are deferred and their load is an error naming tags', async () => {
    sim.setUserTagsBehaviour({ route: false });
    const [d] = await adapter.getMany([QWEN]);
    expect(d).toMatchObject({ id: `zs:${QWEN}`, name: 'example', tags: [], tagsDeferred: true });
    const all = await adapter.list({});
    expect(all).toHaveLength(6);
    expect(all.every((m) => m.tagsDeferred === true)).toBe(true);
    const [tags] = await adapter.loadTags!([QWEN]);
    expect(tags).toBeInstanceOf(UpstreamError);
    expect(tags).toMatchObject({ backend: 'zs', status: 404, message: expect.stringContaining('tags unknown') });
    const r = await adapter.update(QWEN, { description: 'still writable', tags: ['t'] });
    expect(r.deployment.description).toBe('still writable');
    expect(r.fields?.map((f) => [f.field, f.state])).toEqual([
      ['description', 'CONFIRMED'],
      ['userTags', 'UNCONFIRMED'],
    ]);
    expect(logLines.some((l) => l.includes('ZStack user tags unavailable'))).toBe(true);
  });

  it('with readUserTags: false, the route is never called and tags are [] (not deferred)', async () => {
    adapter = make({ readUserTags: false });
    const [d] = await adapter.getMany([QWEN]);
    expect(d).toMatchObject({ tags: [] });
    expect((d as ModelDeployment).tagsDeferred).toBeUndefined();
    expect(calls('GET', '/user-tags')).toHaveLength(0);
  });
});

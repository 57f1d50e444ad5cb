import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createManualClock, type ManualClock } from '../../src/domain/clock.js';
import type { AdapterContext, AdapterInstance } from '../../src/domain/adapter.js';
import { ConflictError, NotFoundError, UpstreamError, ValidationError } from '../../src/domain/errors.js';
import type { Fault, FaultRule } from '../../src/simulator/server.js';
import { createHttpClient } from '../../src/http/client.js';
import { createSkippingClock, heldSince, latency, onClock, until } from '../../test/helpers.js';
import { northflankAdapter, type NorthflankBackendConfig } from './adapter.js';
import type { NorthflankKey } from './mapping.js';
import { createNorthflankSimulator, type NorthflankSimulator } from './simulator.js';
import northflankModule from './index.js';

const PHASE = 1000;
const DS_KEY = 'default-project/deepseek-v3-deployment';
const DS = '/v1/projects/default-project/llm-model-deployments/deepseek-v3-deployment';
const logger = pino({ level: 'silent' });

let clock: ManualClock;
/**
 * The upstream client's time: request deadlines and retry waits. A retry's wait ends at once
 * (moving it); a deadline passes only when a test moves it (onClock), and the simulator's
 * injected latency (`latency`) is on it too: no test waits for a timeout in real time.
 */
let wire: ManualClock;
let sim: NorthflankSimulator;
let instances: AdapterInstance<NorthflankKey>[] = [];

function ctx(backendId = 'nf'): AdapterContext {
  return {
    backendId,
    logger,
    clock,
    // The breaker is tested in the core; here every fault must reach the adapter as it is.
    http: (o) => createHttpClient({ ...o, backend: backendId, logger, clock: wire, retryBaseDelayMs: 5, breakerThreshold: 1000 }),
  };
}

function adapter(overrides: Partial<NorthflankBackendConfig> = {}) {
  const config = northflankAdapter.configSchema.parse({ id: 'nf', ...sim.backendConfig, timeoutMs: 2000, ...overrides });
  const instance = northflankAdapter.create(config, ctx());
  instances.push(instance);
  return instance;
}

const calls = () => sim.server.calls.map((c) => `${c.method} ${c.path}${c.query}`);

beforeEach(async () => {
  clock = createManualClock();
  wire = createSkippingClock();
  sim = await createNorthflankSimulator({ clock, phaseMs: PHASE });
});
afterEach(async () => {
  await Promise.all(instances.map((i) => i.close?.()));
  instances = [];
  await sim.close();
});

describe('config', () => {
  it.each([
    ['projects empty', { projects: [] }, 'projects'],
    ['a project that is no Northflank id', { projects: ['Default Project'] }, 'projects'],
    ['no token', { token: '' }, 'token'],
    ['a teamId with a slash', { teamId: 'a/b' }, 'teamId'],
    ['another vendor', { vendor: 'nemo' }, 'vendor'],
  ])('refuses %s', (_reason, override, key) => {
    const r = northflankAdapter.configSchema.safeParse({ id: 'nf', ...sim.backendConfig, ...override });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path[0]).toBe(key);
  });
});

describe('keys', () => {
  it('parses and formats <projectId>/<llmModelDeploymentId>', () => {
    const a = adapter();
    const key = a.parseKey(DS_KEY);
    expect(key).toEqual({ projectId: 'default-project', llmModelDeploymentId: 'deepseek-v3-deployment' });
    expect(a.formatKey(key)).toBe(DS_KEY);
  });

  it('refuses every bad key of the conformance case before any upstream call', async () => {
    const a = adapter();
    for (const bad of northflankModule.conformance.badKeys) {
      expect(() => a.parseKey(bad), bad).toThrow(ValidationError);
    }
    expect(sim.server.calls).toHaveLength(0);
  });
});

describe('reads', () => {
  it('getMany: one GET per key, NotFoundError in place', async () => {
    const a = adapter();
    const keys = [DS_KEY, 'default-project/no-such-model', 'ml-research/llama-3-1-8b-instruct'].map(a.parseKey);
    const [ds, missing, llama] = await a.getMany(keys);
    expect(ds).toMatchObject({ id: `nf:${DS_KEY}`, status: 'READY', vendorStatus: 'running', vendor: 'northflank' });
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ id: 'nf:default-project/no-such-model', backend: 'nf' });
    expect(llama).toMatchObject({ nativeId: 'ml-research/llama-3-1-8b-instruct', model: { name: 'meta-llama/Llama-3.1-8B-Instruct' } });
    expect(calls().sort()).toEqual([
      `GET ${DS}`,
      'GET /v1/projects/default-project/llm-model-deployments/no-such-model',
      'GET /v1/projects/ml-research/llm-model-deployments/llama-3-1-8b-instruct',
    ]);
    expect(sim.server.calls.every((c) => c.headers.authorization === `Bearer ${sim.token}`)).toBe(true);
  });

  it('list: every configured project, per_page=100, statuses mapped', async () => {
    const a = adapter();
    const items = await a.list({});
    expect(items).toHaveLength(8);
    expect(Object.fromEntries(items.map((d) => [d.nativeId, d.status]))).toEqual({
      'default-project/deepseek-v3-deployment': 'READY',
      'default-project/llama-3-1-70b-instruct': 'READY',
      'default-project/qwen2-5-7b-instruct': 'PENDING',
      'default-project/mistral-7b-instruct': 'FAILED',
      'default-project/gemma-2-9b-it': 'PAUSED',
      'ml-research/llama-3-1-8b-instruct': 'READY',
      'ml-research/qwen2-5-72b-instruct-awq': 'STARTING',
      'ml-research/phi-3-mini-4k-instruct': 'PROVISIONING',
    });
    expect(calls().sort()).toEqual([
      'GET /v1/projects/default-project/llm-model-deployments?per_page=100',
      'GET /v1/projects/ml-research/llm-model-deployments?per_page=100',
    ]);
  });

  it('list walks the cursor until hasNextPage is false', async () => {
    // 98 more than the 3 seeded: two pages of 100, the second with one item.
    for (let i = 0; i < 98; i++) {
      await fetch(`${sim.url}/v1/projects/ml-research/llm-model-deployments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `bulk-${i}`, spec: { type: 'custom', configuration: {} } }),
      });
    }
    sim.server.resetCalls();
    const a = adapter({ projects: ['ml-research'] });
    const items = await a.list({});
    expect(items).toHaveLength(101);
    expect(new Set(items.map((d) => d.id)).size).toBe(101);
    const c = calls();
    expect(c).toHaveLength(2);
    expect(c[0]).toBe('GET /v1/projects/ml-research/llm-model-deployments?per_page=100');
    expect(c[1]).toMatch(/^GET \/v1\/projects\/ml-research\/llm-model-deployments\?per_page=100&cursor=[A-Za-z0-9_-]+$/);
  });

  it('teamId config uses the /v1/teams/{teamId} paths', async () => {
    const a = adapter({ teamId: sim.teamId, projects: ['ml-research'] });
    await a.list({});
    await a.getMany([a.parseKey('ml-research/llama-3-1-8b-instruct')]);
    expect(calls()).toEqual([
      `GET /v1/teams/${sim.teamId}/projects/ml-research/llm-model-deployments?per_page=100`,
      `GET /v1/teams/${sim.teamId}/projects/ml-research/llm-model-deployments/llama-3-1-8b-instruct`,
    ]);
  });

  it('health: ok with latency; not ok with the reason when the token is wrong', async () => {
    expect(await adapter().health()).toEqual({ ok: true, message: null, latencyMs: 0 });
    const bad = await adapter({ token: 'wrong-token' }).health();
    expect(bad.ok).toBe(false);
    expect(bad.message).toContain('401');
    expect(bad.message).not.toContain('wrong-token');
  });
});

describe('planUpdate (dry run)', () => {
  it('returns the exact request and the changes; sends only the read', async () => {
    const a = adapter();
    const plan = await a.planUpdate(a.parseKey(DS_KEY), {
      description: 'A bigger disk',
      vendor: { spec: { configuration: { nodeConfiguration: { storage: { storageSize: 8192, shmSize: null } } } } },
    });
    expect(plan.requests).toEqual([
      // shmSize is `number | null` for Northflank (CONVENTIONS.md 1.4 item 3): the explicit null is sent.
      { method: 'POST', path: DS, body: { description: 'A bigger disk', spec: { configuration: { nodeConfiguration: { storage: { storageSize: 8192, shmSize: null } } } } } },
    ]);
    expect(plan.changes).toEqual([
      { field: 'description', before: 'A deployment for DeepSeek V3 model', after: 'A bigger disk' },
      { field: 'northflank.spec.configuration.nodeConfiguration.storage.storageSize', before: 6144, after: 8192 },
      { field: 'northflank.spec.configuration.nodeConfiguration.storage.shmSize', before: 16384, after: null },
    ]);
    expect(plan.current.id).toBe(`nf:${DS_KEY}`);
    expect(calls()).toEqual([`GET ${DS}`]);
  });

  it('names the teams path when teamId is configured', async () => {
    const a = adapter({ teamId: sim.teamId });
    const plan = await a.planUpdate(a.parseKey(DS_KEY), { name: 'renamed' });
    expect(plan.requests[0]!.path).toBe(`/v1/teams/${sim.teamId}/projects/default-project/llm-model-deployments/deepseek-v3-deployment`);
  });

  it.each([
    ['the conformance invalid patch', () => northflankModule.conformance.invalidPatch, () => northflankModule.conformance.invalidPath],
    ['a bad name', () => ({ name: 'x' }), () => ['name']],
    ['a bad tag', () => ({ tags: ['good-tag', 'bad tag'] }), () => ['tags', 1]],
    ['a bad enum value', () => ({ vendor: { spec: { configuration: { architecture: { workerConfig: { dataType: 'fp32' } } } } } }), () => ['northflank', 'spec', 'configuration', 'architecture', 'workerConfig', 'dataType']],
  ])('refuses %s before any upstream call', async (_reason, patch, path) => {
    const a = adapter();
    const err = await a.planUpdate(a.parseKey(DS_KEY), patch() as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]!.path).toEqual(path());
    await expect(a.update(a.parseKey(DS_KEY), patch() as never)).rejects.toBeInstanceOf(ValidationError);
    expect(sim.server.calls).toHaveLength(0);
  });
});

describe('update', () => {
  it('round trip: GET, POST with the partial body, GET; returns the re-read deployment', async () => {
    const a = adapter();
    clock.advance(1000);
    const result = await a.update(a.parseKey(DS_KEY), {
      name: 'deepseek v3 prod',
      tags: ['llm', 'prod'],
      vendor: { ports: [{ name: 'api', internalPort: 8080, protocol: 'HTTP/2', public: true }] },
    });
    const body = { name: 'deepseek v3 prod', tags: ['llm', 'prod'], ports: [{ name: 'api', internalPort: 8080, protocol: 'HTTP/2', public: true }] };
    expect(result.requests).toEqual([{ method: 'POST', path: DS, body }]);
    expect(calls()).toEqual([`GET ${DS}`, `POST ${DS}`, `GET ${DS}`]);
    expect(sim.server.calls[1]!.body).toEqual(body);
    expect(result.deployment).toMatchObject({ name: 'deepseek v3 prod', tags: ['llm', 'prod'], status: 'READY', version: new Date(clock.now()).toISOString() });
    expect(result.changes!.map((c) => c.field)).toEqual(['name', 'tags', 'northflank.ports']);
  });

  it('a spec change rolls out: the re-read is PENDING with a new version', async () => {
    const a = adapter();
    const before = (await a.getMany([a.parseKey(DS_KEY)]))[0] as { version: string };
    const r = await a.update(a.parseKey(DS_KEY), { vendor: { spec: { configuration: { revision: 'v2' } } } });
    expect(r.deployment.status).toBe('PENDING');
    expect(r.deployment.model?.revision).toBe('v2');
    expect(r.deployment.version).not.toBe(before.version);
  });

  it('an empty patch sends nothing', async () => {
    const a = adapter();
    const r = await a.update(a.parseKey(DS_KEY), { name: undefined, vendor: {} } as never);
    expect(r.requests).toEqual([]);
    expect(calls()).toEqual([`GET ${DS}`]);
  });

  it('expectedVersion: a stale one is a ConflictError and nothing is sent; the current one passes', async () => {
    const a = adapter();
    const current = sim.get(DS_KEY)!.updatedAt as string;
    const err = await a.update(a.parseKey(DS_KEY), { description: 'x' }, { expectedVersion: '2020-01-01T00:00:00.000Z' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ expectedVersion: '2020-01-01T00:00:00.000Z', actualVersion: current });
    expect(sim.server.count('POST')).toBe(0);
    await a.update(a.parseKey(DS_KEY), { description: 'x' }, { expectedVersion: current });
    expect(sim.server.count('POST')).toBe(1);
  });

  it('an unknown deployment is a NotFoundError without a write', async () => {
    const a = adapter();
    await expect(a.update(a.parseKey('default-project/gone'), { description: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    expect(sim.server.count('POST')).toBe(0);
  });

  it('the conformance valid patch applies', async () => {
    const a = adapter();
    const r = await a.update(a.parseKey(northflankModule.conformance.existingKey), northflankModule.conformance.validPatch);
    expect(northflankModule.conformance.applied(r.deployment)).toBe(true);
  });
});

/** A request's deadline in the fault tests (on `wire`): beyond onClock's short waits, so only a held request is timed out. */
const TIMEOUT_MS = 500;
/** Most the retry waits of one request add up to (two retries of the client's base delay, 5 ms, doubled). */
const RETRY_WAITS_MS = 5 + 10;

describe('faults on reads give a typed error within a bounded time', () => {
  it.each<[string, Fault, string, number]>([
    ['503 (retried twice)', { kind: 'status', status: 503 }, 'UPSTREAM_UNAVAILABLE', 3],
    ['500', { kind: 'status', status: 500 }, 'UPSTREAM_ERROR', 1],
    ['403', { kind: 'status', status: 403 }, 'UPSTREAM_AUTH', 1],
    ['429 with a long Retry-After (not waited for)', { kind: 'rate-limit', retryAfterSeconds: 60 }, 'RATE_LIMITED', 1],
    ['connection reset', { kind: 'reset' }, 'UPSTREAM_UNAVAILABLE', 3],
    ['garbled JSON', { kind: 'garbled' }, 'UPSTREAM_ERROR', 1],
    ['truncated body', { kind: 'truncated' }, 'UPSTREAM_UNAVAILABLE', 3],
    ['wrong shape', { kind: 'wrong-shape' }, 'UPSTREAM_ERROR', 1],
    ['no answer', { kind: 'hang' }, 'UPSTREAM_TIMEOUT', 3],
  ])('%s', async (_reason, fault, code, attempts) => {
    const a = adapter({ timeoutMs: TIMEOUT_MS });
    sim.server.inject(fault);
    const { value: [got], movedMs } = await onClock(wire, a.getMany([a.parseKey(DS_KEY)]), heldSince(sim.server, fault));
    // Bounded on the client's clock: each attempt's deadline, and the retry waits between them.
    expect(movedMs).toBeLessThanOrEqual(attempts * TIMEOUT_MS + RETRY_WAITS_MS);
    expect(got).toBeInstanceOf(UpstreamError);
    expect(got).toMatchObject({ code, backend: 'nf', request: { method: 'GET', path: DS } });
    expect(sim.server.count('GET')).toBe(attempts);
    await expect(onClock(wire, a.list({}), heldSince(sim.server, fault))).rejects.toMatchObject({ code });
  });

  it('vendor error bodies are read: status, id and message', async () => {
    const a = adapter({ token: 'wrong-token' });
    const [got] = await a.getMany([a.parseKey(DS_KEY)]);
    expect(got).toMatchObject({ code: 'UPSTREAM_AUTH', status: 401, vendorCode: 'unauthorized', vendorMessage: 'Invalid API token' });
    expect(JSON.stringify({ m: (got as Error).message, e: (got as UpstreamError).extensions })).not.toContain('wrong-token');
  });

  it('a 429 without Retry-After: the wait is read from x-ratelimit-reset (CONVENTIONS.md 1.6)', async () => {
    const a = adapter();
    sim.server.inject({ fault: { kind: 'status', status: 429, headers: { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '60' } }, times: 1 });
    const [got] = await a.getMany([a.parseKey(DS_KEY)]);
    expect(got).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 60_000 });
    expect(sim.server.count('GET')).toBe(1);
  });

  it('a short Retry-After is honoured and the read succeeds', async () => {
    const a = adapter();
    sim.server.inject({ fault: { kind: 'rate-limit', retryAfterSeconds: 0 }, times: 1 });
    const [got] = await a.getMany([a.parseKey(DS_KEY)]);
    expect(got).toMatchObject({ status: 'READY' });
    expect(sim.server.count('GET')).toBe(2);
  });
});

describe('faults on the update: never retried blindly, outcome reported', () => {
  const postRule = (fault: Fault, times = 1): FaultRule => ({ fault, method: 'POST', times });

  it.each<[string, Fault, string, string]>([
    ['a vendor 400', { kind: 'status', status: 400, body: { error: { status: 400, message: 'Invalid request body', id: 'validation-error', details: [] } } }, 'UPSTREAM_ERROR', 'NOT_APPLIED'],
    ['429', { kind: 'rate-limit', retryAfterSeconds: 1 }, 'RATE_LIMITED', 'NOT_APPLIED'],
    ['401', { kind: 'status', status: 401 }, 'UPSTREAM_AUTH', 'NOT_APPLIED'],
  ])('%s: one POST, no re-read', async (_reason, fault, code, outcome) => {
    const a = adapter();
    sim.server.inject(postRule(fault));
    await expect(a.update(a.parseKey(DS_KEY), { description: 'x' })).rejects.toMatchObject({ code, outcome });
    expect(calls()).toEqual([`GET ${DS}`, `POST ${DS}`]);
  });

  it('a 500 without effect: re-read shows nothing → NOT_APPLIED', async () => {
    const a = adapter();
    sim.server.inject(postRule({ kind: 'status', status: 500 }));
    const err = await a.update(a.parseKey(DS_KEY), { description: 'x' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UPSTREAM_ERROR', status: 500, outcome: 'NOT_APPLIED' });
    expect(calls()).toEqual([`GET ${DS}`, `POST ${DS}`, `GET ${DS}`]);
    expect(sim.get(DS_KEY)!.description).toBe('A deployment for DeepSeek V3 model');
  });

  it.each<[string, Fault, string]>([
    ['no answer', { kind: 'hang' }, 'UPSTREAM_TIMEOUT'],
    ['connection reset', { kind: 'reset' }, 'UPSTREAM_UNAVAILABLE'],
  ])('%s and no change on re-read → UNKNOWN (the request may still land)', async (_reason, fault, code) => {
    const a = adapter({ timeoutMs: TIMEOUT_MS });
    sim.server.inject(postRule(fault));
    const { value: err, movedMs } = await onClock(wire, a.update(a.parseKey(DS_KEY), { description: 'x' }).catch((e: unknown) => e), heldSince(sim.server, fault));
    // One deadline at most: the write is not retried.
    expect(movedMs).toBeLessThanOrEqual(TIMEOUT_MS);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ code, outcome: 'UNKNOWN' });
    expect(calls()).toEqual([`GET ${DS}`, `POST ${DS}`, `GET ${DS}`]);
  });

  it('a late answer: the re-read after the timeout does not show it yet → UNKNOWN, and it lands later', async () => {
    const a = adapter({ timeoutMs: TIMEOUT_MS });
    // The write is held until `wire` has moved 2 × the timeout past its arrival.
    sim.server.inject(postRule(latency(wire, () => 2 * TIMEOUT_MS)));
    const post = () => sim.server.calls.filter((c) => c.method === 'POST');
    const update = a.update(a.parseKey(DS_KEY), { description: 'late' });
    await expect(onClock(wire, update, () => post().filter((c) => c.status === 0).length)).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT', outcome: 'UNKNOWN' });
    expect(sim.get(DS_KEY)!.description).not.toBe('late');
    // The simulator answers the write once its latency has passed: then it has landed.
    wire.advance(TIMEOUT_MS);
    await until('the late write to be handled', () => post().some((c) => c.status !== 0));
    expect(sim.get(DS_KEY)!.description).toBe('late');
  });

  it('an answer lost after the write took effect: the re-read shows it → success', async () => {
    // The write lands after the client gave up on it (its deadline at 500 ms, its handling at 600
    // ms); the re-read, sent at 500 ms, is answered at 700 ms, after it.
    const a = adapter({ timeoutMs: TIMEOUT_MS });
    sim.server.inject(postRule(latency(wire, () => TIMEOUT_MS + 100)));
    const arrived = (method: string, n = 1) => until(`${method} #${n} to reach the simulator`, () => sim.server.count(method) >= n);
    const update = a.update(a.parseKey(DS_KEY), { description: 'landed' });
    await arrived('POST');
    sim.server.inject({ fault: latency(wire, () => 200), method: 'GET', times: 1 });
    wire.advance(TIMEOUT_MS);
    await arrived('GET', 2);
    wire.advance(100);
    await until('the write to be handled', () => sim.server.calls.some((c) => c.method === 'POST' && c.status !== 0));
    expect(sim.get(DS_KEY)!.description).toBe('landed');
    wire.advance(100);
    const r = await update;
    expect(r.deployment.description).toBe('landed');
    expect(calls()).toEqual([`GET ${DS}`, `POST ${DS}`, `GET ${DS}`]);
  });

  it('a 200 whose write did not happen (garbled answer) is not a success', async () => {
    const a = adapter();
    sim.server.inject(postRule({ kind: 'garbled' }));
    await expect(a.update(a.parseKey(DS_KEY), { description: 'x' })).rejects.toMatchObject({ code: 'UPSTREAM_ERROR', outcome: 'UNKNOWN' });
  });
});

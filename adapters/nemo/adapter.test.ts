import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../src/domain/clock.js';
import {
  ConflictError,
  NotFoundError,
  UnsupportedFieldError,
  UpstreamError,
  ValidationError,
} from '../../src/domain/errors.js';
import { createHttpClient } from '../../src/http/client.js';
import type { UpdatePatch } from '../../src/domain/patch.js';
import { nemoAdapter, type NemoAdapterInstance, type NemoKey } from './adapter.js';
import { createNemoSimulator, type NemoSimulator } from './simulator.js';
import nemoModule from './index.js';
import { createSkippingClock, heldSince, latency, onClock, until } from '../../test/helpers.js';

const A = '/apis/models/v2/workspaces/research-team-alpha';
const P = '/apis/models/v2/workspaces/prod-inference';
const LLAMA = 'research-team-alpha/llama-3.1-8b';

let sim: NemoSimulator;
let clock: ManualClock;
/**
 * The upstream client's time: request deadlines and retry waits. A retry's wait ends at once
 * (moving it); a deadline passes only when a test moves it (onClock), and the simulator's
 * injected latency (`latency`) is on it too: no test waits for a timeout in real time.
 */
let wire: ManualClock;
let nemo: NemoAdapterInstance;

/** The client's deadline (on `wire`): beyond onClock's short waits, so only a held request is timed out. */
const TIMEOUT_MS = 500;
/** Most the retry waits of one request add up to (two retries of the client's base delay, 5 ms, doubled). */
const RETRY_WAITS_MS = 5 + 10;


function makeInstance(overrides: Record<string, unknown> = {}): NemoAdapterInstance {
  const logger = pino({ level: 'silent' });
  const config = nemoAdapter.configSchema.parse({ id: 'nemo', ...sim.backendConfig, timeoutMs: TIMEOUT_MS, ...overrides });
  return nemoAdapter.create(config, {
    backendId: 'nemo',
    logger,
    clock,
    http: (o) => createHttpClient({ ...o, backend: 'nemo', logger, clock: wire, retryBaseDelayMs: 5 }),
  }) as NemoAdapterInstance;
}

const calls = () => sim.server.calls.map((c) => `${c.method} ${c.path}${c.query}`);
const key = (k: string): NemoKey => nemo.parseKey(k);
const rejection = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
};

beforeEach(async () => {
  clock = createManualClock();
  wire = createSkippingClock();
  sim = await createNemoSimulator({ clock, phaseMs: 1000 });
  nemo = makeInstance();
});
afterEach(async () => {
  await nemo.close?.();
  await sim.close();
});

describe('keys', () => {
  it('parses <workspace>/<name> and formats it back', () => {
    expect(nemo.parseKey(LLAMA)).toEqual({ workspace: 'research-team-alpha', name: 'llama-3.1-8b' });
    expect(nemo.formatKey({ workspace: 'w.1', name: 'A_b-c.d' })).toBe('w.1/A_b-c.d');
  });

  it('refuses every bad key of the conformance case without an upstream call', () => {
    for (const bad of nemoModule.conformance.badKeys) {
      expect(() => nemo.parseKey(bad), bad).toThrow(ValidationError);
    }
    expect(sim.server.calls).toHaveLength(0);
  });
});

describe('reads', () => {
  it('getMany: one GET per key, NotFoundError in place; unconfigured workspaces never reach the vendor', async () => {
    const out = await nemo.getMany([key(LLAMA), key('research-team-alpha/nope'), key('elsewhere/llama-3.1-8b'), key('prod-inference/starcoder2-15b')]);
    expect((out[0] as any).id).toBe('nemo:research-team-alpha/llama-3.1-8b');
    expect((out[0] as any).version).toBe('3');
    expect(out[1]).toBeInstanceOf(NotFoundError);
    expect((out[1] as NotFoundError).id).toBe('nemo:research-team-alpha/nope');
    expect(out[2]).toBeInstanceOf(NotFoundError);
    expect(out[3]).toMatchObject({ status: 'UNKNOWN', vendorStatus: 'LOST' });
    expect(calls().sort()).toEqual(
      [`GET ${A}/deployments/llama-3.1-8b`, `GET ${A}/deployments/nope`, `GET ${P}/deployments/starcoder2-15b`].sort(),
    );
  });

  it('lists every configured workspace', async () => {
    const all = await nemo.list({});
    expect(all.map((d) => d.id)).toEqual([
      'nemo:research-team-alpha/llama-3.1-8b',
      'nemo:research-team-alpha/mistral-7b-instruct',
      'nemo:research-team-alpha/nemotron-mini-4b',
      'nemo:prod-inference/llama-3.1-70b-instruct',
      'nemo:prod-inference/nv-embedqa-e5-v5',
      'nemo:prod-inference/starcoder2-15b',
    ]);
    expect(calls()).toEqual([
      `GET ${A}/deployments?page=1&page_size=100&sort=name`,
      `GET ${P}/deployments?page=1&page_size=100&sort=name`,
    ]);
  });

  it('walks every page the vendor reports', async () => {
    sim.server.inject({
      pathIncludes: '/research-team-alpha/deployments',
      times: 1,
      fault: {
        kind: 'status',
        status: 200,
        body: { data: [sim.deployment(LLAMA)], pagination: { page: 1, page_size: 1, current_page_size: 1, total_pages: 2, total_results: 2 } },
      },
    });
    const items = await nemo.list({ backends: ['nemo'] });
    expect(calls()).toContain(`GET ${A}/deployments?page=2&page_size=100&sort=name`);
    expect(items.filter((d) => d.nativeId.startsWith('research-team-alpha/')).length).toBe(1 + 0);
  });

  it.each([
    [['READY'], '&filter%5Bstatus%5D=READY', ['llama-3.1-8b', 'llama-3.1-70b-instruct', 'nv-embedqa-e5-v5']],
    [['FAILED'], '&filter%5Bstatus%5D=ERROR', ['mistral-7b-instruct']],
  ] as const)('pushes a single status %j down as filter[status]', async (statuses, query, names) => {
    const items = await nemo.list({ statuses: [...statuses] });
    expect(items.map((d) => d.name)).toEqual(names);
    expect(calls()).toEqual([`GET ${A}/deployments?page=1&page_size=100&sort=name${query}`, `GET ${P}/deployments?page=1&page_size=100&sort=name${query}`]);
  });

  it('filters locally when a status is several NeMo words, and calls nobody for a status NeMo lacks', async () => {
    await nemo.list({ statuses: ['PENDING'] });
    expect(calls().every((c) => !c.includes('filter'))).toBe(true);
    sim.server.resetCalls();
    expect(await nemo.list({ statuses: ['PAUSED'] })).toEqual([]);
    expect(sim.server.calls).toHaveLength(0);
  });

  it('reads versions for the lazy GraphQL field', async () => {
    const versions = await nemo.listVersions(key(LLAMA));
    expect(versions.map((v) => v.entity_version)).toEqual([3, 2, 1]);
    expect(calls()).toEqual([`GET ${A}/deployments/llama-3.1-8b/versions`]);
  });
});

describe('update', () => {
  it('round trip: reads, checks the config, POSTs once, re-reads version N+1', async () => {
    const r = await nemo.update(key(LLAMA), { vendor: { config: 'llama-config-v3' } }, { expectedVersion: '3' });
    expect(r.deployment).toMatchObject({ version: '4', status: 'PENDING', vendorStatus: 'PENDING' });
    expect(r.deployment.raw).toMatchObject({ config: 'llama-config-v3', config_version: 1 });
    expect(r.requests).toEqual([{ method: 'POST', path: `${A}/deployments/llama-3.1-8b`, body: { config: 'llama-config-v3' } }]);
    expect(r.changes).toEqual([
      { field: 'version', before: '3', after: '4' },
      { field: 'nemo.config', before: 'llama-config-v2', after: 'llama-config-v3' },
      { field: 'nemo.configVersion', before: 2, after: 1 },
    ]);
    expect(calls()).toEqual([
      `GET ${A}/deployments/llama-3.1-8b`,
      `GET ${A}/deployment-configs/llama-config-v3`,
      `POST ${A}/deployments/llama-3.1-8b`,
      `GET ${A}/deployments/llama-3.1-8b`,
    ]);
    expect(sim.server.calls[2]!.body).toEqual({ config: 'llama-config-v3' });
  });

  it('pins a config version', async () => {
    const r = await nemo.update(key(LLAMA), { vendor: { config: 'llama-config-v2', configVersion: 1 } });
    expect(r.deployment.raw).toMatchObject({ entity_version: 4, config: 'llama-config-v2', config_version: 1 });
    expect(calls()[1]).toBe(`GET ${A}/deployment-configs/llama-config-v2/versions/1`);
    expect(sim.server.calls[2]!.body).toEqual({ config: 'llama-config-v2', config_version: 1 });
  });

  it('plans without writing', async () => {
    const plan = await nemo.planUpdate(key(LLAMA), { vendor: { config: 'llama-config-v2', configVersion: null } });
    expect(plan.requests).toEqual([{ method: 'POST', path: `${A}/deployments/llama-3.1-8b`, body: { config: 'llama-config-v2' } }]);
    expect(plan.current.version).toBe('3');
    expect(sim.server.count('POST')).toBe(0);
  });

  it.each<[UpdatePatch, string]>([
    [{ name: 'renamed' }, 'name'],
    [{ description: 'x', vendor: { config: 'llama-config-v3' } }, 'description'],
    [{ tags: ['a'] }, 'tags'],
  ])('refuses common field %j as unsupported, calling nobody', async (patch, field) => {
    const err = await rejection(nemo.update(key(LLAMA), patch));
    expect(err).toBeInstanceOf(UnsupportedFieldError);
    expect(err).toMatchObject({ field, vendor: 'nemo' });
    expect((err as UnsupportedFieldError).reason).toMatch(/immutable versions/);
    expect(sim.server.calls).toHaveLength(0);
  });

  it.each<[UpdatePatch, (string | number)[], string]>([
    [{}, ['nemo', 'config'], 'required'],
    [{ vendor: { config: null } }, ['nemo', 'config'], 'required'],
    [{ vendor: { config: '' } }, ['nemo', 'config'], 'min_length'],
    [{ vendor: { config: 'llama config!' } }, ['nemo', 'config'], 'pattern'],
    [{ vendor: { config: 'x'.repeat(256) } }, ['nemo', 'config'], 'max_length'],
    [{ vendor: { config: 'llama-config-v2', configVersion: 0 } }, ['nemo', 'configVersion'], 'min'],
    [{ vendor: { config: 'llama-config-v2', configVersion: 1.5 } }, ['nemo', 'configVersion'], 'type'],
  ])('refuses %j at %j (%s) before any call', async (patch, path, rule) => {
    const err = await rejection(nemo.update(key(LLAMA), patch));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]).toMatchObject({ path, rule });
    expect(sim.server.calls).toHaveLength(0);
  });

  it.each<[UpdatePatch, (string | number)[], string[]]>([
    [{ vendor: { config: 'no-such-config' } }, ['nemo', 'config'], [`GET ${A}/deployment-configs/no-such-config`]],
    [
      { vendor: { config: 'llama-config-v2', configVersion: 9 } },
      ['nemo', 'configVersion'],
      [`GET ${A}/deployment-configs/llama-config-v2/versions/9`, `GET ${A}/deployment-configs/llama-config-v2`],
    ],
    [
      { vendor: { config: 'nope', configVersion: 1 } },
      ['nemo', 'config'],
      [`GET ${A}/deployment-configs/nope/versions/1`, `GET ${A}/deployment-configs/nope`],
    ],
  ])('refuses an unknown config reference %j at %j without a write', async (patch, path, configCalls) => {
    const err = await rejection(nemo.update(key(LLAMA), patch));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]).toMatchObject({ path, rule: 'exists' });
    expect(calls()).toEqual([`GET ${A}/deployments/llama-3.1-8b`, ...configCalls]);
  });

  it('refuses a stale expectedVersion with ConflictError and no POST', async () => {
    const err = await rejection(nemo.update(key(LLAMA), { vendor: { config: 'llama-config-v3' } }, { expectedVersion: '2' }));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ expectedVersion: '2', actualVersion: '3', id: 'nemo:research-team-alpha/llama-3.1-8b' });
    expect(sim.server.count('POST')).toBe(0);
  });

  it('answers NotFoundError for an unknown deployment, without a POST', async () => {
    const err = await rejection(nemo.update(key('research-team-alpha/nope'), { vendor: { config: 'llama-config-v3' } }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(sim.server.count('POST')).toBe(0);
  });

  it('maps the POST\u2019s 400 "does not exist" to NotFoundError (CONVENTIONS.md 0.4)', async () => {
    sim.server.inject({
      method: 'POST',
      times: 1,
      fault: { kind: 'status', status: 400, body: { detail: "Deployment with workspace 'research-team-alpha' and name 'llama-3.1-8b' does not exist" } },
    });
    const err = await rejection(nemo.update(key(LLAMA), { vendor: { config: 'llama-config-v3' } }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(sim.server.count('POST')).toBe(1);
  });

  it('maps a 422 from NeMo to a ValidationError whose paths come from loc', async () => {
    sim.server.inject({
      method: 'POST',
      times: 1,
      fault: {
        kind: 'status',
        status: 422,
        body: {
          detail: [
            { loc: ['body', 'config'], msg: 'String should have at most 255 characters', type: 'string_too_long', input: 'x', ctx: { max_length: 255 } },
            { loc: ['body', 'config_version'], msg: 'Input should be a valid integer', type: 'int_type', input: [] },
          ],
        },
      },
    });
    const err = await rejection(nemo.update(key(LLAMA), { vendor: { config: 'llama-config-v3' } }));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toEqual([
      { path: ['nemo', 'config'], rule: 'max_length', message: 'String should have at most 255 characters' },
      { path: ['nemo', 'configVersion'], rule: 'type', message: 'Input should be a valid integer' },
    ]);
  });

  it.each(['.', '..'])('refuses the config name %j before any call', async (config) => {
    const err = await rejection(nemo.update(key(LLAMA), { vendor: { config } }));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]).toMatchObject({ path: ['nemo', 'config'] });
    expect(sim.server.calls).toHaveLength(0);
  });

  it('maps the 422 form of an unknown config (simulator option) to nemo.config', async () => {
    await sim.close();
    sim = await createNemoSimulator({ clock, unknownConfigAnswer: '422' });
    await nemo.close?.();
    nemo = makeInstance();
    // The config exists when checked but is refused at the POST (e.g. deleted in between).
    sim.server.inject({
      method: 'POST',
      times: 1,
      fault: { kind: 'status', status: 422, body: { detail: [{ loc: ['body', 'config'], msg: "Deployment config 'research-team-alpha/llama-config-v3' does not exist", type: 'value_error' }] } },
    });
    const err = await rejection(nemo.update(key(LLAMA), { vendor: { config: 'llama-config-v3' } }));
    expect((err as ValidationError).issues[0]).toMatchObject({ path: ['nemo', 'config'], rule: 'value_error' });
  });

  describe('ambiguous writes are never retried', () => {
    it.each([
      [{ kind: 'status', status: 503 } as const, 'UPSTREAM_UNAVAILABLE', 'NOT_APPLIED'],
      [{ kind: 'status', status: 500 } as const, 'UPSTREAM_ERROR', 'NOT_APPLIED'],
      [{ kind: 'garbled' } as const, 'UPSTREAM_ERROR', 'NOT_APPLIED'],
      // No answer: the POST may still be handled after the re-read.
      [{ kind: 'reset' } as const, 'UPSTREAM_UNAVAILABLE', 'UNKNOWN'],
      [{ kind: 'hang' } as const, 'UPSTREAM_TIMEOUT', 'UNKNOWN'],
    ])('%j on the POST: one POST, a re-read, code %s, outcome %s', async (fault, code, outcome) => {
      sim.server.inject({ method: 'POST', fault, times: 1 });
      const versionsBefore = sim.versionCount();
      const { value: err, movedMs } = await onClock(wire, rejection(nemo.update(key(LLAMA), { vendor: { config: 'llama-config-v3' } })), heldSince(sim.server, fault));
      // One deadline at most (on the client's clock): the write is not retried.
      expect(movedMs).toBeLessThanOrEqual(TIMEOUT_MS);
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err).toMatchObject({ code, outcome, backend: 'nemo' });
      expect(err.message).toMatch(/no version 4 exists as of the re-read/);
      expect(sim.server.count('POST')).toBe(1);
      expect(calls().at(-1)).toBe(`GET ${A}/deployments/llama-3.1-8b/versions/4`);
      expect(sim.versionCount()).toBe(versionsBefore);
    });

    it('a lost answer to a POST that did land is a success after the re-read', async () => {
      // The POST is handled after the client gave up on it (its deadline at 500 ms, its handling
      // at 700 ms); the re-read, sent at 500 ms, is answered at 900 ms, after it.
      sim.server.inject({ method: 'POST', fault: latency(wire, () => 700), times: 1 });
      sim.server.inject({ method: 'GET', pathIncludes: '/versions/4', fault: latency(wire, () => 400), times: 1 });
      const arrived = (what: string, match: (c: { method: string; path: string }) => boolean) => until(`${what} to reach the simulator`, () => sim.server.calls.some(match));
      const update = nemo.update(key(LLAMA), { vendor: { config: 'llama-config-v3' } });
      await arrived('the POST', (c) => c.method === 'POST');
      wire.advance(TIMEOUT_MS);
      await arrived('the re-read', (c) => c.method === 'GET' && c.path.endsWith('/versions/4'));
      wire.advance(200);
      await until('the POST to be handled', () => sim.server.calls.some((c) => c.method === 'POST' && c.status !== 0));
      expect(sim.versions(LLAMA)[0]).toMatchObject({ entity_version: 4, config: 'llama-config-v3' });
      wire.advance(200);
      const r = await update;
      expect(r.deployment.raw).toMatchObject({ entity_version: 4, config: 'llama-config-v3' });
      expect(sim.server.count('POST')).toBe(1);
    });

    it('a version that landed with another config is UNKNOWN', async () => {
      // Our read of the config is held until someone else's version has landed and our write's answer is set to be lost.
      let release!: () => void;
      const otherLanded = new Promise<void>((resolve) => (release = resolve));
      sim.server.inject({ method: 'GET', pathIncludes: '/deployment-configs/', fault: { kind: 'gate', until: () => otherLanded }, times: 1 });
      const pending = rejection(nemo.update(key(LLAMA), { vendor: { config: 'llama-config-v3' } }));
      await until('our read of the config to reach the simulator', () => sim.server.calls.some((c) => c.method === 'GET' && c.path.includes('/deployment-configs/')));
      // Someone else's version 4 lands between our read and our write; our write's answer is lost.
      const other = await fetch(`${sim.url}${A}/deployments/llama-3.1-8b`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ config: 'llama-config-v1' }),
      });
      expect(other.status).toBe(201);
      sim.server.inject({ method: 'POST', fault: { kind: 'status', status: 504 }, times: 1 });
      release();
      const err = await pending;
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err).toMatchObject({ outcome: 'UNKNOWN', code: 'UPSTREAM_UNAVAILABLE' });
      expect(err.message).toMatch(/version 4 exists but points to llama-config-v1/);
      expect(sim.server.count('POST')).toBe(2);
    });
  });
});

describe('faults on reads give typed errors within a bounded time', () => {
  it.each([
    [{ kind: 'status', status: 500 } as const, 'UPSTREAM_ERROR', 1],
    [{ kind: 'status', status: 503 } as const, 'UPSTREAM_UNAVAILABLE', 3],
    [{ kind: 'status', status: 401 } as const, 'UPSTREAM_AUTH', 1],
    [{ kind: 'garbled' } as const, 'UPSTREAM_ERROR', 1],
    [{ kind: 'wrong-shape' } as const, 'UPSTREAM_ERROR', 1],
    [{ kind: 'truncated' } as const, 'UPSTREAM_UNAVAILABLE', 3],
    [{ kind: 'reset' } as const, 'UPSTREAM_UNAVAILABLE', 3],
    [{ kind: 'hang' } as const, 'UPSTREAM_TIMEOUT', 3],
  ])('%j → %s after %i call(s)', async (fault, code, count) => {
    sim.server.inject({ method: 'GET', fault });
    const { value: [out], movedMs } = await onClock(wire, nemo.getMany([key(LLAMA)]), heldSince(sim.server, fault));
    // Bounded on the client's clock: each attempt's deadline, and the retry waits between them.
    expect(movedMs).toBeLessThanOrEqual(count * TIMEOUT_MS + RETRY_WAITS_MS);
    expect(out).toBeInstanceOf(UpstreamError);
    expect(out).toMatchObject({ code, backend: 'nemo', request: { method: 'GET', path: `${A}/deployments/llama-3.1-8b` } });
    expect(sim.server.count('GET')).toBe(count);
  });

  it('a list of the wrong shape is an UpstreamError naming the problem', async () => {
    sim.server.inject({ method: 'GET', fault: { kind: 'wrong-shape' } });
    const err = await rejection(nemo.list({}));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toMatch(/wrong shape/);
  });

  it('a list item that cannot be read is skipped; its neighbours are listed', async () => {
    const good = sim.deployment('research-team-alpha/llama-3.1-8b')!;
    sim.server.inject({
      method: 'GET',
      times: 1,
      fault: { kind: 'status', status: 200, body: { data: [{ name: 'x' }, good], pagination: { page: 1, page_size: 100, current_page_size: 2, total_pages: 1, total_results: 2 } } },
    });
    const listed = await nemo.list({});
    expect(listed.map((d) => d.nativeId)).toContain('research-team-alpha/llama-3.1-8b');
    expect(listed.map((d) => d.name)).not.toContain('x');
  });

  it('a Page of the wrong shape is an UpstreamError', async () => {
    sim.server.inject({ method: 'GET', times: 1, fault: { kind: 'status', status: 200, body: { data: {}, pagination: {} } } });
    const err = await rejection(nemo.list({}));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.message).toMatch(/Page of the wrong shape/);
  });

  it('health reports a failing backend', async () => {
    expect(await nemo.health()).toMatchObject({ ok: true, message: null });
    sim.server.inject({ method: 'GET', fault: { kind: 'status', status: 500 } });
    expect(await nemo.health()).toMatchObject({ ok: false, latencyMs: null });
  });
});

describe('Bearer auth', () => {
  beforeEach(async () => {
    await nemo.close?.();
    await sim.close();
    sim = await createNemoSimulator({ clock, token: 'nemo-secret-token' });
    nemo = makeInstance();
  });

  it('sends the token from the backend config', async () => {
    const [d] = await nemo.getMany([key(LLAMA)]);
    expect((d as any).version).toBe('3');
    expect(sim.server.calls[0]!.headers.authorization).toBe('Bearer nemo-secret-token');
  });

  it('a wrong token is UPSTREAM_AUTH, and the token appears in no error', async () => {
    await nemo.close?.();
    nemo = makeInstance({ token: 'wrong-token' });
    const [err] = await nemo.getMany([key(LLAMA)]);
    expect(err).toMatchObject({ code: 'UPSTREAM_AUTH', status: 401, vendorMessage: 'Invalid authentication credentials' });
    expect(JSON.stringify({ m: (err as Error).message, e: (err as UpstreamError).extensions })).not.toMatch(/wrong-token|nemo-secret-token/);
  });

  it('without a token nothing is served and nothing is written', async () => {
    await nemo.close?.();
    nemo = makeInstance({ token: undefined });
    const err = await rejection(nemo.update(key(LLAMA), { vendor: { config: 'llama-config-v3' } }));
    expect(err).toMatchObject({ code: 'UPSTREAM_AUTH' });
    expect(sim.server.count('POST')).toBe(0);
  });
});

describe('config', () => {
  it.each([
    [{ workspaces: [] }, 'workspaces'],
    [{ workspaces: ['..'] }, 'workspaces'],
    [{ workspaces: ['a/b'] }, 'workspaces'],
    [{ vendor: 'zstack' }, 'vendor'],
    [{ baseUrl: 'not a url' }, 'baseUrl'],
    [{ token: '' }, 'token'],
  ])('refuses %j', (over, field) => {
    const r = nemoAdapter.configSchema.safeParse({ id: 'nemo', vendor: 'nemo', baseUrl: 'http://127.0.0.1:1', workspaces: ['w'], ...over });
    expect(r.success).toBe(false);
    expect(String(r.error!.issues[0]!.path[0])).toBe(field);
  });

  it('is what the simulator hands out', () => {
    expect(nemoAdapter.configSchema.safeParse({ id: 'nemo', ...sim.backendConfig }).success).toBe(true);
  });
});

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../src/domain/clock.js';
import { checkBody, seedOperations, transcriptionProblems } from './seed/validators.js';
import { createZStackSimulator, parseJsonExact, type ZStackSimulator } from './simulator.js';

const sha512Hex = (text: string) => createHash('sha512').update(text, 'utf8').digest('hex');

const QWEN = '1bb3ef7d600d4d30b21b8ffd299c37b5';
const LLAMA = 'a7c3e91b2d4f48609e5b1a2c3d4e5f60';
const MISSING = '0123456789abcdef0123456789abcdef';

let clock: ManualClock;
let sim: ZStackSimulator;

async function call(method: string, path: string, opts: { body?: unknown; auth?: string | null; query?: string[][] } = {}) {
  const url = new URL(sim.url + path);
  for (const [k, v] of opts.query ?? []) url.searchParams.append(k!, v!);
  const headers: Record<string, string> = {};
  if (opts.auth) headers.authorization = opts.auth;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  let json: any;
  try {
    json = parseJsonExact(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, type: res.headers.get('content-type') ?? '' };
}

async function login(password = sim.password, accountName = 'admin') {
  return call('PUT', '/zstack/v1/accounts/login', { body: { logInByAccount: { accountName, password: sha512Hex(password) } } });
}

async function session(): Promise<string> {
  const r = await login();
  expect(r.status).toBe(200);
  return `OAuth ${r.json.inventory.uuid}`;
}

beforeEach(async () => {
  clock = createManualClock();
  sim = await createZStackSimulator({ clock, sessionTtlMs: 60_000 });
});
afterEach(() => sim.close());

describe('login, sessions, Authorization (CONVENTIONS.md 3.2)', () => {
  it('logs in with the SHA-512 hex password and returns a SessionInventory with Gson dates', async () => {
    const r = await login();
    expect(r.status).toBe(200);
    expect(r.json.inventory.uuid).toMatch(/^[0-9a-f]{32}$/);
    expect(r.json.inventory.createDate).toBe('Jan 15, 2026 9:00:00 AM');
    expect(r.json.inventory.expiredDate).toBe('Jan 15, 2026 9:01:00 AM');
    expect(sim.logins()).toBe(1);
  });

  it.each([
    ['a wrong password', () => login('not-the-password'), 'ID.1000'],
    ['a wrong account', () => login(sim.password, 'root'), 'ID.1000'],
    ['a plain (unhashed) password', () => call('PUT', '/zstack/v1/accounts/login', { body: { logInByAccount: { accountName: 'admin', password: sim.password } } }), 'ID.1000'],
    ['no password', () => call('PUT', '/zstack/v1/accounts/login', { body: { logInByAccount: { accountName: 'admin' } } }), 'SYS.1007'],
  ])('refuses %s with a 503 ErrorCode', async (_why, send, code) => {
    const r = await send();
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe(code);
    expect(sim.logins()).toBe(0);
  });

  it.each([
    ['no Authorization header', null, "missing header 'Authorization'"],
    ['a Bearer token', 'Bearer abc', "Authorization type must be 'OAuth'"],
    ['no scheme', 'abc', "Authorization type must be 'OAuth'"],
  ])('answers %s with 400 plain text', async (_why, auth, message) => {
    const r = await call('GET', '/zstack/v1/ai/models', { auth });
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^text\/plain/);
    expect(r.text).toBe(message);
  });

  it('expires a session on the clock (ID.1001, 503 JSON) and honours expiredDate', async () => {
    const auth = await session();
    clock.advance(59_999);
    expect((await call('GET', '/zstack/v1/ai/models', { auth })).status).toBe(200);
    clock.advance(1);
    const r = await call('GET', '/zstack/v1/ai/models', { auth });
    expect(r.status).toBe(503);
    expect(r.json.error).toMatchObject({ code: 'ID.1001', details: 'Session expired' });
  });

  it('logs out: the session is gone', async () => {
    const auth = await session();
    const uuid = auth.slice('OAuth '.length);
    expect((await call('DELETE', `/zstack/v1/accounts/sessions/${uuid}`)).status).toBe(200);
    expect((await call('GET', '/zstack/v1/ai/models', { auth })).json.error.code).toBe('ID.1001');
  });

  it('expireSessions() ends every session', async () => {
    const auth = await session();
    sim.expireSessions();
    expect((await call('GET', '/zstack/v1/ai/models', { auth })).json.error.code).toBe('ID.1001');
  });
});

describe('query API (CONVENTIONS.md 3.3)', () => {
  let auth: string;
  beforeEach(async () => {
    auth = await session();
  });
  const query = (q: string[][], path = '/zstack/v1/ai/models') => call('GET', path, { auth, query: q });

  it('lists the seeded models with a schema map, Gson dates and exact Longs', async () => {
    const r = await query([]);
    expect(r.status).toBe(200);
    expect(r.json.inventories).toHaveLength(6);
    expect(r.json.schema).toMatchObject({ size: 'java.lang.Long', uuid: 'java.lang.String' });
    expect(r.json.total).toBeUndefined();
    const qwen = r.json.inventories.find((i: any) => i.uuid === QWEN);
    expect(qwen).toMatchObject({ architectureType: 'Qwen3MoeForCausalLM', minGpuMemory: '4295991296', extraGpuMemRequest: '4294967296', SAMPLE_SIZE: 1000 });
    expect(qwen.createDate).toBe('Dec 1, 2025 9:30:05 AM');
    expect(r.text).toContain('"minGpuMemory":4295991296');
  });

  it.each([
    ['= on uuid', [['q', `uuid=${QWEN}`]], [QWEN]],
    ['?= on many uuids', [['q', `uuid?=${QWEN},${LLAMA},${MISSING}`]], [QWEN, LLAMA]],
    ['~= (like, case-insensitive)', [['q', 'name~=%llama%']], [LLAMA]],
    ['!= with another condition (ANDed)', [['q', 'architectureType=Qwen3MoeForCausalLM'], ['q', `uuid!=${QWEN}`]], ['9b8a7c6d5e4f43a2b1c0d9e8f7a6b5c4']],
    ['> on a Long', [['q', 'size>400000000000']], ['9b8a7c6d5e4f43a2b1c0d9e8f7a6b5c4']],
    ['is null', [['q', 'versionSemver is null']], ['c0ffee1234564b7d9a8e7f6d5c4b3a29']],
  ])('filters with %s', async (_why, q, uuids) => {
    const r = await query(q);
    expect(r.status).toBe(200);
    expect(r.json.inventories.map((i: any) => i.uuid).sort()).toEqual([...uuids].sort());
  });

  it('answers an unknown uuid with 200 and empty inventories, by path and by q', async () => {
    expect((await call('GET', `/zstack/v1/ai/models/${MISSING}`, { auth })).json).toMatchObject({ inventories: [] });
    expect((await query([['q', `uuid=${MISSING}`]])).json.inventories).toEqual([]);
    expect((await call('GET', `/zstack/v1/ai/models/${QWEN}`, { auth })).json.inventories[0].uuid).toBe(QWEN);
  });

  it('pages with limit/start/sort and counts with replyWithCount and count', async () => {
    const all = (await query([['sort', '+uuid']])).json.inventories.map((i: any) => i.uuid);
    expect(all).toEqual([...all].sort());
    const p1 = await query([['limit', '4'], ['start', '0'], ['sort', '+uuid'], ['replyWithCount', 'true']]);
    const p2 = await query([['limit', '4'], ['start', '4'], ['sort', '+uuid'], ['replyWithCount', 'true']]);
    expect(p1.json.total).toBe(6);
    expect([...p1.json.inventories, ...p2.json.inventories].map((i: any) => i.uuid)).toEqual(all);
    expect((await query([['count', 'true']])).json).toEqual({ total: 6 });
  });

  it('returns at most 1000 inventories by default', async () => {
    for (let i = 0; i < 1001; i++) sim.addModel({ uuid: i.toString(16).padStart(32, '0'), name: `m${i}` });
    const r = await query([]);
    expect(r.json.inventories).toHaveLength(1000);
    expect((await query([['count', 'true']])).json.total).toBe(1007);
  });

  it.each([
    ['a non-integer limit', [['limit', 'ten']], "Invalid query parameter. 'limit' must be an integer"],
    ['a negative start', [['start', '-1']], "Invalid query parameter. 'start' must be an integer"],
    ['a condition without operator', [['q', 'name']], 'Invalid query condition: condition[name] has no operator'],
  ])('refuses %s with 400 plain text', async (_why, q, message) => {
    const r = await query(q);
    expect(r.status).toBe(400);
    expect(r.text).toBe(message);
  });

  it('queries user tags of models', async () => {
    const r = await query([['q', 'resourceType=ModelVO'], ['q', `resourceUuid=${QWEN}`]], '/zstack/v1/user-tags');
    expect(r.json.inventories.map((t: any) => t.tag).sort()).toEqual(['demo', 'moe']);
  });

  it('keeps a Long beyond 2^53 exact on the wire', async () => {
    sim.addModel({ uuid: 'b'.repeat(32), name: 'huge', artifactSizeBytes: 9223372036854775807n, size: '9007199254740993' });
    const r = await call('GET', `/zstack/v1/ai/models/${'b'.repeat(32)}`, { auth });
    expect(r.text).toContain('"artifactSizeBytes":9223372036854775807');
    expect(r.text).toContain('"size":9007199254740993');
  });

  it('answers an unknown path with 404 plain text', async () => {
    const r = await call('GET', '/zstack/v1/ai/nothing', { auth });
    expect(r.status).toBe(404);
    expect(r.text).toBe('no api mapping to /zstack/v1/ai/nothing');
  });
});

describe('UpdateModel (seed 004)', () => {
  let auth: string;
  beforeEach(async () => {
    auth = await session();
  });
  const put = (body: unknown, uuid = QWEN) => call('PUT', `/zstack/v1/ai/models/${uuid}`, { auth, body });

  it('applies a flat body and returns {inventory} with a new lastOpDate', async () => {
    clock.advance(5_000);
    const r = await put({ description: 'new', recommendedGpuNum: '1,4', userTags: ['x'], modelClassifications: ['LLM', 'MoE'] });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['inventory']);
    expect(r.json.inventory).toMatchObject({ uuid: QWEN, description: 'new', recommendedGpuNum: [1, 4], lastOpDate: 'Jan 15, 2026 9:00:05 AM' });
    expect(sim.userTags(QWEN)).toEqual(['x']);
    expect(sim.hidden(QWEN)?.modelClassifications).toEqual(['LLM', 'MoE']);
  });

  it.each([
    ['an empty name', { name: '' }, 'name'],
    ['a name over 255', { name: 'x'.repeat(256) }, 'name'],
    ['a bad modelCenterUuid', { modelCenterUuid: 'NOT-A-UUID' }, 'modelCenterUuid'],
    ['a numeric recommendedGpuNum', { recommendedGpuNum: 2 }, 'recommendedGpuNum'],
    ['a boolean as a string', { clearDefaultModelService: 'yes' }, 'clearDefaultModelService'],
    ['an empty user tag', { userTags: [''] }, 'userTags'],
  ])('refuses %s with SYS.1007 naming the field', async (_why, body, field) => {
    const r = await put(body);
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe('SYS.1007');
    expect(r.json.error.details).toContain(`field[${field}]`);
    expect(sim.model(QWEN)!.description).toBe('test model');
  });

  it('answers an unknown uuid with SYS.1003', async () => {
    const r = await put({ description: 'x' }, MISSING);
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe('SYS.1003');
  });

  it('in flat mode also accepts the wrapped body', async () => {
    const r = await put({ updateModel: { description: 'wrapped ok' } });
    expect(r.json.inventory.description).toBe('wrapped ok');
  });

  it('in wrapped mode reads only updateModel and ignores flat fields, like the RestServer', async () => {
    sim.setBodyStyle('wrapped');
    const flat = await put({ description: 'ignored' });
    expect(flat.status).toBe(200);
    expect(flat.json.inventory.description).toBe('test model');
    const wrapped = await put({ updateModel: { description: 'applied' }, userTags: ['w'] });
    expect(wrapped.json.inventory.description).toBe('applied');
    expect(sim.userTags(QWEN)).toEqual(['w']);
  });

  it('in async mode answers 202 with a job location on the management node; the job finishes after N polls', async () => {
    sim.setAsync(true, { polls: 3 });
    const r = await put({ description: 'async' });
    expect(r.status).toBe(202);
    expect(r.json.location).toMatch(/^http:\/\/172\.20\.0\.10:8080\/zstack\/v1\/api-jobs\/[0-9a-f]{32}$/);
    const path = new URL(r.json.location).pathname;
    expect((await call('GET', path)).status).toBe(202);
    expect((await call('GET', path)).status).toBe(202);
    expect(sim.model(QWEN)!.description).toBe('test model');
    const done = await call('GET', path);
    expect(done.status).toBe(200);
    expect(done.json.inventory.description).toBe('async');
    expect((await call('GET', '/zstack/v1/api-jobs/ffffffffffffffffffffffffffffffff')).text).toBe('the job has been expired');
  });

  it('a hanging job never finishes', async () => {
    sim.setAsync(true, { hang: true });
    const path = new URL((await put({ description: 'never' })).json.location).pathname;
    for (let i = 0; i < 20; i++) expect((await call('GET', path)).status).toBe(202);
  });

  it('an async API with an expired session fails in the job with ID.1001', async () => {
    sim.setAsync(true, { polls: 1 });
    sim.expireSessions();
    const r = await put({ description: 'x' });
    expect(r.status).toBe(202);
    const job = await call('GET', new URL(r.json.location).pathname);
    expect(job.status).toBe(503);
    expect(job.json.error.code).toBe('ID.1001');
  });

  it('failNextUpdate answers once with the given ErrorCode (and its cause)', async () => {
    sim.failNextUpdate({ code: 'SYS.1006', description: 'Operation failed', details: 'db locked', cause: { code: 'SYS.1000', description: 'internal' } });
    const r = await put({ description: 'x' });
    expect(r.status).toBe(503);
    expect(r.json.error).toMatchObject({ code: 'SYS.1006', cause: { code: 'SYS.1000' } });
    expect((await put({ description: 'x' })).status).toBe(200);
  });
});

describe('faults and counters', () => {
  it('counts calls and injects garbled bodies and 503 ErrorCodes', async () => {
    const auth = await session();
    sim.server.inject({ fault: { kind: 'garbled' }, times: 1 });
    const g = await call('GET', '/zstack/v1/ai/models', { auth });
    expect(g.json).toBeUndefined();
    sim.server.inject({ fault: { kind: 'status', status: 503 }, times: 1 });
    expect((await call('GET', '/zstack/v1/ai/models', { auth })).json.error.code).toBe('SYS.1000');
    sim.server.inject({ fault: { kind: 'status', status: 500 }, times: 1 });
    const five = await call('GET', '/zstack/v1/ai/models', { auth });
    expect([five.status, five.text]).toEqual([500, 'Injected fault']);
    expect(sim.server.count('GET', '/zstack/v1/ai/models')).toBe(3);
    expect(sim.server.count('PUT', '/accounts/login')).toBe(1);
  });
});

describe('independence from the adapter', () => {
  /** Relative imports of a file (static, re-exports and dynamic), resolved to .ts paths. */
  const importsOf = (file: string): string[] => {
    const src = readFileSync(file, 'utf8');
    const specs = [...src.matchAll(/(?:^|[\s;])(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2] ?? m[3]!);
    return specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
  };
  const closure = (entry: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [entry];
    while (todo.length) {
      const f = todo.pop()!;
      if (seen.has(f) || !existsSync(f)) continue;
      seen.add(f);
      todo.push(...importsOf(f));
    }
    return seen;
  };
  const here = dirname(fileURLToPath(import.meta.url));

  it('simulator.ts reaches neither contract.ts, mapping.ts, adapter.ts nor client.ts, directly or through another local file', () => {
    const reached = closure(resolve(here, 'simulator.ts'));
    expect(reached.has(resolve(here, 'seed/validators.ts'))).toBe(true);
    for (const banned of ['contract.ts', 'mapping.ts', 'adapter.ts', 'client.ts']) expect([...reached], banned).not.toContain(resolve(here, banned));
    // …and it is in no cycle with the list of simulators.
    expect([...reached]).not.toContain(resolve(here, '../simulators.ts'));
  });

  it('the closure walk sees through re-exports (it would catch an indirect import)', () => {
    const reached = closure(resolve(here, 'adapter.ts'));
    expect(reached.has(resolve(here, 'contract.ts'))).toBe(true);
    expect(reached.has(resolve(here, 'mapping.ts'))).toBe(true);
  });
});

describe('answers fit the seed transcription (seed/*.json through ajv)', () => {
  const op = (name: string) => seedOperations.operations[name]!;
  const fits = (operation: string, r: { status: number; text: string }) => {
    const schema = op(operation).responses[String(r.status)];
    expect(schema, `${operation} may answer ${r.status}`).toBeDefined();
    if (schema === 'text' || schema === null) return;
    const check = checkBody(schema!, JSON.parse(r.text));
    expect(check.message, `${operation} ${r.status}`).toBe('');
  };

  it('the transcription is valid against the meta-schema and every body and parameter schema compiles in strict mode (the simulator does not check that when it starts)', () => {
    expect(transcriptionProblems()).toEqual([]);
  });

  it('login, queries, UpdateModel, jobs and errors', async () => {
    fits('LogInByAccount', await login());
    fits('LogInByAccount', await login('wrong'));
    const auth = await session();
    fits('QueryModel', await call('GET', '/zstack/v1/ai/models', { auth }));
    fits('QueryModel', await call('GET', '/zstack/v1/ai/models', { auth, query: [['limit', 'x']] }));
    fits('GetModel', await call('GET', `/zstack/v1/ai/models/${QWEN}`, { auth }));
    fits('GetModel', await call('GET', `/zstack/v1/ai/models/${MISSING}`, { auth }));
    fits('UpdateModel', await call('PUT', `/zstack/v1/ai/models/${QWEN}`, { auth, body: { name: 'renamed' } }));
    fits('UpdateModel', await call('PUT', `/zstack/v1/ai/models/${QWEN}`, { auth, body: { name: '' } }));
    fits('UpdateModel', await call('PUT', `/zstack/v1/ai/models/${MISSING}`, { auth, body: { name: 'x' } }));
    sim.setAsync(true, { polls: 1 });
    const accepted = await call('PUT', `/zstack/v1/ai/models/${QWEN}`, { auth, body: { description: 'async' } });
    fits('UpdateModel', accepted);
    const job = new URL(accepted.json.location).pathname;
    fits('QueryJob', await call('GET', job));
    fits('QueryUserTag', await call('GET', '/zstack/v1/user-tags', { auth }));
  });

  it('counts lengths in UTF-16 units as Java does: 127 emoji (254 units) pass, 128 (256 units) are SYS.1007', async () => {
    const auth = await session();
    const ok = await call('PUT', `/zstack/v1/ai/models/${QWEN}`, { auth, body: { name: '😀'.repeat(127) } });
    expect(ok.status).toBe(200);
    const refused = await call('PUT', `/zstack/v1/ai/models/${QWEN}`, { auth, body: { name: '😀'.repeat(128) } });
    expect(refused.status).toBe(503);
    expect(refused.json.error).toMatchObject({ code: 'SYS.1007', details: expect.stringContaining('field[name]') });
  });

  it('refuses a key the page does not list (A6), and a set-and-clear of the default model service (A5)', async () => {
    const auth = await session();
    const unknown = await call('PUT', `/zstack/v1/ai/models/${QWEN}`, { auth, body: { name: 'x', tags: ['a'] } });
    expect(unknown.json.error).toMatchObject({ code: 'SYS.1007', details: expect.stringContaining('field[tags]') });
    const both = await call('PUT', `/zstack/v1/ai/models/${QWEN}`, { auth, body: { clearDefaultModelService: true, defaultModelServiceUuid: MISSING } });
    expect(both.json.error).toMatchObject({ code: 'SYS.1007', details: expect.stringContaining('field[clearDefaultModelService]') });
    expect(sim.model(QWEN)!.name).toBe('example');
  });

  it('refuses to store a model that does not fit ModelInventory, unless asked to (a garbled row)', () => {
    expect(() => sim.addModel({ uuid: MISSING, name: 'x', isLatestVersion: 'yes' })).toThrow(/isLatestVersion/);
    sim.addModel({ uuid: MISSING, name: 'x', isLatestVersion: 'yes' }, { unchecked: true });
    expect(sim.model(MISSING)!.isLatestVersion).toBe('yes');
  });
});

describe('user tags (assumptions A9, A12)', () => {
  it('with the route off, GET /zstack/v1/user-tags is a plain-text 404 like any unmapped path', async () => {
    const auth = await session();
    sim.setUserTagsBehaviour({ route: false });
    const r = await call('GET', '/zstack/v1/user-tags', { auth });
    expect(r.status).toBe(404);
    expect(r.text).toBe('no api mapping to /zstack/v1/user-tags');
  });

  it("with onUpdate 'ignore', UpdateModel accepts userTags and applies the other fields, leaving the tags", async () => {
    const auth = await session();
    sim.setUserTagsBehaviour({ onUpdate: 'ignore' });
    const before = sim.userTags(QWEN);
    const r = await call('PUT', `/zstack/v1/ai/models/${QWEN}`, { auth, body: { description: 'd2', userTags: ['new'] } });
    expect(r.status).toBe(200);
    expect(sim.model(QWEN)!.description).toBe('d2');
    expect(sim.userTags(QWEN)).toEqual(before);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../src/domain/clock.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localImports } from '../../test/imports.js';
import { checkSeed, createNemoSimulator, seedSchemaProblems, type NemoSimulator } from './simulator.js';

const PHASE = 1000;
const A = '/apis/models/v2/workspaces/research-team-alpha';
const P = '/apis/models/v2/workspaces/prod-inference';

let sim: NemoSimulator;
let clock: ManualClock;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
}

describe('NeMo simulator, open installation', () => {
  beforeEach(async () => {
    clock = createManualClock();
    sim = await createNemoSimulator({ clock, phaseMs: PHASE });
  });
  afterEach(() => sim.close());

  it('serves the seeded deployments in the seed 003 shape', async () => {
    const r = await call('GET', `${A}/deployments/llama-3.1-8b`);
    expect(r.status).toBe(200);
    expect(checkSeed('nemo/model-deployment', r.body)).toEqual([]);
    expect(r.body).toMatchObject({
      id: 'd4f1a2b3-c567-4e89-9f12-3456789abcde',
      name: 'llama-3.1-8b',
      workspace: 'research-team-alpha',
      project: 'proj-llama-2024',
      entity_version: 3,
      config: 'llama-config-v2',
      config_version: 2,
      status: 'READY',
      model_provider_id: 'provider-workspace/llama-provider',
      auth_context: { principal_id: 'user-12345', principal_on_behalf_of_email: 'bob@example.com' },
    });
    expect(r.body.status_history.at(-1).status).toBe('READY');
    expect(sim.backendConfig).toEqual({ vendor: 'nemo', baseUrl: sim.url, workspaces: ['research-team-alpha', 'prod-inference'] });
  });

  it('has the seeded statuses in two workspaces', async () => {
    const words = async (base: string) =>
      Object.fromEntries((await call('GET', `${base}/deployments`)).body.data.map((d: any) => [d.name, d.status]));
    expect(await words(A)).toEqual({ 'llama-3.1-8b': 'READY', 'nemotron-mini-4b': 'PENDING', 'mistral-7b-instruct': 'ERROR' });
    expect(await words(P)).toEqual({ 'llama-3.1-70b-instruct': 'READY', 'nv-embedqa-e5-v5': 'READY', 'starcoder2-15b': 'LOST' });
  });

  it('answers an unknown deployment with 404 {"detail"}', async () => {
    const r = await call('GET', `${A}/deployments/nope`);
    expect(r).toMatchObject({ status: 404, body: { detail: "Deployment 'research-team-alpha/nope' not found" } });
  });

  describe('list (CONVENTIONS.md 2.4)', () => {
    it('pages with page/page_size and reports totals', async () => {
      const p1 = await call('GET', `${A}/deployments?page=1&page_size=2&sort=name`);
      const p2 = await call('GET', `${A}/deployments?page=2&page_size=2&sort=name`);
      const p3 = await call('GET', `${A}/deployments?page=3&page_size=2&sort=name`);
      expect(p1.body.pagination).toEqual({ page: 1, page_size: 2, current_page_size: 2, total_pages: 2, total_results: 3 });
      expect(p1.body.data.map((d: any) => d.name)).toEqual(['llama-3.1-8b', 'mistral-7b-instruct']);
      expect(p2.body.data.map((d: any) => d.name)).toEqual(['nemotron-mini-4b']);
      expect(p3.body).toMatchObject({ data: [], pagination: { page: 3, current_page_size: 0, total_results: 3 } });
      expect(p1.body.sort).toBe('name');
      expect('filter' in p1.body).toBe(false);
    });

    it('sorts descending with a - prefix', async () => {
      const r = await call('GET', `${A}/deployments?sort=-name`);
      expect(r.body.data.map((d: any) => d.name)).toEqual(['nemotron-mini-4b', 'mistral-7b-instruct', 'llama-3.1-8b']);
    });

    it.each([
      ['filter%5Bstatus%5D=READY', ['llama-3.1-8b'], 'bracket form'],
      [`filter=${encodeURIComponent('{"status":"ERROR"}')}`, ['mistral-7b-instruct'], 'JSON form'],
      ['filter%5Bstatus%5D%5B%24eq%5D=PENDING', ['nemotron-mini-4b'], 'bracket operator form'],
      ['filter%5Bconfig%5D=llama-config-v2', ['llama-3.1-8b'], 'another field'],
      ['filter%5Bstatus%5D=DELETED', [], 'nothing matches'],
    ])('filters with %s (%s)', async (query, names) => {
      const r = await call('GET', `${A}/deployments?${query}&sort=name`);
      expect(r.status).toBe(200);
      expect(r.body.data.map((d: any) => d.name)).toEqual(names);
    });

    it('returns every version with all_versions=true', async () => {
      const r = await call('GET', `${A}/deployments?all_versions=true&filter%5Bname%5D=llama-3.1-8b&sort=entity_version`);
      expect(r.body.data.map((d: any) => d.entity_version)).toEqual([1, 2, 3]);
    });

    it.each([
      ['filter%5Bcolour%5D=red', 400, /^Unknown filter field 'colour'\. Valid fields: \[/],
      ['sort=colour', 400, /^Invalid sort field 'colour'$/],
      ['filter=not-json', 400, /^Invalid filter/],
    ])('refuses %s with %i {"detail": string}', async (query, status, message) => {
      const r = await call('GET', `${A}/deployments?${query}`);
      expect(r.status).toBe(status);
      expect(r.body.detail).toMatch(message);
    });

    it('refuses a non-integer page with a FastAPI 422', async () => {
      const r = await call('GET', `${A}/deployments?page=two`);
      expect(r).toMatchObject({
        status: 422,
        body: { detail: [{ type: 'int_parsing', loc: ['query', 'page'], msg: expect.any(String), input: 'two' }] },
      });
    });

    it('lists nothing in an unknown workspace', async () => {
      const r = await call('GET', '/apis/models/v2/workspaces/elsewhere/deployments');
      expect(r.body).toMatchObject({ data: [], pagination: { total_results: 0, total_pages: 1 } });
    });
  });

  describe('versions', () => {
    it('lists versions as a plain array, newest first; empty when unknown', async () => {
      const r = await call('GET', `${A}/deployments/llama-3.1-8b/versions`);
      expect(Array.isArray(r.body)).toBe(true);
      expect(r.body.map((d: any) => [d.entity_version, d.config, d.config_version])).toEqual([
        [3, 'llama-config-v2', 2],
        [2, 'llama-config-v2', 1],
        [1, 'llama-config-v1', 1],
      ]);
      expect((await call('GET', `${A}/deployments/nope/versions`)).body).toEqual([]);
    });

    it.each([
      ['1', 200, undefined],
      ['9', 404, "Deployment 'research-team-alpha/llama-3.1-8b' version '9' not found"],
      ['latest', 400, "Invalid version 'latest': must be a positive integer"],
    ])('GET version %s → %i', async (v, status, message) => {
      const r = await call('GET', `${A}/deployments/llama-3.1-8b/versions/${v}`);
      expect(r.status).toBe(status);
      if (message) expect(r.body).toEqual({ detail: message });
      else expect(r.body).toMatchObject({ entity_version: 1, config: 'llama-config-v1' });
    });
  });

  describe('deployment configs (CONVENTIONS.md 2.3)', () => {
    it('lists, gets the latest, lists versions and gets one', async () => {
      const list = await call('GET', `${A}/deployment-configs?sort=name`);
      expect(list.body.data.map((c: any) => [c.name, c.entity_version])).toEqual([
        ['llama-config-v1', 1],
        ['llama-config-v2', 2],
        ['llama-config-v3', 1],
        ['mistral-7b-config', 2],
        ['nemotron-mini-config', 1],
      ]);
      const latest = await call('GET', `${A}/deployment-configs/llama-config-v2`);
      expect(latest.body).toMatchObject({ name: 'llama-config-v2', entity_version: 2, engine: 'nim', executor_config: { gpu: 2 } });
      const versions = await call('GET', `${A}/deployment-configs/llama-config-v2/versions`);
      expect(versions.body.map((c: any) => c.entity_version)).toEqual([2, 1]);
      const v1 = await call('GET', `${A}/deployment-configs/llama-config-v2/versions/1`);
      expect(v1.body).toMatchObject({ entity_version: 1, executor_config: { gpu: 1 } });
    });

    it('answers unknown configs and versions like the service', async () => {
      expect(await call('GET', `${A}/deployment-configs/nope`)).toMatchObject({
        status: 404,
        body: { detail: "Deployment config 'research-team-alpha/nope' not found" },
      });
      expect((await call('GET', `${A}/deployment-configs/llama-config-v2/versions/7`)).status).toBe(404);
      expect((await call('GET', `${A}/deployment-configs/llama-config-v2/versions/x`)).status).toBe(400);
    });
  });

  describe('update (seed 003)', () => {
    const url = `${A}/deployments/llama-3.1-8b`;

    it('creates version N+1 at PENDING that turns READY one phase later', async () => {
      const before = sim.deployment('research-team-alpha/llama-3.1-8b')!;
      const r = await call('POST', url, { config: 'llama-config-v3' });
      expect(r.status).toBe(201);
      expect(checkSeed('nemo/model-deployment', r.body)).toEqual([]);
      expect(r.body).toMatchObject({
        entity_version: 4,
        config: 'llama-config-v3',
        config_version: 1,
        status: 'PENDING',
        status_message: 'Deployment update pending',
        created_at: before.created_at,
        updated_at: new Date(clock.now()).toISOString(),
        project: 'proj-llama-2024',
      });
      expect(r.body.status_history).toHaveLength(before.status_history!.length + 1);
      clock.advance(PHASE - 1);
      expect((await call('GET', url)).body.status).toBe('PENDING');
      clock.advance(1);
      const after = (await call('GET', url)).body;
      expect(after.status).toBe('READY');
      expect(after.status_history).toHaveLength(before.status_history!.length + 2);
      expect(after.status_history.at(-1)).toEqual({
        timestamp: new Date(clock.now()).toISOString(),
        status: 'READY',
        status_message: 'Deployment is active and serving requests.',
      });
      expect((await call('GET', `${url}/versions`)).body.map((d: any) => d.entity_version)).toEqual([4, 3, 2, 1]);
    });

    it('resolves "latest" when config_version is omitted, pins it when given', async () => {
      expect((await call('POST', url, { config: 'llama-config-v2' })).body.config_version).toBe(2);
      expect((await call('POST', url, { config: 'llama-config-v2', config_version: 1 })).body.config_version).toBe(1);
      // seed 003 types config_version as integer, not nullable.
      expect((await call('POST', url, { config: 'llama-config-v2', config_version: null })).status).toBe(422);
      sim.addConfigVersion('research-team-alpha', 'llama-config-v2', { description: 'v3 of it' });
      expect((await call('POST', url, { config: 'llama-config-v2' })).body.config_version).toBe(3);
    });

    it('merges adjacent duplicate history entries (CONVENTIONS.md 2.6)', async () => {
      await call('POST', url, { config: 'llama-config-v3' });
      const len = sim.deployment('research-team-alpha/llama-3.1-8b')!.status_history!.length;
      const second = await call('POST', url, { config: 'llama-config-v1' });
      expect(second.body.entity_version).toBe(5);
      expect(second.body.status_history).toHaveLength(len);
    });

    it.each<[unknown, Record<string, unknown>[], string]>([
      [undefined, [{ type: 'missing', loc: ['body'] }], 'no body'],
      [{}, [{ type: 'missing', loc: ['body', 'config'] }], 'config missing'],
      [{ config: 7 }, [{ type: 'type', loc: ['body', 'config'] }], 'config not a string'],
      [{ config: 'x'.repeat(256) }, [{ type: 'maxLength', loc: ['body', 'config'] }], 'config too long'],
      [{ config: 'a b' }, [{ type: 'pattern', loc: ['body', 'config'] }], 'config with a space'],
      [{ config: '..' }, [{ type: 'not', loc: ['body', 'config'] }], 'config ..'],
      [{ config: 'llama-config-v2', config_version: 1.5 }, [{ type: 'type', loc: ['body', 'config_version'] }], 'fractional version'],
      [{ config: 'llama-config-v2', config_version: 'two' }, [{ type: 'type', loc: ['body', 'config_version'] }], 'version not a number'],
      [{ config: 'llama-config-v2', config_version: 0 }, [{ type: 'minimum', loc: ['body', 'config_version'] }], 'version 0'],
      [{ config: 'llama-config-v2', extra: 1 }, [{ type: 'additionalProperties', loc: ['body', 'extra'] }], 'an unknown field'],
      [[], [{ type: 'type', loc: ['body'] }], 'not an object'],
    ])('refuses %j with a FastAPI 422 (%s) and writes nothing', async (body, detail) => {
      const count = sim.versionCount();
      const r = await call('POST', url, body);
      expect(r.status).toBe(422);
      expect(r.body.detail).toMatchObject(detail);
      expect(typeof r.body.detail[0].msg).toBe('string');
      expect(sim.versionCount()).toBe(count);
    });

    it.each([
      [`${A}/deployments/nope`, { config: 'llama-config-v2' }, "Deployment with workspace 'research-team-alpha' and name 'nope' does not exist"],
      [url, { config: 'no-such-config' }, "Deployment config 'research-team-alpha/no-such-config' does not exist"],
      [url, { config: 'llama-config-v2', config_version: 9 }, "Deployment config 'research-team-alpha/llama-config-v2' version '9' does not exist"],
      [url, { config: 'embedqa-config' }, "Deployment config 'research-team-alpha/embedqa-config' does not exist"],
    ])('refuses %s %j with 400 {"detail"} (CONVENTIONS.md 2.2) and writes nothing', async (path, body, message) => {
      const count = sim.versionCount();
      const r = await call('POST', path, body);
      expect(r).toMatchObject({ status: 400, body: { detail: message } });
      expect(sim.versionCount()).toBe(count);
    });
  });

  describe('status timeline on the clock', () => {
    it('moves a PENDING seed to READY after one phase', async () => {
      const url = `${A}/deployments/nemotron-mini-4b`;
      expect((await call('GET', url)).body.status).toBe('PENDING');
      clock.advance(PHASE);
      const r = (await call('GET', url)).body;
      expect(r.status).toBe('READY');
      expect(r.status_history.map((h: any) => h.status)).toEqual(['CREATED', 'PENDING', 'PENDING', 'READY']);
    });

    it('lets tests set a status as the controller would', async () => {
      sim.setStatus('research-team-alpha/llama-3.1-8b', 'ERROR', 'Container exited with code 137');
      const r = (await call('GET', `${A}/deployments/llama-3.1-8b`)).body;
      expect(r).toMatchObject({ status: 'ERROR', status_message: 'Container exited with code 137' });
      expect(r.status_history.at(-1).status).toBe('ERROR');
    });
  });

  describe('faults', () => {
    it('answers an injected status in the vendor error shape and counts requests', async () => {
      sim.server.inject({ fault: { kind: 'status', status: 503 }, times: 1 });
      const r = await call('GET', `${A}/deployments`);
      expect(r).toMatchObject({ status: 503, body: { detail: 'Injected fault' } });
      expect((await call('GET', `${A}/deployments`)).status).toBe(200);
      expect(sim.server.count('GET', '/deployments')).toBe(2);
    });

    it('can garble a body or send the wrong shape', async () => {
      sim.server.inject({ fault: { kind: 'garbled' }, times: 1 });
      expect(typeof (await call('GET', `${A}/deployments`)).body).toBe('string');
      sim.server.inject({ fault: { kind: 'wrong-shape' }, times: 1 });
      const r = await call('GET', `${A}/deployments/llama-3.1-8b`);
      expect(checkSeed('nemo/model-deployment', r.body)).not.toEqual([]);
    });
  });
});

describe('NeMo simulator with a 422 answer for unknown configs', () => {
  it('refuses an unknown config with a {loc, msg, type} item', async () => {
    sim = await createNemoSimulator({ clock: createManualClock(), unknownConfigAnswer: '422' });
    try {
      const r = await call('POST', `${A}/deployments/llama-3.1-8b`, { config: 'nope' });
      expect(r).toMatchObject({
        status: 422,
        body: { detail: [{ loc: ['body', 'config'], type: 'value_error', msg: "Deployment config 'research-team-alpha/nope' does not exist" }] },
      });
    } finally {
      await sim.close();
    }
  });
});

describe('NeMo simulator with Bearer auth (CONVENTIONS.md 2.1)', () => {
  beforeEach(async () => {
    sim = await createNemoSimulator({ clock: createManualClock(), token: 'sim-secret' });
  });
  afterEach(() => sim.close());

  it.each([
    [{}, 401, 'Not authenticated'],
    [{ authorization: 'Bearer wrong' }, 401, 'Invalid authentication credentials'],
    [{ authorization: 'Basic c2ltLXNlY3JldA==' }, 401, 'Not authenticated'],
  ])('refuses %j', async (headers, status, detail) => {
    const r = await call('GET', `${A}/deployments`, undefined, headers as Record<string, string>);
    expect(r).toMatchObject({ status, body: { detail } });
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('serves a request with the token, and refuses an unauthenticated write without writing', async () => {
    expect((await call('GET', `${A}/deployments`, undefined, { authorization: 'Bearer sim-secret' })).status).toBe(200);
    const count = sim.versionCount();
    expect((await call('POST', `${A}/deployments/llama-3.1-8b`, { config: 'llama-config-v3' })).status).toBe(401);
    expect(sim.versionCount()).toBe(count);
    expect(sim.backendConfig).toMatchObject({ token: 'sim-secret' });
  });
});

describe('independence from the adapter', () => {
  const folder = fileURLToPath(new URL('.', import.meta.url));
  const forbidden = ['contract.ts', 'mapping.ts', 'adapter.ts'].map((f) => join(folder, f));

  it('simulator.ts imports none of contract.ts, mapping.ts, adapter.ts, directly or through another local file', () => {
    const reached = localImports(join(folder, 'simulator.ts'));
    expect(reached.length).toBeGreaterThan(0);
    expect(reached.filter((f) => forbidden.includes(f))).toEqual([]);
  });

  it('the import walk does find such an import where there is one (adapter.ts reaches contract.ts and mapping.ts)', () => {
    expect(localImports(join(folder, 'adapter.ts'))).toEqual(expect.arrayContaining([join(folder, 'contract.ts'), join(folder, 'mapping.ts')]));
  });

  it('the JSON Schema files of seed/ are valid against the meta-schema and compile in strict mode (the simulator does not check that when it starts)', () => {
    expect(seedSchemaProblems()).toEqual([]);
  });

  it('validates update bodies with the JSON Schema files of seed/', () => {
    expect(checkSeed('nemo/update-request', { config: 'llama-config-v2', config_version: 2 })).toEqual([]);
    expect(checkSeed('nemo/update-request', { config: 'a/b' })).toEqual([expect.objectContaining({ path: ['config'], keyword: 'pattern' })]);
  });
});

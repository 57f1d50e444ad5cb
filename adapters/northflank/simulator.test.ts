import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiClientInMemoryContextProvider, NorthflankApiCallError } from '@northflank/js-client';
import { createManualClock, type ManualClock } from '../../src/domain/clock.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localImports } from '../../test/imports.js';
import { checkSeed, createNorthflankSimulator, seedSchemaProblems, type NorthflankSimulator } from './simulator.js';

const PHASE = 1000;
const DS = '/v1/projects/default-project/llm-model-deployments/deepseek-v3-deployment';
const QWEN = '/v1/projects/default-project/llm-model-deployments/qwen2-5-7b-instruct';
const COLL = '/v1/projects/default-project/llm-model-deployments';

let clock: ManualClock;
let sim: NorthflankSimulator;

async function call(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sim.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const storage = (storageSize: number) => ({ spec: { configuration: { nodeConfiguration: { storage: { storageClass: 'nvme', storageSize } } } } });

beforeEach(async () => {
  clock = createManualClock();
  sim = await createNorthflankSimulator({ clock, phaseMs: PHASE });
});
afterEach(() => sim.close());

describe('auth (CONVENTIONS.md 1.1)', () => {
  it.each([
    ['no Authorization header', {}, 'Missing API token: send Authorization: Bearer <token>'],
    ['a wrong token', { authorization: 'Bearer not-the-token' }, 'Invalid API token'],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }, 'Missing API token: send Authorization: Bearer <token>'],
  ])('%s → 401 in the error envelope', async (_reason, headers, message) => {
    const res = await fetch(`${sim.url}${DS}`, { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { status: 401, message, id: 'unauthorized' } });
  });

  it.each([
    ['lower case', (t: string) => `bearer ${t}`],
    ['upper case', (t: string) => `BEARER ${t}`],
    ['mixed case', (t: string) => `bEaReR ${t}`],
    ['two spaces before the token', (t: string) => `Bearer  ${t}`],
  ])('the Bearer scheme in %s is accepted (RFC 7235: schemes are case-insensitive)', async (_reason, header) => {
    const res = await fetch(`${sim.url}${DS}`, { headers: { authorization: header(sim.token) } });
    expect(res.status).toBe(200);
  });

  it.each([
    ['the token in another case', (t: string) => `Bearer ${t.toUpperCase()}`],
    ['the token with a suffix', (t: string) => `bearer ${t} extra`],
  ])('the token itself is compared exactly: %s → 401 Invalid API token', async (_reason, header) => {
    const res = await fetch(`${sim.url}${DS}`, { headers: { authorization: header(sim.token) } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { message: 'Invalid API token' } });
  });

  it('auth is checked before the body: a wrong token with an invalid update body is 401', async () => {
    const r = await call('POST', DS, { ports: [{ name: 'p', internalPort: 70000, protocol: 'HTTP' }] }, { authorization: 'Bearer wrong' });
    expect(r).toMatchObject({ status: 401, body: { error: { id: 'unauthorized' } } });
    expect(sim.get('default-project/deepseek-v3-deployment')!.ports).toHaveLength(1);
  });
  it.each([
    ['a wrong token', 'Bearer wrong', 401],
    ['no token', undefined, 401],
    ['the right token', 'RIGHT', 400],
  ])('a body that is not JSON with %s is %i', async (_why, auth, status) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth) headers.authorization = auth === 'RIGHT' ? `Bearer ${sim.token}` : auth;
    const res = await fetch(`${sim.url}${DS}`, { method: 'POST', headers, body: '{"name": oops' });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: { status } });
  });
});

describe('get (seed 002)', () => {
  it('answers {data: resource} with every field of the page', async () => {
    const r = await call('GET', DS);
    expect(r.status).toBe(200);
    expect(checkSeed('northflank/deployment', r.body.data)).toEqual([]);
    expect(r.body.data).toMatchObject({
      name: 'deepseek-v3-deployment',
      description: 'A deployment for DeepSeek V3 model',
      projectId: 'default-project',
      id: 'deepseek-v3-deployment',
      status: 'running',
      spec: { type: 'custom', configuration: { nodeConfiguration: { storage: { storageClass: 'nvme', storageSize: 6144 } } } },
      ports: [{ id: 'p01', name: 'api', internalPort: 8000, protocol: 'HTTP', public: true, dns: 'p01--deepseek-v3-deployment--default-project.code.run' }],
    });
  });

  it('every seeded resource matches the full schema of seed 002', () => {
    const all = sim.all();
    expect(all).toHaveLength(8);
    for (const d of all) expect(checkSeed('northflank/deployment', d)).toEqual([]);
    expect(new Set(all.map((d) => d.status))).toEqual(new Set(['running', 'pending', 'crashed', 'paused', 'starting', 'provisioning']));
  });

  it.each([
    ['an unknown deployment', '/v1/projects/default-project/llm-model-deployments/nope'],
    ['an unknown project', '/v1/projects/other-project/llm-model-deployments/deepseek-v3-deployment'],
    ['another team', '/v1/teams/other-team/projects/default-project/llm-model-deployments/deepseek-v3-deployment'],
  ])('404 for %s', async (_reason, path) => {
    const r = await call('GET', path);
    expect(r).toMatchObject({ status: 404, body: { error: { status: 404, message: 'Not found', id: 'not-found' } } });
  });

  it('serves the teams form of every path (CONVENTIONS.md 1.2)', async () => {
    const r = await call('GET', `/v1/teams/${sim.teamId}${DS.slice(3)}`);
    expect(r.status).toBe(200);
    expect(r.body.data.id).toBe('deepseek-v3-deployment');
  });
});

describe('list and pagination (CONVENTIONS.md 1.3)', () => {
  async function fill(n: number) {
    for (let i = 0; i < n; i++) {
      const r = await call('POST', COLL, { name: `bulk-${String(i).padStart(3, '0')}`, spec: { type: 'custom', configuration: { engine: 'vllm' } } });
      expect(r.status).toBe(200);
    }
  }

  it('default page is 50, with hasNextPage, cursor and count', async () => {
    await fill(55); // + 5 seeded = 60
    const r = await call('GET', COLL);
    expect(r.body.data.llmModelDeployments).toHaveLength(50);
    expect(r.body.pagination).toEqual({ hasNextPage: true, cursor: expect.stringMatching(/^[A-Za-z0-9_-]+$/), count: 50 });
    const next = await call('GET', `${COLL}?cursor=${r.body.pagination.cursor}`);
    expect(next.body.pagination).toEqual({ hasNextPage: false, count: 10 });
    expect(next.body.data.llmModelDeployments[9].name).toBe('bulk-054');
  });

  it('walking the cursor yields every item once, in creation order', async () => {
    await fill(7);
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await call('GET', `${COLL}?per_page=3${cursor ? `&cursor=${cursor}` : ''}`);
      names.push(...r.body.data.llmModelDeployments.map((d: { name: string }) => d.name));
      expect(r.body.pagination.count).toBe(r.body.data.llmModelDeployments.length);
      cursor = r.body.pagination.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(names).toHaveLength(12);
    expect(names.slice(0, 2)).toEqual(['deepseek-v3-deployment', 'Llama 3-1 70B Instruct']);
    expect(new Set(names).size).toBe(12);
  });

  it('page= is honoured when no cursor is given', async () => {
    const r = await call('GET', `${COLL}?per_page=2&page=2`);
    expect(r.body.data.llmModelDeployments.map((d: { id: string }) => d.id)).toEqual(['qwen2-5-7b-instruct', 'mistral-7b-instruct']);
  });

  it.each([
    ['per_page=101', 'per_page=101', 'per_page'],
    ['per_page=0', 'per_page=0', 'per_page'],
    ['per_page=abc', 'per_page=abc', 'per_page'],
    ['a cursor it never gave out', 'cursor=bm9wZQ', 'cursor'],
  ])('400 for %s', async (_reason, query, path) => {
    const r = await call('GET', `${COLL}?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ status: 400, id: 'validation-error', details: [expect.objectContaining({ path })] });
  });

  it('per_page=100 is allowed', async () => {
    expect((await call('GET', `${COLL}?per_page=100`)).status).toBe(200);
  });
});

describe('update (seeds 000/001)', () => {
  it('applies a partial body and answers with the resource; updatedAt moves', async () => {
    const before = (await call('GET', DS)).body.data;
    clock.advance(5);
    const r = await call('POST', DS, { description: 'changed', ...storage(8192) });
    expect(r.status).toBe(200);
    expect(r.body.data.description).toBe('changed');
    expect(r.body.data.name).toBe('deepseek-v3-deployment');
    expect(r.body.data.spec.configuration.nodeConfiguration.storage).toEqual({ accessMode: 'ReadWriteMany', storageClass: 'nvme', storageSize: 8192, shmSize: 16384 });
    expect(r.body.data.spec.configuration.engine).toBe('vllm'); // untouched leaves stay
    expect(Date.parse(r.body.data.updatedAt)).toBe(clock.now());
    expect(r.body.data.updatedAt).not.toBe(before.updatedAt);
  });

  it('updatedAt is strictly increasing even within one clock tick', async () => {
    const a = (await call('POST', DS, { description: 'one' })).body.data.updatedAt;
    const b = (await call('POST', DS, { description: 'two' })).body.data.updatedAt;
    expect(Date.parse(b)).toBeGreaterThan(Date.parse(a));
  });

  it('ports replace the list; a kept name keeps its id', async () => {
    const r = await call('POST', DS, { ports: [{ name: 'metrics', internalPort: 9090, protocol: 'TCP' }, { name: 'api', internalPort: 8080, protocol: 'HTTP/2', public: true }] });
    expect(r.body.data.ports).toEqual([
      { id: 'p02', name: 'metrics', internalPort: 9090, protocol: 'TCP', public: false },
      { id: 'p01', name: 'api', internalPort: 8080, protocol: 'HTTP/2', public: true, dns: 'p01--deepseek-v3-deployment--default-project.code.run' },
    ]);
  });

  it.each([
    ['internalPort 70000', { ports: [{ name: 'p', internalPort: 70000, protocol: 'HTTP' }] }, 'ports.0.internalPort'],
    ['internalPort 0', { ports: [{ name: 'p', internalPort: 0, protocol: 'HTTP' }] }, 'ports.0.internalPort'],
    ['protocol HTTPS', { ports: [{ name: 'p', internalPort: 80, protocol: 'HTTPS' }] }, 'ports.0.protocol'],
    ['port without name', { ports: [{ internalPort: 80, protocol: 'HTTP' }] }, 'ports.0.name'],
    ['name of 2 characters', { name: 'ab' }, 'name'],
    ['tag with a space', { tags: ['a tag'] }, 'tags.0'],
    ['description over 1024', { description: 'x'.repeat(1025) }, 'description'],
    ['storageClass with an underscore', { spec: { configuration: { nodeConfiguration: { storage: { storageClass: 'fast_ssd' } } } } }, 'spec.configuration.nodeConfiguration.storage.storageClass'],
    ['maxModelLength "max"', { spec: { configuration: { architecture: { workerConfig: { sequenceLengthConfig: { maxModelLength: 'max' } } } } } }, 'spec.configuration.architecture.workerConfig.sequenceLengthConfig.maxModelLength'],
    ['quantization bnb', { spec: { configuration: { architecture: { workerConfig: { quantization: 'bnb' } } } } }, 'spec.configuration.architecture.workerConfig.quantization'],
    ['an unknown top-level key', { status: 'running' }, 'status'],
    ['spec.type (create only)', { spec: { type: 'custom' } }, 'spec.type'],
    ['an unverified domain (seed 001)', { ports: [{ name: 'api', internalPort: 80, protocol: 'HTTP', domains: ['api.evil.test'] }] }, 'ports.0.domains.0'],
    ['a port name used twice', { ports: [{ name: 'api', internalPort: 80, protocol: 'HTTP' }, { name: 'api', internalPort: 81, protocol: 'HTTP' }] }, 'ports.1.name'],
  ])('400 with details for %s, nothing applied', async (_reason, body, path) => {
    const before = sim.get('default-project/deepseek-v3-deployment');
    const r = await call('POST', DS, body);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: { status: 400, message: 'Invalid request body', id: 'validation-error', details: [{ path, message: expect.any(String) }] } });
    expect(sim.get('default-project/deepseek-v3-deployment')).toEqual(before);
  });

  it('400 for a body that is not JSON, 404 for an unknown deployment', async () => {
    expect((await call('POST', DS, '{nope')).body.error).toMatchObject({ status: 400, id: 'validation-error' });
    expect((await call('POST', `${COLL}/nope`, { name: 'abc' })).status).toBe(404);
  });

  it('a verified domain (or subdomain) is accepted', async () => {
    const r = await call('POST', DS, { ports: [{ name: 'api', internalPort: 80, protocol: 'HTTP', public: true, domains: ['llm.models.example.com'] }] });
    expect(r.status).toBe(200);
  });
});

describe('status timeline on the clock (CONVENTIONS.md 1.4 item 9)', () => {
  const statusOf = async (path: string) => (await call('GET', path)).body.data.status;

  it('pending → provisioning → starting → running, one phase each', async () => {
    const seen = [await statusOf(QWEN)];
    for (let i = 0; i < 4; i++) {
      clock.advance(PHASE);
      seen.push(await statusOf(QWEN));
    }
    expect(seen).toEqual(['pending', 'provisioning', 'starting', 'running', 'running']);
  });

  it('a spec change is a rollout: back to pending, new deploymentConfiguration', async () => {
    const before = (await call('GET', DS)).body.data;
    const r = await call('POST', DS, storage(8192));
    expect(r.body.data.status).toBe('pending');
    expect(r.body.data.deploymentConfiguration.id).not.toBe(before.deploymentConfiguration.id);
    clock.advance(3 * PHASE);
    expect(await statusOf(DS)).toBe('running');
  });

  it.each([
    ['name', { name: 'deepseek v3 prod' }],
    ['description', { description: 'only words' }],
    ['tags', { tags: ['abc'] }],
    ['a spec with the same values', storage(6144)],
  ])('an update of %s is no rollout', async (_field, body) => {
    const r = await call('POST', DS, body);
    expect(r.status).toBe(200);
    expect(r.body.data.status).toBe('running');
  });

  it('crashed is set by control; a rollout clears it; paused stays paused through a rollout', async () => {
    sim.setStatus('default-project/deepseek-v3-deployment', 'crashed');
    expect(await statusOf(DS)).toBe('crashed');
    clock.advance(10 * PHASE);
    expect(await statusOf(DS)).toBe('crashed');
    expect((await call('POST', DS, storage(7000))).body.data.status).toBe('pending');
    const gemma = `${COLL}/gemma-2-9b-it`;
    expect(await statusOf(gemma)).toBe('paused');
    expect((await call('POST', gemma, storage(7000))).body.data.status).toBe('paused');
  });

  it('setStatus moves the timeline to a step', async () => {
    sim.setStatus('default-project/deepseek-v3-deployment', 'provisioning');
    expect(await statusOf(DS)).toBe('provisioning');
    clock.advance(PHASE);
    expect(await statusOf(DS)).toBe('starting');
  });
});

describe('create and delete (CONVENTIONS.md 1.2–1.4)', () => {
  const createBody = { name: 'My Model', spec: { type: 'custom', configuration: { name: 'org/model', nodeConfiguration: { storage: { storageSize: 1024 } } } } };

  it('create: id is the slugified name, starts pending; 409 on a clash', async () => {
    const r = await call('POST', COLL, createBody);
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ id: 'my-model', name: 'My Model', status: 'pending', projectId: 'default-project' });
    expect(checkSeed('northflank/deployment', r.body.data)).toEqual([]);
    expect((await call('POST', COLL, createBody)).body.error).toMatchObject({ status: 409, id: 'conflict' });
  });

  it.each([
    ['without spec.type', { name: 'abc', spec: { configuration: {} } }, 'spec.type'],
    ['without name', { spec: { type: 'custom', configuration: {} } }, 'name'],
    ['storage without storageSize', { name: 'abc', spec: { type: 'custom', configuration: { nodeConfiguration: { storage: { storageClass: 'nvme' } } } } }, 'spec.configuration.nodeConfiguration.storage.storageSize'],
  ])('create %s → 400', async (_reason, body, path) => {
    const r = await call('POST', COLL, body);
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([{ path, message: expect.any(String) }]);
  });

  it('delete: 200 {data:{}}, deleting for one phase, then 404; no updates while deleting', async () => {
    expect(await call('DELETE', DS)).toMatchObject({ status: 200, body: { data: {} } });
    expect((await call('GET', DS)).body.data.status).toBe('deleting');
    expect((await call('POST', DS, { description: 'late' })).body.error).toMatchObject({ status: 409, id: 'conflict' });
    clock.advance(PHASE);
    expect((await call('GET', DS)).status).toBe(404);
    expect(sim.all('default-project').map((d) => d.id)).not.toContain('deepseek-v3-deployment');
  });
});

describe('faults and rate limits', () => {
  it('an injected status answers in the vendor error envelope', async () => {
    sim.server.inject({ fault: { kind: 'status', status: 503 }, times: 1 });
    expect(await call('GET', DS)).toMatchObject({ status: 503, body: { error: { status: 503, id: 'service-unavailable' } } });
    expect((await call('GET', DS)).status).toBe(200);
  });

  it('an injected rate limit answers 429 with Retry-After and x-ratelimit headers', async () => {
    sim.server.inject({ kind: 'rate-limit', retryAfterSeconds: 7 });
    const r = await call('GET', DS);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(r.body.error).toMatchObject({ status: 429, id: 'rate-limited' });
  });

  it('wrong-shape is JSON that is not the resource', async () => {
    sim.server.inject({ kind: 'wrong-shape' });
    const r = await call('GET', DS);
    expect(r.status).toBe(200);
    expect(checkSeed('northflank/deployment', r.body.data)).not.toEqual([]);
  });

  it('the optional fixed-window rate limit (CONVENTIONS.md 1.6)', async () => {
    const limited = await createNorthflankSimulator({ clock, phaseMs: PHASE, rateLimit: { limit: 2, windowMs: 60_000 } });
    try {
      const get = () => fetch(`${limited.url}${DS}`, { headers: { authorization: `Bearer ${limited.token}` } });
      const a = await get();
      expect([a.status, a.headers.get('x-ratelimit-limit'), a.headers.get('x-ratelimit-remaining'), a.headers.get('x-ratelimit-reset')]).toEqual([200, '2', '1', '60']);
      expect((await get()).status).toBe(200);
      const c = await get();
      expect(c.status).toBe(429);
      expect(c.headers.get('retry-after')).toBe('60');
      expect(await c.json()).toMatchObject({ error: { status: 429, id: 'rate-limited' } });
      clock.advance(60_000);
      expect((await get()).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('requests refused for their token are not counted and carry no x-ratelimit headers', async () => {
    const limited = await createNorthflankSimulator({ clock, phaseMs: PHASE, rateLimit: { limit: 2, windowMs: 60_000 } });
    try {
      const get = (t: string) => fetch(`${limited.url}${DS}`, { headers: { authorization: `Bearer ${t}` } });
      for (let i = 0; i < 5; i++) {
        const bad = await get('wrong-token');
        expect(bad.status).toBe(401);
        expect(bad.headers.get('x-ratelimit-remaining')).toBeNull();
      }
      const unauthenticated = await fetch(`${limited.url}${DS}`);
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.headers.get('x-ratelimit-limit')).toBeNull();
      // The window starts at the first authenticated request, with the whole quota left.
      clock.advance(30_000);
      const a = await get(limited.token);
      expect([a.status, a.headers.get('x-ratelimit-remaining'), a.headers.get('x-ratelimit-reset')]).toEqual([200, '1', '60']);
      expect((await get(limited.token)).status).toBe(200);
      expect((await get(limited.token)).status).toBe(429);
      // With the quota used up, a wrong token is still told it is wrong (auth comes first).
      const late = await get('wrong-token');
      expect(late.status).toBe(401);
      expect(await late.json()).toMatchObject({ error: { status: 401, id: 'unauthorized' } });
    } finally {
      await limited.close();
    }
  });

  it('records every call', async () => {
    sim.server.resetCalls();
    await call('GET', DS);
    await call('POST', DS, { description: 'x' });
    expect(sim.server.calls.map((c) => [c.method, c.path, c.status])).toEqual([
      ['GET', DS, 200],
      ['POST', DS, 200],
    ]);
    expect(sim.server.calls[1]!.body).toEqual({ description: 'x' });
  });
});

describe('the vendor JS client (@northflank/js-client) against the simulator', () => {
  async function client(opts: { token?: string } = {}) {
    const contexts = new ApiClientInMemoryContextProvider();
    await contexts.addContext({ name: 'simulator', token: opts.token ?? sim.token, host: sim.url });
    return new ApiClient(contexts, { throwErrorOnHttpErrorCode: true });
  }
  const parameters = { projectId: 'default-project', llmModelDeploymentId: 'deepseek-v3-deployment' };

  it('get.llmModelDeployment unwraps data', async () => {
    const api = await client();
    const r = await api.get.llmModelDeployment({ parameters });
    expect(r.error).toBeUndefined();
    expect(r.data).toMatchObject({ id: 'deepseek-v3-deployment', projectId: 'default-project', status: 'running' });
  });

  it('list.llmModelDeployments pages with getNextPage and .all()', async () => {
    const api = await client();
    const first = await api.list.llmModelDeployments({ parameters: { projectId: 'default-project' }, options: { per_page: 2 } });
    expect(first.data.llmModelDeployments.map((d) => d.id)).toEqual(['deepseek-v3-deployment', 'llama-3-1-70b-instruct']);
    expect(first.pagination).toMatchObject({ hasNextPage: true, count: 2 });
    const second = await (first.pagination as unknown as { getNextPage(): Promise<typeof first> }).getNextPage();
    expect(second.data.llmModelDeployments.map((d) => d.id)).toEqual(['qwen2-5-7b-instruct', 'mistral-7b-instruct']);
    const all = await api.list.llmModelDeployments.all({ parameters: { projectId: 'default-project' }, options: { per_page: 2 } });
    expect(all.data.llmModelDeployments.map((d) => d.id)).toEqual(sim.all('default-project').map((d) => d.id));
  });

  it('list and get in the teams form', async () => {
    const api = await client();
    const r = await api.list.llmModelDeployments({ parameters: { teamId: sim.teamId, projectId: 'ml-research' } });
    expect(r.data.llmModelDeployments).toHaveLength(3);
    expect(r.request.url).toContain(`/v1/teams/${sim.teamId}/projects/ml-research/llm-model-deployments`);
  });

  it('update.llmModelDeployment with the seed 000 example body', async () => {
    const api = await client();
    const data = {
      name: 'deepseek-v3-deployment',
      description: 'A deployment for DeepSeek V3 model',
      spec: { configuration: { nodeConfiguration: { storage: { storageClass: 'nvme', storageSize: 6144 } } } },
    };
    const r = await api.update.llmModelDeployment({ parameters, data });
    expect(r.error).toBeUndefined();
    expect(sim.server.calls.at(-1)).toMatchObject({ method: 'POST', path: DS, body: data });
    expect(sim.server.calls.at(-1)!.headers['user-agent']).toMatch(/^northflank-js-client\//);
  });

  it('a validation error reaches the client as NorthflankApiCallError with id and details', async () => {
    const api = await client();
    const err = await api.update
      .llmModelDeployment({ parameters, data: { ports: [{ name: 'p', internalPort: 70000, protocol: 'HTTP' }] } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NorthflankApiCallError);
    expect(err).toMatchObject({ status: 400, id: 'validation-error', details: [{ path: 'ports.0.internalPort' }] });
  });

  it('a wrong token is a 401 the client reads', async () => {
    const api = await client({ token: 'wrong' });
    await expect(api.get.llmModelDeployment({ parameters })).rejects.toMatchObject({ status: 401, id: 'unauthorized' });
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
    const reached = localImports(join(folder, 'adapter.ts'));
    expect(reached).toEqual(expect.arrayContaining([join(folder, 'contract.ts'), join(folder, 'mapping.ts')]));
  });

  it('the JSON Schema files of seed/ are valid against the meta-schema and compile in strict mode (the simulator does not check that when it starts)', () => {
    expect(seedSchemaProblems()).toEqual([]);
  });

  it('validates update bodies with the JSON Schema files of seed/ (a schema rule refuses what the simulator refuses)', async () => {
    const body = { description: '😀'.repeat(600) };
    expect(checkSeed('northflank/update-request', body)).toEqual([expect.objectContaining({ path: ['description'], keyword: 'maxLength' })]);
    const r = await call('POST', DS, body);
    expect(r.body.error.details).toEqual([{ path: 'description', message: expect.any(String) }]);
  });
});

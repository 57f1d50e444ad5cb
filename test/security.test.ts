/** Who may do what, and what abusive requests get: through HTTP against a gateway with auth configured. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { startStack, dataOf, type Stack } from './helpers.js';
import { createToySimulator } from './fixtures/toy-adapter.js';
import { ws } from './sub-clients.js';

const toyModule = fileURLToPath(new URL('./fixtures/toy-adapter.ts', import.meta.url));
const KEYS = {
  reader: 'reader-key-0123456789abcdef',
  writer: 'writer-key-0123456789abcdef',
  shopOnly: 'shop-only-key-0123456789abcdef',
  hashed: 'hashed-key-0123456789abcdef',
};

describe('API keys, scopes and backend restrictions', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      vendors: [],
      extraSims: { toybox: await createToySimulator(), toyshop: await createToySimulator() },
      env: { WRITER_KEY: KEYS.writer },
      config: {
        adapters: [toyModule],
        auth: {
          apiKeys: [
            { name: 'dashboard', key: KEYS.reader, scopes: ['read'] },
            { name: 'ops', key: '${WRITER_KEY}', scopes: ['read', 'write'] },
            { name: 'shop-script', key: KEYS.shopOnly, scopes: ['read', 'write'], backends: ['toyshop'] },
            { name: 'hashed', keySha256: createHash('sha256').update(KEYS.hashed).digest('hex'), scopes: ['read'] },
          ],
        },
      },
    });
  });
  afterAll(() => stack?.close());

  const upstreamCalls = () => stack.sims.toybox!.server.calls.length + stack.sims.toyshop!.server.calls.length;
  const LIST = `{ modelDeployments { edges { node { id } } } }`;
  const RENAME = (id: string) => `mutation { updateModelDeployment(input: {id: "${id}", name: "Renamed"}) { __typename } }`;

  it('refuses a request without a key with 401 before any execution', async () => {
    const before = upstreamCalls();
    const r = await stack.gql(LIST);
    expect(r.status).toBe(401);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(upstreamCalls()).toBe(before);
  });

  it('refuses a wrong key with 401', async () => {
    const r = await stack.gql(LIST, {}, { token: 'not-a-key-0000000000000000' });
    expect(r.status).toBe(401);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(JSON.stringify(r.body)).not.toContain('not-a-key');
  });

  it('lets a read key query, by key or by its configured hash', async () => {
    for (const token of [KEYS.reader, KEYS.hashed]) {
      const d = dataOf(await stack.gql(LIST, {}, { token }));
      expect(d.modelDeployments.edges).toHaveLength(4);
    }
  });

  it('refuses a mutation with a read-only key, sending nothing', async () => {
    const before = stack.sims.toybox!.server.calls.filter((c) => c.method !== 'GET').length;
    const r = await stack.gql(RENAME('toybox:alpha'), {}, { token: KEYS.reader });
    expect(r.status).toBe(200);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(stack.sims.toybox!.server.calls.filter((c) => c.method !== 'GET').length).toBe(before);
  });

  it('lets a write key (secret from ${ENV}) update', async () => {
    const d = dataOf(await stack.gql(RENAME('toybox:beta'), {}, { token: KEYS.writer }));
    expect(d.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
  });

  it('shows a key limited to one backend only that backend, and lets it touch nothing else', async () => {
    const d = dataOf(await stack.gql(LIST, {}, { token: KEYS.shopOnly }));
    expect(d.modelDeployments.edges.map((e: any) => e.node.id)).toEqual(['toyshop:alpha', 'toyshop:beta']);
    const backends = dataOf(await stack.gql(`{ backends { id } }`, {}, { token: KEYS.shopOnly }));
    expect(backends.backends).toEqual([{ id: 'toyshop' }]);
    const read = await stack.gql(`{ modelDeployment(id: "toybox:alpha") { id } }`, {}, { token: KEYS.shopOnly });
    expect(read.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const before = stack.sims.toybox!.server.calls.length;
    const write = await stack.gql(RENAME('toybox:alpha'), {}, { token: KEYS.shopOnly });
    expect(write.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(stack.sims.toybox!.server.calls.length).toBe(before);
    const own = dataOf(await stack.gql(RENAME('toyshop:alpha'), {}, { token: KEYS.shopOnly }));
    expect(own.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
  });

  it('refuses a WebSocket connection without a valid key', async () => {
    const sub = ws(stack.url, `subscription { modelDeploymentStatusChanged(ids: ["toybox:alpha"]) { __typename } }`, {}, {});
    await sub.waitFor((ev) => ev.some((e) => e.error), 5000);
    sub.stop();
    const ok = ws(stack.url, `subscription { modelDeploymentStatusChanged(ids: ["toybox:alpha"], emitCurrent: true) { __typename } }`, {}, { authorization: `Bearer ${KEYS.reader}` });
    await ok.waitFor((ev) => ev.some((e) => e.__typename === 'ModelDeploymentStatusTransition'), 5000);
    ok.stop();
  });

  it('sends the request id to the vendor', async () => {
    stack.sims.toyshop!.server.resetCalls();
    await stack.gql(`{ modelDeployment(id: "toyshop:alpha") { id } }`, {}, { token: KEYS.reader, headers: { 'x-request-id': 'req-abc-123' } });
    expect(stack.sims.toyshop!.server.calls.map((c) => c.headers['x-request-id'])).toEqual(['req-abc-123']);
  });
});

describe('query limits, CSRF, CORS, body size, introspection', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      vendors: [],
      extraSims: { toybox: await createToySimulator() },
      config: {
        adapters: [toyModule],
        server: { port: 0, introspection: false, cors: { origins: ['https://dashboard.example.internal'] }, maxRequestBytes: 4096 },
      },
    });
  });
  afterAll(() => stack?.close());

  it('refuses a query deeper than the limit', async () => {
    const deep = `{ modelDeployments { edges { node { model { name } } } pageInfo { hasNextPage } } }`;
    expect((await stack.gql(deep)).body.errors).toBeUndefined();
    let q = 'id';
    for (let i = 0; i < 14; i++) q = `node { ... on Node { ${q} } }`;
    const r = await stack.gql(`{ modelDeployments { edges { ${q} } } }`);
    expect(r.body.errors?.[0]?.message).toMatch(/depth/i);
  });

  it('refuses too many aliases', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: backends { id }`).join(' ');
    const r = await stack.gql(`{ ${aliases} }`);
    expect(r.body.errors?.[0]?.message).toMatch(/alias/i);
  });

  it('refuses a body over the size limit with 413, without reading it', async () => {
    const res = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ backends { id } }`, pad: 'x'.repeat(10_000) }) });
    expect(res.status).toBe(413);
  });

  it('blocks a simple cross-site GET without a preflight header (CSRF)', async () => {
    const res = await fetch(`${stack.url}?query=${encodeURIComponent('{ backends { id } }')}`);
    expect(res.status).toBe(403);
    const ok = await fetch(`${stack.url}?query=${encodeURIComponent('{ backends { id } }')}`, { headers: { 'x-graphql-yoga-csrf': '1' } });
    expect(ok.status).toBe(200);
  });

  it('grants CORS to a listed origin only', async () => {
    const pre = (origin: string) =>
      fetch(stack.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect((await pre('https://dashboard.example.internal')).headers.get('access-control-allow-origin')).toBe('https://dashboard.example.internal');
    expect((await pre('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('turns introspection off when the config says so', async () => {
    const r = await stack.gql(`{ __schema { types { name } } }`);
    expect(r.body.errors?.[0]?.message).toMatch(/introspection/i);
  });
});

/** Who may do what, and what abusive requests get: through HTTP against a gateway with auth configured. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orAfter, startStack, dataOf, until, watchSimulator, type Stack } from './helpers.js';
import { createToySimulator } from './fixtures/toy/simulator.js';
import { createNorthflankSimulator } from '../adapters/northflank/simulator.js';
import { ws } from './sub-clients.js';
import { addSecret, capture } from './secret-capture.js';
import { bin } from './binary.js';

const toyModule = fileURLToPath(new URL('./fixtures/toy/adapter.ts', import.meta.url));
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
  const RENAME = (id: string) => `mutation { updateModelDeployment(input: {id: "${id}", name: "Renamed"}) { __typename ... on Error { code } } }`;

  it('refuses a request without a key with 401 before any execution', async () => {
    const before = upstreamCalls();
    const r = await stack.gql(LIST);
    expect(r.status).toBe(401);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(upstreamCalls()).toBe(before);
  });

  it('refuses a wrong key with 401, calling no vendor', async () => {
    const before = upstreamCalls();
    for (const token of ['not-a-key-0000000000000000', `${KEYS.writer}x`, KEYS.reader.slice(0, -1)]) {
      const r = await stack.gql(LIST, {}, { token });
      expect(r.status).toBe(401);
      expect(r.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(JSON.stringify(r.body)).not.toContain(token);
      const write = await stack.gql(RENAME('toybox:alpha'), {}, { token });
      expect(write.status).toBe(401);
    }
    expect(upstreamCalls()).toBe(before);
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
    // A refusal is a member of the mutation's result union: it cannot null what other fields did.
    expect(r.body).toEqual({ data: { updateModelDeployment: { __typename: 'ForbiddenError', code: 'FORBIDDEN' } } });
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
    expect(write.body).toEqual({ data: { updateModelDeployment: { __typename: 'ForbiddenError', code: 'FORBIDDEN' } } });
    expect(stack.sims.toybox!.server.calls.length).toBe(before);
    const own = dataOf(await stack.gql(RENAME('toyshop:alpha'), {}, { token: KEYS.shopOnly }));
    expect(own.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
  });

  it('refuses a WebSocket connection without a valid key', async () => {
    const sub = ws(stack.url, `subscription { modelDeploymentStatusChanged(ids: ["toybox:alpha"]) { __typename } }`, {}, {});
    await sub.waitFor((ev) => ev.some((e) => e.error));
    sub.stop();
    const ok = ws(stack.url, `subscription { modelDeploymentStatusChanged(ids: ["toybox:alpha"], emitCurrent: true) { __typename } }`, {}, { authorization: `Bearer ${KEYS.reader}` });
    await ok.waitFor((ev) => ev.some((e) => e.__typename === 'ModelDeploymentStatusTransition'));
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

  it('refuses a cross-site form or text/plain POST without a preflight header (CSRF), and lets GET queries through', async () => {
    const mutation = `mutation { updateModelDeployment(input: {id: "toybox:alpha", name: "csrf"}) { __typename } }`;
    const before = stack.sims.toybox!.server.calls.filter((c) => c.method !== 'GET').length;
    const form = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ query: mutation }).toString() });
    expect(form.status).toBe(403);
    expect(((await form.json()) as any).errors[0].message).toMatch(/CSRF/);
    const text = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: mutation }) });
    expect(text.status).toBe(403);
    const multipart = new FormData();
    multipart.set('operations', JSON.stringify({ query: mutation }));
    expect((await fetch(stack.url, { method: 'POST', body: multipart })).status).toBe(403);
    // A mutation over GET is 405; a query over GET needs no header.
    expect((await fetch(`${stack.url}?query=${encodeURIComponent(mutation)}`)).status).toBe(405);
    expect(stack.sims.toybox!.server.calls.filter((c) => c.method !== 'GET').length).toBe(before);
    const get = await fetch(`${stack.url}?query=${encodeURIComponent('{ backends { id } }')}`);
    expect(get.status).toBe(200);
    // A preflighted form post (the header cannot be added cross-site without CORS) is served.
    const ok = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-graphql-yoga-csrf': '1' }, body: new URLSearchParams({ query: '{ backends { id } }' }).toString() });
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

describe('the real binary, serving without auth, says loudly that it is open', () => {
  /** Allow for a slow machine, but never wait forever. */
  const START_MS = 30_000;
  const STOP_MS = 30_000;

  interface Served {
    proc: ChildProcess;
    output: () => string;
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  }

  function serve(label: string, args: string[], env: Record<string, string>): Served {
    const { MODEL_GATEWAY_CONFIG: _c, PORT: _p, HOST: _h, ...rest } = process.env;
    const proc = spawn(process.execPath, [bin, 'serve', ...args], { env: { ...rest, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.on('close', (code, signal) => {
        // Scanned for secrets after the file (test/setup-secret-scan.ts).
        capture('CLI output', `${label} (stdout)`)(out);
        capture('CLI output', `${label} (stderr)`)(err);
        resolve({ code, signal });
      }),
    );
    return { proc, output: () => `${out}${err}`, exited };
  }

  async function waitFor(s: Served, pattern: RegExp, what: string): Promise<RegExpExecArray> {
    await until(what, () => pattern.test(s.output()) || s.proc.exitCode !== null, START_MS).catch(() => {
      throw new Error(`no ${what} within ${START_MS} ms:\n${s.output()}`);
    });
    const m = pattern.exec(s.output());
    if (m) return m;
    throw new Error(`serve exited (${s.proc.exitCode}) before ${what}:\n${s.output()}`);
  }

  /** SIGTERM, then the process must exit 0 on its own within STOP_MS. */
  async function stop(s: Served): Promise<void> {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
    s.proc.kill('SIGTERM');
    const r = await orAfter(s.exited, STOP_MS, 'timeout' as const);
    if (r === 'timeout') {
      s.proc.kill('SIGKILL');
      await s.exited;
      throw new Error(`serve did not exit within ${STOP_MS} ms of SIGTERM`);
    }
    expect(r).toEqual({ code: 0, signal: null });
  }

  const LIST = JSON.stringify({ query: '{ modelDeployments(first: 1) { totalCount } }' });
  const post = (url: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: LIST });

  it('demo mode (no config): warns that it is open, serves without a key, and stops on SIGTERM', async () => {
    // The demo's simulators use their default tokens (adapters/<vendor>/index.ts); its ZStack password is random, in the child.
    addSecret('the demo Northflank token', 'nf-simulator-token');
    addSecret('the demo NeMo token', 'nemo-simulator-token');
    const s = serve('model-gateway serve (demo mode)', ['--port', '0'], { LOG_LEVEL: 'trace' });
    try {
      const url = (await waitFor(s, /model-gateway is listening on (http:\/\/\S+)/, 'listening line'))[1]!;
      await waitFor(s, /WARNING: demo mode is OPEN: no API key is required\. Use --config with an auth section in production\./, 'open-mode warning');
      const res = await post(url);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).data.modelDeployments.totalCount).toBeGreaterThan(0);
    } finally {
      await stop(s);
    }
    expect(s.output()).toContain('DEMO MODE');
  }, START_MS + STOP_MS + 15_000);

  it('a config with backends but no auth section: warns that it is open to anyone who can reach it, and stops on SIGTERM', async () => {
    const sim = await createNorthflankSimulator({ token: 'nf-serve-test-token-5f0c2a9d' });
    watchSimulator(sim);
    const dir = mkdtempSync(join(tmpdir(), 'mg-serve-'));
    const file = join(dir, 'gateway.json');
    const { token: _t, ...backend } = sim.backendConfig;
    writeFileSync(file, JSON.stringify({ backends: [{ id: 'northflank', ...backend, token: '${NF_TOKEN}' }], logging: { level: 'trace' } }));
    const s = serve('model-gateway serve --config', ['--config', file, '--port', '0'], { NF_TOKEN: sim.token });
    try {
      const url = (await waitFor(s, /model-gateway is listening on (http:\/\/\S+)/, 'listening line'))[1]!;
      const port = new URL(url).port;
      await waitFor(s, new RegExp(`WARNING: the config has no auth section: the API is OPEN to anyone who can reach 127\\.0\\.0\\.1:${port}\\.`), 'open-API warning');
      expect(s.output()).not.toContain('DEMO MODE');
      const before = sim.server.calls.length;
      const res = await post(url);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).data.modelDeployments.totalCount).toBeGreaterThan(0);
      // It served the configured backend, with the token from the environment.
      expect(sim.server.calls.slice(before).every((c) => c.headers.authorization === `Bearer ${sim.token}`)).toBe(true);
      expect(sim.server.calls.length).toBeGreaterThan(before);
    } finally {
      await stop(s);
      await sim.close();
    }
    // Trace-level logs of that traffic were written, and are scanned like the rest.
    expect(s.output()).toMatch(/"level":20/);
  }, START_MS + STOP_MS + 15_000);
});

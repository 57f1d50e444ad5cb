/**
 * The HTTP and WebSocket edge, through real clients: the GraphQL-over-HTTP audit suite, the
 * graphql-ws and graphql-sse clients, an EventSource-style GET, browser-safety checks (CSRF,
 * Origin, Host), request ids, timeouts, GraphiQL's static assets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createYoga } from 'graphql-yoga';
import { serverAudits } from 'graphql-http';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createManualClock } from '../src/domain/clock.js';
import { subscriptionStats } from '../src/graphql/subscriptions.js';
import { orAfter, pollRounds, startStack, until, type Stack } from './helpers.js';
import { createToySimulator } from './fixtures/toy/simulator.js';
import { sse, ws, transitions } from './sub-clients.js';
import { GRAPHIQL_ASSETS } from '../src/server/graphiql.js';

const toyModule = fileURLToPath(new URL('./fixtures/toy/adapter.ts', import.meta.url));
const READER = 'edge-reader-key-0123456789abcdef';

const STATUS_SUB = `subscription($ids: [ID!], $emit: Boolean) {
  modelDeploymentStatusChanged(ids: $ids, emitCurrent: $emit) {
    __typename
    ... on ModelDeploymentStatusTransition { previous current initial deployment { id } }
  }
}`;


/** A raw request with any Host/Origin (fetch cannot set Host). Resolves status, headers and body. */
function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: opts.method ?? 'GET', headers: opts.headers, setHost: !opts.headers?.host }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Attempts a WebSocket upgrade with the given headers: 101 when accepted, else the refusal's status. */
function upgrade(url: string, headers: Record<string, string>): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      setHost: !headers.host,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-protocol': 'graphql-transport-ws',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode!);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Reads an SSE response until `count` `next` events (or `complete`) arrived; `next` fills as they come. */
async function readEvents(res: Response, count: number, next: any[] = []): Promise<{ next: any[]; completed: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let completed = false;
  while (next.length < count && !completed) {
    // Each read waits for the next chunk; a stream that stops is ended by the test's own timeout.
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (\w+)/m.exec(block)?.[1];
      const data = /^data: ?(.*)$/m.exec(block)?.[1];
      if (event === 'next') next.push(JSON.parse(data!));
      if (event === 'complete') completed = true;
    }
  }
  await reader.cancel().catch(() => {});
  return { next, completed };
}

describe('GraphQL over HTTP: the graphql-http audit suite', () => {
  let stack: Stack;
  let plain: http.Server;
  let plainUrl: string;
  beforeAll(async () => {
    stack = await startStack({ vendors: ['northflank'] });
    // The baseline: plain graphql-yoga over the same schema.
    plain = http.createServer(createYoga({ schema: stack.gateway.schema, logging: false }));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    plainUrl = `http://127.0.0.1:${(plain.address() as net.AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await stack?.close();
    plain?.close();
  });

  const passed = async (url: string) => {
    const results = await Promise.all(serverAudits({ url }).map(async (a) => ({ name: a.name, result: await a.fn() })));
    return { total: results.length, ok: new Set(results.filter((r) => r.result.status === 'ok').map((r) => r.name)) };
  };

  it('passes every audit plain graphql-yoga passes (61 of 61)', async () => {
    const baseline = await passed(plainUrl);
    const ours = await passed(stack.url);
    expect(baseline.total).toBe(61);
    expect(baseline.ok.size).toBe(61);
    expect([...baseline.ok].filter((name) => !ours.ok.has(name))).toEqual([]);
    expect(ours.ok.size).toBe(61);
  });
});

describe('subscriptions through real clients, without extra headers', () => {
  const INTERVAL = 40;
  // The hub's clock: each poll is made to happen, after alpha has changed upstream.
  const clock = createManualClock();
  let stack: Stack;
  let toy: Awaited<ReturnType<typeof createToySimulator>>;
  beforeAll(async () => {
    toy = await createToySimulator();
    stack = await startStack({ vendors: [], extraSims: { toybox: toy }, statusClock: clock, config: { adapters: [toyModule], status: { pollIntervalMs: INTERVAL } } });
  });
  afterAll(() => stack?.close());

  /** One more poll of the toy backend, ended (a step of the interval plus its jitter makes one). */
  const polled = () => pollRounds(stack.gateway.runtime.hub!, clock, { toybox: 1 }, INTERVAL * 1.1);

  /** Alpha goes down upstream after the hub's first read of it (the baseline), and the hub reads it again. */
  async function alphaGoesDown() {
    await polled();
    toy.setState('alpha', 'down');
    await polled();
  }

  /** Alpha back up, and no subscription or watch left (the next test starts its own). */
  async function reset() {
    toy.setState('alpha', 'up');
    const hub = stack.gateway.runtime.hub!;
    await until('the watch to end', () => subscriptionStats(hub).subscribers === 0 && Object.keys(hub.stats()).length === 0);
  }

  it.each([
    ['graphql-ws', ws],
    ['graphql-sse', sse],
  ] as const)('delivers the present state and a transition to the %s client', async (_name, open) => {
    const sub = open(stack.url, STATUS_SUB, { ids: ['toybox:alpha'], emit: true });
    try {
      await sub.waitFor((ev) => ev.some((e) => e.initial));
      await alphaGoesDown();
      await sub.waitFor((ev) => transitions(ev).length >= 1);
      expect(transitions(sub.events)).toEqual(['READY->FAILED']);
      expect(sub.events.filter((e) => e.error)).toEqual([]);
      expect(sub.events.length).toBeGreaterThanOrEqual(2);
    } finally {
      sub.stop();
      await reset();
    }
  }, 60_000);

  it('delivers to an EventSource-style GET (?query=&variables=, Accept: text/event-stream only)', async () => {
    const params = new URLSearchParams({ query: STATUS_SUB, variables: JSON.stringify({ ids: ['toybox:alpha'], emit: true }) });
    const res = await fetch(`${stack.url}?${params}`, { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const arrived: any[] = [];
    const reading = readEvents(res, 2, arrived);
    try {
      await until('the present state', () => arrived.length >= 1);
      await alphaGoesDown();
      const { next } = await reading;
      expect(next).toHaveLength(2);
      expect(next[0].data.modelDeploymentStatusChanged).toMatchObject({ initial: true, deployment: { id: 'toybox:alpha' } });
      expect(next[1].data.modelDeploymentStatusChanged).toMatchObject({ initial: false, previous: 'READY', current: 'FAILED' });
    } finally {
      await reading.catch(() => undefined);
      await reset();
    }
  }, 60_000);

  it('answers a subscription POSTed with only a JSON Accept with 406, at once, and keeps no watch for it', async () => {
    const res = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: STATUS_SUB, variables: { ids: ['toybox:alpha'] } }),
    });
    expect(res.status).toBe(406);
    expect(res.headers.get('accept')).toContain('text/event-stream');
    expect(((await res.json()) as any).errors[0].message).toMatch(/Accept: text\/event-stream/);
    await reset();
  }, 60_000);

  it('gives a malformed WebSocket operation an error for its id only; the live subscription streams on', async () => {
    const client = createWsClient({ url: stack.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    const live: any[] = [];
    const liveDone: unknown[] = [];
    const stopLive = client.subscribe(
      { query: STATUS_SUB, variables: { ids: ['toybox:alpha'], emit: true } },
      { next: (v) => live.push(v.data?.modelDeploymentStatusChanged), error: (e) => liveDone.push(e), complete: () => liveDone.push('complete') },
    );
    try {
      await until('the initial event', () => live.some((e) => e?.initial));
      const bad = async (query: string) =>
        new Promise<unknown>((resolve) => {
          client.subscribe({ query }, { next: (v) => resolve(v), error: (e) => resolve(e), complete: () => {} });
        });
      const unparsable = (await bad('subscription { modelDeploymentStatusChanged(')) as any[];
      expect(unparsable[0].message).toMatch(/Syntax Error/);
      const invalid = (await bad('subscription { noSuchField }')) as any[];
      expect(invalid[0].message).toMatch(/noSuchField/);
      let deep = 'id';
      for (let i = 0; i < 14; i++) deep = `deployment { ... on ModelDeploymentStatusTransition { ${deep} } }`;
      const overLimit = (await bad(`subscription { modelDeploymentStatusChanged(ids: ["toybox:alpha"]) { ... on ModelDeploymentStatusTransition { ${deep} } } }`)) as any[];
      expect(Array.isArray(overLimit) ? overLimit[0].message : String(overLimit)).toMatch(/depth|Cannot query|fragment/i);
      // The connection and its first subscription go on.
      await alphaGoesDown();
      await until(`a transition on the live subscription (so far ${JSON.stringify(live)})`, () => live.some((e) => e && !e.initial));
      expect(live.filter((e) => e && !e.initial)).toMatchObject([{ previous: 'READY', current: 'FAILED' }]);
      expect(liveDone).toEqual([]);
    } finally {
      stopLive();
      await client.dispose();
      await reset();
    }
  }, 60_000);
});

describe('browser safety: WebSocket Origin, Host allowlist, CSRF', () => {
  const ALLOWED = 'https://dashboard.example.internal';
  const modes = [
    ['open mode', {}],
    ['keyed mode', { auth: { apiKeys: [{ name: 'reader', key: READER, scopes: ['read'] }] } }],
  ] as const;
  describe.each(modes)('%s', (mode, extra) => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ vendors: [], extraSims: { toybox: await createToySimulator() }, config: { adapters: [toyModule], server: { port: 0, cors: { origins: [ALLOWED] } }, ...extra } as never });
    });
    afterAll(() => stack?.close());

    it('refuses a WebSocket from another site at the upgrade (403); accepts its own origin, a listed one and none', async () => {
      expect(await upgrade(stack.url, { origin: 'https://evil.example' })).toBe(403);
      expect(await upgrade(stack.url, { origin: 'null' })).toBe(403);
      expect(await upgrade(stack.url, { origin: `http://localhost:${new URL(stack.url).port}` })).toBe(403);
      expect(await upgrade(stack.url, { origin: ALLOWED })).toBe(101);
      expect(await upgrade(stack.url, { origin: new URL(stack.url).origin })).toBe(101);
      expect(await upgrade(stack.url, {})).toBe(101);
    });

    it('still serves a subscription over a WebSocket without Origin (CLI, server-side clients)', async () => {
      const sub = ws(stack.url, STATUS_SUB, { ids: ['toybox:alpha'], emit: true }, mode === 'keyed mode' ? { authorization: `Bearer ${READER}` } : {});
      try {
        await sub.waitFor((ev) => ev.some((e) => e.initial));
      } finally {
        sub.stop();
      }
    });

    it(mode === 'open mode' ? 'refuses a foreign Host (DNS rebinding) over HTTP and WebSocket' : 'serves any well-formed Host (a key is needed anyway)', async () => {
      const port = new URL(stack.url).port;
      const query = JSON.stringify({ query: '{ backends { id } }' });
      const headers = (host: string) => ({ host, 'content-type': 'application/json', ...(mode === 'keyed mode' ? { authorization: `Bearer ${READER}` } : {}) });
      const foreign = await rawRequest(stack.url, { method: 'POST', headers: headers(`rebound.evil.example:${port}`), body: query });
      const ws = await upgrade(stack.url, { host: `rebound.evil.example:${port}` });
      if (mode === 'open mode') {
        expect(foreign.status).toBe(403);
        expect(foreign.body).not.toContain('toybox');
        expect(ws).toBe(403);
      } else {
        expect(foreign.status).toBe(200);
        expect(ws).toBe(101);
      }
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
        expect((await rawRequest(stack.url, { method: 'POST', headers: headers(host), body: query })).status, host).toBe(200);
      }
    });
  });

  it('serves the hosts listed in server.allowedHosts in open mode', async () => {
    const stack = await startStack({ vendors: [], extraSims: { toybox: await createToySimulator() }, config: { adapters: [toyModule], server: { port: 0, allowedHosts: ['gateway.internal'] } } as never });
    try {
      const body = JSON.stringify({ query: '{ backends { id } }' });
      expect((await rawRequest(stack.url, { method: 'POST', headers: { host: 'gateway.internal:4000', 'content-type': 'application/json' }, body })).status).toBe(200);
      expect((await rawRequest(stack.url, { method: 'POST', headers: { host: 'other.internal', 'content-type': 'application/json' }, body })).status).toBe(403);
    } finally {
      await stack.close();
    }
  });
});

describe('malformed requests, request ids, timeouts, suggestions', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vendors: [], extraSims: { toybox: await createToySimulator() }, config: { adapters: [toyModule], server: { port: 0, introspection: false, requestTimeoutMs: 1000 } } as never });
  });
  afterAll(() => stack?.close());

  it('answers a malformed Host with 400 and logs no error', async () => {
    const before = stack.logs.length;
    for (const host of ['[::1', 'x y', 'a/b', '[::1]:x']) {
      for (const lane of [{ 'content-type': 'application/json' }, { accept: 'text/html' }, {}] as Record<string, string>[]) {
        const r = await rawRequest(stack.url, { method: 'POST', headers: { host, ...lane }, body: JSON.stringify({ query: '{ backends { id } }' }) });
        expect(r.status, host).toBe(400);
        expect(JSON.parse(r.body).errors[0].extensions.code).toBe('BAD_REQUEST');
      }
      expect(await upgrade(stack.url, { host })).toBe(400);
    }
    const lines = stack.logs.slice(before).map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('echoes a valid x-request-id, makes one otherwise, on every kind of answer', async () => {
    const ok = await stack.gql('{ backends { id } }', {}, { headers: { 'x-request-id': 'client-id-123' } });
    expect(ok.headers.get('x-request-id')).toBe('client-id-123');
    const bad = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'bad id with spaces' }, body: '{' });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const page = await fetch(stack.url, { headers: { accept: 'text/html', 'x-request-id': 'page-1' } });
    expect(page.headers.get('x-request-id')).toBe('page-1');
    const big = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'big-1' }, body: 'x'.repeat(2 * 1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.headers.get('x-request-id')).toBe('big-1');
    // A body without Content-Length, refused while it is read.
    const chunks = new ReadableStream({
      start(c) {
        for (let i = 0; i < 3; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1024 * 1024)));
        c.close();
      },
    });
    const streamed = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'big-2' }, body: chunks, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(streamed.headers.get('x-request-id')).toBe('big-2');
    // The fast lane's answers: a result with errors (Yoga's result processing) and a subscription's stream.
    const failing = await stack.gql('{ modelDeployment(id: "nope") { id } }', {}, { headers: { 'x-request-id': 'err-1' } });
    expect(failing.body.errors?.length).toBeGreaterThan(0);
    expect(failing.headers.get('x-request-id')).toBe('err-1');
    const stream = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-request-id': 'sse-1' },
      body: JSON.stringify({ query: STATUS_SUB, variables: { ids: ['toybox:alpha'], emit: true } }),
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('x-request-id')).toBe('sse-1');
    await stream.body?.cancel();
  });

  it('names the missing content type of a POST', async () => {
    const res = await rawRequest(stack.url, { method: 'POST', headers: {}, body: JSON.stringify({ query: '{ backends { id } }' }) });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.body).errors[0].message).toMatch(/Missing Content-Type.*application\/json/);
  });

  it('tells no field suggestions when introspection is off', async () => {
    const r = await stack.gql('{ backendz { id } }');
    expect(r.body.errors?.[0]?.message).toMatch(/Cannot query field "backendz"/);
    expect(r.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const open = await startStack({ vendors: [], extraSims: { toybox: await createToySimulator() }, config: { adapters: [toyModule] } });
    try {
      // The same mistake with introspection on does name the field (the check above can fail).
      expect((await open.gql('{ backendz { id } }')).body.errors?.[0]?.message).toMatch(/Did you mean "backends"/);
    } finally {
      await open.close();
    }
  });

  it('drops a request whose body trickles in for longer than server.requestTimeoutMs', async () => {
    const { port } = new URL(stack.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    let answer = '';
    socket.on('data', (b) => (answer += b.toString()));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    const trickle = setInterval(() => socket.writable && socket.write(' '), 100);
    // Generous for a busy machine: the limit is 1 s, checked every second; without it Node waits 300 s.
    const outcome = await orAfter(closed.then(() => 'closed'), 20_000, 'still open');
    clearInterval(trickle);
    socket.destroy();
    expect(outcome).toBe('closed');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  }, 30_000);
});

describe('GraphiQL as static assets', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vendors: [], extraSims: { toybox: await createToySimulator() }, config: { adapters: [toyModule], auth: { apiKeys: [{ name: 'reader', key: READER, scopes: ['read'] }] } } as never });
  });
  afterAll(() => stack?.close());

  it('is a small page that may not be framed, with its bundle compressed, cached and revalidated by ETag', async () => {
    const page = await fetch(stack.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(Buffer.byteLength(html)).toBeLessThanOrEqual(100 * 1024);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const scripts = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.every((s) => s.startsWith(`${GRAPHIQL_ASSETS}/`))).toBe(true);
    for (const path of scripts) {
      const res = await rawRequest(new URL(path, stack.url).href, { headers: { 'accept-encoding': 'br, gzip' } });
      expect(res.status, path).toBe(200);
      expect(res.headers['cache-control']).toContain('max-age=31536000');
      if (!path.endsWith('.ico')) expect(res.headers['content-encoding']).toBe('br');
      const etag = res.headers.etag!;
      expect((await rawRequest(new URL(path, stack.url).href, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
    const gz = await rawRequest(new URL(`${GRAPHIQL_ASSETS}/graphiql.js`, stack.url).href, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    // The page needs no key; operations do.
    expect((await stack.gql('{ backends { id } }')).status).toBe(401);
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { systemClock, type Clock } from '../domain/clock.js';

/**
 * The shared machinery behind every vendor simulator: a real HTTP server on loopback, a
 * route table, a record of every call, and fault injection that tests control.
 */

export interface SimRequest {
  method: string;
  /** Path as received (still percent-encoded). */
  rawPath: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body, or undefined when there was none. */
  body: unknown;
  rawBody: string;
}

export interface SimResponse {
  status: number;
  /** Objects are sent as JSON; strings as text/plain (ZStack answers 400/404/500 in plain text). */
  body?: unknown;
  headers?: Record<string, string>;
}

export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export interface RecordedCall {
  method: string;
  path: string;
  query: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  status: number;
  at: number;
}

export type Fault =
  | { kind: 'latency'; ms: number; jitterMs?: number }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'rate-limit'; retryAfterSeconds: number }
  | { kind: 'reset' }
  | { kind: 'garbled' }
  | { kind: 'truncated' }
  | { kind: 'wrong-shape' }
  | { kind: 'hang' }
  /** Holds the request until the promise `until()` gives settles, then handles it as usual (tests order races with it). */
  | { kind: 'gate'; until: () => Promise<unknown> };

export interface FaultRule {
  fault: Fault;
  method?: string;
  /** Applies when the path contains this string. */
  pathIncludes?: string;
  /** How many matching requests it hits; undefined = until cleared. */
  times?: number;
}

export interface SimulatorServerOptions {
  name: string;
  routes: Array<[method: string, pattern: string, handler: SimHandler]>;
  /** The vendor's own error body for an injected status (or a 429). */
  errorBody(status: number, message: string): unknown;
  /** A JSON body that parses but has the wrong shape for the vendor. */
  wrongShapeBody?: unknown;
  /**
   * The vendor's answer to a request it would refuse whatever its body (no or a wrong credential):
   * such a request with a body that is not JSON gets this, not the 400 for the body.
   */
  authFailure?(headers: http.IncomingHttpHeaders, method: string, path: string): SimResponse | null;
  port?: number;
  host?: string;
  /**
   * Wire time: injected latency, its jitter, the hang-up of a truncated reply and the time of each
   * recorded call. The client's timeouts measure these on the machine's time. @default systemClock
   */
  clock?: Clock;
}

export interface SimulatorServer {
  readonly url: string;
  readonly port: number;
  readonly calls: RecordedCall[];
  /** Calls whose method matches and whose path contains `pathIncludes`. */
  count(method?: string, pathIncludes?: string): number;
  resetCalls(): void;
  inject(rule: FaultRule | Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

interface CompiledRoute {
  method: string;
  regex: RegExp;
  names: string[];
  handler: SimHandler;
}

function compile(method: string, pattern: string, handler: SimHandler): CompiledRoute {
  const names: string[] = [];
  const src = pattern
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        names.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { method, regex: new RegExp(`^${src}/?$`), names, handler };
}

export async function startSimulatorServer(options: SimulatorServerOptions): Promise<SimulatorServer> {
  const routes = options.routes.map(([m, p, h]) => compile(m, p, h));
  const calls: RecordedCall[] = [];
  let faults: FaultRule[] = [];
  const sockets = new Set<Socket>();
  const clock = options.clock ?? systemClock;

  const takeFault = (method: string, path: string): Fault | undefined => {
    for (const rule of faults) {
      if (rule.method && rule.method !== method) continue;
      if (rule.pathIncludes && !path.includes(rule.pathIncludes)) continue;
      if (rule.times !== undefined) {
        rule.times -= 1;
        if (rule.times <= 0) faults = faults.filter((r) => r !== rule);
      }
      return rule.fault;
    }
    return undefined;
  };

  const send = (res: http.ServerResponse, r: SimResponse) => {
    const headers: Record<string, string> = { ...r.headers };
    let payload = '';
    if (typeof r.body === 'string') {
      payload = r.body;
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else if (r.body !== undefined) {
      payload = JSON.stringify(r.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(r.status, headers);
    res.end(payload);
  };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    let body: unknown;
    let badJson = false;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        badJson = true;
        body = rawBody;
      }
    }
    const record: RecordedCall = {
      method,
      path: url.pathname,
      query: url.search,
      headers: req.headers,
      body,
      status: 0,
      at: clock.now(),
    };
    calls.push(record);
    const respond = (r: SimResponse) => {
      record.status = r.status;
      send(res, r);
    };

    let fault = takeFault(method, url.pathname);
    if (fault?.kind === 'gate') {
      await fault.until().catch(() => undefined);
      fault = undefined;
    }
    if (fault?.kind === 'latency') {
      await clock.sleep(fault.ms + clock.random() * (fault.jitterMs ?? 0));
      fault = undefined;
    }
    if (fault) {
      switch (fault.kind) {
        case 'hang':
          record.status = -1;
          return; // never answers; the socket is destroyed on close()
        case 'reset':
          record.status = -1;
          req.socket.destroy();
          return;
        case 'status':
          return respond({ status: fault.status, body: fault.body ?? options.errorBody(fault.status, 'Injected fault'), headers: fault.headers });
        case 'rate-limit':
          return respond({
            status: 429,
            body: options.errorBody(429, 'Too many requests'),
            headers: {
              'retry-after': String(fault.retryAfterSeconds),
              'x-ratelimit-limit': '1000',
              'x-ratelimit-remaining': '0',
              // Seconds until the window resets (CONVENTIONS.md 1.6).
              'x-ratelimit-reset': String(fault.retryAfterSeconds),
            },
          });
        case 'garbled':
          record.status = 200;
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('{"data": {"name": "oops", <<garbled>>');
        case 'truncated':
          record.status = 200;
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
          res.write('{"data": {"name": "trunc');
          return void clock.setTimer(() => req.socket.destroy(), 5);
        case 'wrong-shape':
          return respond({ status: 200, body: options.wrongShapeBody ?? { unexpected: [1, 2, 3] } });
      }
    }

    if (badJson) return respond(options.authFailure?.(req.headers, method, url.pathname) ?? { status: 400, body: options.errorBody(400, 'Request body is not valid JSON') });

    for (const route of routes) {
      if (route.method !== method) continue;
      const m = route.regex.exec(url.pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      try {
        route.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      } catch {
        return respond({ status: 400, body: options.errorBody(400, 'Malformed path') });
      }
      try {
        return respond(await route.handler({ method, rawPath: url.pathname, params, query: url.searchParams, headers: req.headers, body, rawBody }));
      } catch (err) {
        return respond({ status: 500, body: options.errorBody(500, `Simulator error: ${(err as Error).message}`) });
      }
    }
    return respond({ status: 404, body: options.errorBody(404, `No route for ${method} ${url.pathname}`) });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    calls,
    count(method, pathIncludes) {
      return calls.filter((c) => (!method || c.method === method) && (!pathIncludes || c.path.includes(pathIncludes))).length;
    },
    resetCalls() {
      calls.length = 0;
    },
    inject(ruleOrFault) {
      const rule: FaultRule = 'fault' in ruleOrFault ? ruleOrFault : { fault: ruleOrFault };
      faults.push({ ...rule });
    },
    clearFaults() {
      faults = [];
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** What starting any vendor's simulator takes (adapters/<vendor>/index.ts). */
export interface SimulatorOptions {
  clock?: Clock;
  /** @default 0 (a free port) */
  port?: number;
  /** How long each status phase lasts on the clock. */
  phaseMs?: number;
  /** Load the sample deployments. */
  seed?: boolean;
}

/** What every vendor simulator returns (adapters/<vendor>/simulator.ts). */
export interface VendorSimulator {
  vendor: string;
  url: string;
  /**
   * The backend entry (without `id`) that points the gateway at this simulator, exactly as a
   * config file would: e.g. `{vendor: 'northflank', baseUrl, token, projects}`.
   */
  backendConfig: Record<string, unknown> & { vendor: string; baseUrl: string };
  /** Calls received, counters and fault injection. */
  server: SimulatorServer;
  close(): Promise<void>;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Gateway } from '../gateway.js';

/**
 * Plain JSON POST queries and mutations — nearly all API traffic — skip the Fetch API layer: the
 * body is read once (bounded), and the operation runs through `yoga.getEnveloped()`, so every
 * envelop plugin (parse and validation caches, query limits, JIT, masking, auth context) applies.
 * Anything else, and any request the fast path would answer differently from Yoga (a parse or
 * validation error, a subscription, a browser request that needs CORS), is handed to Yoga with
 * the body already read. Measured in `npm run bench`.
 */
export function createFastPath(gateway: Gateway, maxBytes: number) {
  const endpoint = gateway.yoga.graphqlEndpoint;

  async function toYoga(req: IncomingMessage, res: ServerResponse, body: string) {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const response = await gateway.yoga.fetch(`http://${req.headers.host ?? 'localhost'}${req.url}`, { method: 'POST', headers, body });
    const out: Record<string, string> = {};
    response.headers.forEach((v, k) => (out[k] = v));
    const text = await response.text();
    out['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(response.status, out);
    res.end(text);
  }

  function send(res: ServerResponse, status: number, contentType: string, payload: string) {
    res.writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(payload)) });
    res.end(payload);
  }

  /** Returns false when the request is not one for the fast path (Yoga then handles it untouched). */
  return function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || req.url !== endpoint || req.headers.origin) return false;
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/json')) return false;
    const accept = req.headers.accept ?? '';
    if (accept.includes('multipart/')) return false;
    const sse = accept.includes('text/event-stream');
    const contentType = accept.includes('application/graphql-response+json') ? 'application/graphql-response+json; charset=utf-8' : 'application/json; charset=utf-8';

    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes && !refused) {
        refused = true;
        res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ errors: [{ message: `Request body larger than ${maxBytes} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }));
        req.destroy();
      } else if (!refused) chunks.push(c);
    });
    req.on('end', () => {
      if (refused) return;
      const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      // The listeners (and so the chunks) live as long as the request: a subscription's is long.
      chunks.length = 0;
      (sse ? runSubscription(req, res, body) : run(req, res, body, contentType)).catch((err) => {
        gateway.runtime.logger.error({ err }, 'fast path failed');
        if (!res.headersSent) send(res, 500, contentType, JSON.stringify({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL' } }] }));
      });
    });
    return true;
  };

  /** Parses and validates a plain JSON request; null when Yoga should answer it instead. */
  function prepare(req: IncomingMessage, body: string, subscription = false) {
    let params: { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown };
    try {
      params = JSON.parse(body);
    } catch {
      return null;
    }
    if (!params || typeof params !== 'object' || Array.isArray(params) || typeof params.query !== 'string') return null;
    if (gateway.authenticate(req.headers.authorization) === null) return null;
    // A subscription keeps its variables for its whole life: identical ones are kept once.
    if (subscription && params.variables && typeof params.variables === 'object') params.variables = interned(params.variables as object);
    // What the context reads of the request (its headers), without building a Fetch Request.
    const request = { method: 'POST', url: `http://localhost${endpoint}`, headers: new NodeHeaders(req.headers) };
    const enveloped = gateway.yoga.getEnveloped({ request, params } as never);
    let document: DocumentNode;
    try {
      document = enveloped.parse(params.query);
      // Query-limit rules may throw instead of returning errors: Yoga answers both.
      if (enveloped.validate(enveloped.schema, document).length > 0) return null;
    } catch {
      return null;
    }
    const operationName = typeof params.operationName === 'string' ? params.operationName : undefined;
    const op = getOperationAST(document, operationName);
    if (!op) return null;
    const variableValues = params.variables && typeof params.variables === 'object' ? (params.variables as Record<string, unknown>) : undefined;
    return { enveloped, document, operationName, variableValues, operation: op.operation };
  }

  async function run(req: IncomingMessage, res: ServerResponse, body: string, contentType: string) {
    const p = prepare(req, body);
    if (!p || p.operation === 'subscription') return toYoga(req, res, body);
    const { enveloped, document, operationName, variableValues } = p;
    const { contextFactory, execute, schema } = enveloped;
    const contextValue = await contextFactory();
    const result = (await execute({ schema, document, variableValues, operationName, contextValue })) as ExecutionResult & { stringify?: (r: ExecutionResult) => string };
    if (Symbol.asyncIterator in (result as object)) {
      return send(res, 500, contentType, JSON.stringify({ errors: [{ message: 'Streaming results are not served on this path.' }] }));
    }
    const { stringify, ...plain } = result;
    send(res, 200, contentType, stringify ? stringify(plain) : JSON.stringify(plain));
  }
  /**
   * A subscription over SSE (graphql-sse's distinct-connections mode, as Yoga serves it): the
   * events are written straight to the socket. Results shared by identical subscriptions
   * (graphql/shared-execution.ts) are serialized once, and every subscriber gets the same bytes.
   */
  async function runSubscription(req: IncomingMessage, res: ServerResponse, body: string) {
    const p = prepare(req, body, true);
    if (!p || p.operation !== 'subscription') return toYoga(req, res, body);
    const { enveloped, document, operationName, variableValues } = p;
    const contextValue = await enveloped.contextFactory();
    const result = await enveloped.subscribe({ schema: enveloped.schema, document, variableValues, operationName, contextValue });
    // A subscription refused before it started (e.g. FORBIDDEN) is answered by Yoga, as ever.
    if (!(Symbol.asyncIterator in (result as object))) return toYoga(req, res, body);
    // Streamed by another function, so that this one's frame (the request body with it) is let go.
    return stream(res, (result as AsyncIterableIterator<ExecutionResult>)[Symbol.asyncIterator]());
  }

  async function stream(res: ServerResponse, events: AsyncIterator<ExecutionResult>) {
    let open = true;
    const stop = () => {
      if (!open) return;
      open = false;
      streams.delete(res);
      void events.return?.();
    };
    res.on('close', stop);
    res.writeHead(200, SSE_HEADERS);
    // Some clients wait for a first byte before they report the stream open.
    res.write(PING);
    streams.add(res);
    keepAlive();
    try {
      while (open) {
        const { value, done } = await events.next();
        if (!open) break;
        if (value != null && !res.write(chunkOf(value))) await drained(res);
        if (done) {
          res.end(COMPLETE);
          break;
        }
      }
    } catch (err) {
      gateway.runtime.logger.error({ err }, 'subscription stream failed');
      res.destroy();
    } finally {
      stop();
    }
  }
}

/** The part of Fetch's Headers that the context reads, over node's headers (a subscription keeps it). */
class NodeHeaders {
  constructor(private readonly headers: IncomingMessage['headers']) {}
  get(name: string): string | null {
    const v = this.headers[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  }
  has(name: string): boolean {
    return this.headers[name.toLowerCase()] !== undefined;
  }
}

/** One object per distinct variables value among live subscriptions (10,000 dashboards, one copy). */
const internedByJson = new Map<string, WeakRef<object>>();
const forget = new FinalizationRegistry<string>((json) => {
  if (!internedByJson.get(json)?.deref()) internedByJson.delete(json);
});
function interned(value: object): object {
  const json = JSON.stringify(value);
  const known = internedByJson.get(json)?.deref();
  if (known) return known;
  internedByJson.set(json, new WeakRef(value));
  forget.register(value, json);
  return value;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', connection: 'keep-alive', 'cache-control': 'no-cache', 'content-encoding': 'none' };
const PING = Buffer.from(':\n\n');
const COMPLETE = Buffer.from('event: complete\ndata:\n\n');
const PING_INTERVAL_MS = 12_000;

/** Open SSE responses of this process: one timer pings them all (Yoga starts one per response). */
const streams = new Set<ServerResponse>();
let pinger: NodeJS.Timeout | null = null;
function keepAlive() {
  if (pinger) return;
  pinger = setInterval(() => {
    if (streams.size === 0) {
      clearInterval(pinger!);
      pinger = null;
      return;
    }
    for (const res of streams) if (res.writableLength === 0) res.write(PING);
  }, PING_INTERVAL_MS);
  pinger.unref();
}

const drained = (res: ServerResponse) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });

/** The SSE bytes of one result, made once per result object however many subscribers share it. */
const chunks = new WeakMap<object, Buffer>();
function chunkOf(result: ExecutionResult): Buffer {
  let chunk = chunks.get(result);
  if (!chunk) {
    chunk = Buffer.from(`event: next\ndata: ${JSON.stringify(withoutInternals(result))}\n\n`);
    chunks.set(result, chunk);
  }
  return chunk;
}

/** As Yoga serializes a result: errors without their internal `http` and `unexpected` extensions. */
function withoutInternals(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length && !(result.extensions as Record<string, unknown> | undefined)?.http) return result;
  const errors = result.errors?.map((e) => {
    const json = (typeof e.toJSON === 'function' ? e.toJSON() : e) as { extensions?: Record<string, unknown> };
    const { http: _h, unexpected: _u, ...extensions } = json.extensions ?? {};
    return { ...json, extensions };
  });
  const { http: _http, ...extensions } = (result.extensions ?? {}) as Record<string, unknown>;
  return { ...result, errors: errors as never, extensions: Object.keys(extensions).length ? extensions : undefined };
}

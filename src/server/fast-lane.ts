import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import { processRegularResult } from 'graphql-yoga';
import type { Gateway } from '../gateway.js';
import { toYoga } from './yoga-lane.js';
import { PULL, type Pullable, type PullChannel } from '../app/pull.js';

/**
 * The lane for the bulk of API traffic: a JSON POST query or mutation (or an SSE subscription)
 * whose every part is one Yoga answers in the usual way. It skips only the Fetch API layer: the
 * operation runs through `yoga.getEnveloped()` — the same envelop plugins (auth context, query
 * limits, parse/validation caches, JIT, masking, fixed error codes, stream ending) — and the
 * response is made by Yoga's own `processRegularResult`. Anything it is not sure of (another
 * content type or Accept, an unexpected body shape, a missing or wrong key, a parse or validation
 * error, a browser Origin) returns false and goes to Yoga unchanged. test/edge-lanes.test.ts feeds a
 * corpus through both lanes and requires the same status, headers and body.
 *
 * Yoga-level hooks (onRequest, onParams, onResultProcess, onResponse) do not run here: a plugin
 * that needs them must keep its work in envelop hooks or in the edge (src/server/routes.ts).
 */
export interface FastLane {
  /**
   * Answers a POST whose body is read; false when Yoga should answer it. Every answer it gives
   * carries `x-request-id: requestId` (the edge sets it only on what the lane leaves to Yoga).
   */
  handle(req: IncomingMessage, res: ServerResponse, body: string, requestId: string): boolean;
}

/** As Yoga matches a JSON body: `application/json`, exactly or followed by `;` and parameters. */
function isJsonType(header: string | undefined): boolean {
  const type = header?.split(',')[0];
  return type === 'application/json' || !!type?.startsWith('application/json;');
}
const PARAMS = new Set(['query', 'variables', 'operationName', 'extensions']);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function createFastLane(gateway: Gateway): FastLane {
  const endpoint = gateway.yoga.graphqlEndpoint;
  const url = `http://localhost${endpoint}`;
  const logger = gateway.runtime.logger;
  // Yoga's server object is a Proxy that makes a new wrapper of getEnveloped on every read (the
  // wrapper looks the method up on each call, so one is as good as another).
  const getEnveloped = gateway.yoga.getEnveloped;

  function handle(req: IncomingMessage, res: ServerResponse, body: string, requestId: string): boolean {
    if (req.method !== 'POST' || req.url !== endpoint || req.headers.origin !== undefined) return false;
    if (!isJsonType(req.headers['content-type'])) return false;
    const accept = req.headers.accept;
    const regular = mediaTypeFor(accept);
    const sse = regular === null && isExactly(accept, 'text/event-stream');
    if (regular === null && !sse) return false;
    const p = prepare(req, body);
    if (!p) return false;
    if (sse) {
      if (p.operation !== 'subscription') return false;
      res.setHeader('x-request-id', requestId);
      subscribe(req, res, body, p).catch((err) => fail(res, err, requestId));
      return true;
    }
    if (p.operation === 'subscription') return false;
    execute(res, p, regular!, requestId).catch((err) => fail(res, err, requestId));
    return true;
  }

  function fail(res: ServerResponse, err: unknown, requestId: string) {
    logger.error({ err }, 'request failed');
    if (!res.headersSent) {
      res.setHeader('x-request-id', requestId);
      const payload = JSON.stringify({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL' } }] });
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    } else res.destroy();
  }

  type Prepared = NonNullable<ReturnType<typeof prepare>>;
  /** The request's params, parsed and validated; null when Yoga should answer it. */
  function prepare(req: IncomingMessage, body: string) {
    let params: Record<string, unknown>;
    try {
      params = JSON.parse(body);
    } catch {
      return null;
    }
    if (!isPlainObject(params) || typeof params.query !== 'string') return null;
    for (const key in params) if (!PARAMS.has(key) && params[key] != null) return null;
    const { variables, operationName, extensions } = params;
    if (variables != null && !isPlainObject(variables)) return null;
    if (operationName != null && typeof operationName !== 'string') return null;
    if (extensions != null && !isPlainObject(extensions)) return null;
    if (gateway.authenticate(req.headers.authorization) === null) return null;
    // What the context reads of the request (its headers), without building a Fetch Request.
    const request = { method: 'POST', url, headers: new NodeHeaders(req.headers) };
    // Yoga's type asks for a whole Fetch Request and its params; this stand-in has what the context reads.
    const enveloped = getEnveloped({ request, params } as never);
    let document: DocumentNode;
    try {
      document = enveloped.parse(params.query);
      // Query-limit rules may throw instead of returning errors: Yoga answers both.
      if (enveloped.validate(enveloped.schema, document).length > 0) return null;
    } catch {
      return null;
    }
    const op = getOperationAST(document, typeof operationName === 'string' ? operationName : undefined);
    if (!op) return null;
    if (op.operation === 'subscription') {
      // A subscription's params live as long as it does (its context holds them): identical ones,
      // 10,000 dashboards' worth, are kept once. Equal values, so nothing reads them differently.
      const text = document.loc?.source.body;
      if (text === params.query) params.query = text;
      if (isPlainObject(variables)) params.variables = interned(variables);
    }
    return { enveloped, document, params, operationName: operationName as string | null | undefined, variables: variables as Record<string, unknown> | null | undefined, operation: op.operation };
  }

  async function execute(res: ServerResponse, p: Prepared, mediaType: string, requestId: string) {
    const { enveloped, document, operationName, variables } = p;
    const contextValue = await enveloped.contextFactory();
    const result = (await enveloped.execute({ schema: enveloped.schema, document, contextValue, variableValues: variables, operationName })) as ExecutionResult & { stringify?: (r: ExecutionResult) => string };
    if (isPlain(result)) {
      // What processRegularResult answers for a result without errors or HTTP extensions: 200,
      // the media type in UTF-8, the result as its serializer (graphql-jit's, or JSON) writes it.
      const body = (result.stringify ?? JSON.stringify)(result);
      res.writeHead(200, { 'content-type': `${mediaType}; charset=utf-8`, 'content-length': Buffer.byteLength(body), 'x-request-id': requestId });
      res.end(body);
      return;
    }
    // Yoga builds its answer with the Response class it is given: Captured, in place of a whole Fetch API, keeps it as given.
    const answer = processRegularResult(result, { Response: Captured } as never, mediaType) as unknown as Captured;
    const headers: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(answer.init.headers)) headers[k.toLowerCase()] = v;
    if (answer.body !== null) headers['content-length'] = Buffer.byteLength(answer.body);
    headers['x-request-id'] = requestId;
    res.writeHead(answer.init.status, headers);
    res.end(answer.body ?? undefined);
  }

  /**
   * A subscription over SSE (graphql-sse's distinct-connections mode, as Yoga serves it): the
   * events are written straight to the socket. Results shared by identical subscriptions
   * (graphql/shared-execution.ts) are serialized once, and every subscriber gets the same bytes.
   * The stream is read when its feed has an event (src/app/pull.ts), not through a pending next().
   */
  async function subscribe(req: IncomingMessage, res: ServerResponse, body: string, p: Prepared) {
    const { enveloped, document, operationName } = p;
    const variables = p.params.variables as Record<string, unknown> | null | undefined;
    const contextValue = await enveloped.contextFactory();
    const writer = new SseWriter(res, logger);
    (contextValue as Record<symbol, unknown>)[PULL] = writer;
    const result = await enveloped.subscribe({ schema: enveloped.schema, document, contextValue, variableValues: variables, operationName });
    // Attached by now if it can be; the context may outlive this stream (a shared execution's arguments).
    (contextValue as Record<symbol, unknown>)[PULL] = undefined;
    // A subscription refused before it started (e.g. FORBIDDEN) is answered by Yoga, as ever.
    if (!(Symbol.asyncIterator in (result as object))) return toYoga(gateway, req, res, Buffer.from(body));
    writer.start((result as AsyncIterableIterator<ExecutionResult>)[Symbol.asyncIterator]());
  }

  return { handle };
}

/** A single result without errors and without `extensions.http` (Yoga adds nothing to its answer then). */
function isPlain(result: ExecutionResult): boolean {
  if (Array.isArray(result) || typeof result !== 'object' || result === null || Symbol.asyncIterator in result) return false;
  if ((result.extensions as { http?: unknown } | undefined)?.http) return false;
  return !result.errors?.length;
}

/**
 * One SSE response and the subscription it streams. A class rather than an async loop: there is
 * one per subscriber, for as long as it stays, and nothing of the request is kept with it.
 *
 * Its results come through `next()` of the subscription's iterator, every layer of it (each
 * plugin's hooks, the drain ender) as on any transport. When the subscription's feed can be
 * pulled, next() is called only once the feed has a result, and the whole stack hands it on at
 * once; otherwise (a source that cannot be pulled) the next next() is called as soon as a result
 * is written, as a plain async loop does.
 */
class SseWriter implements PullChannel {
  private events: AsyncIterator<ExecutionResult> | null = null;
  private source: Pullable<unknown> | null = null;
  private open = true;
  /** A next() whose result has not come yet. */
  private reading = false;
  /** Inside `pump` (a result that comes at once is handled there, not by a second pump). */
  private pumping = false;
  /** Waiting for the socket to drain before the next result. */
  private blocked = false;
  /** Something was written since the last keep-alive round. */
  private wrote = false;
  // Assigned in the constructor, not as class fields: a field's arrow function is given its name
  // at run time, and a function with a property added that way keeps a dictionary of them.
  private readonly onResult: (r: IteratorResult<ExecutionResult>) => void;
  private readonly onError: (err: unknown) => void;
  private readonly stop: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly logger: Gateway['runtime']['logger'],
  ) {
    this.onResult = (r) => this.handle(r);
    this.onError = (err) => this.fail(err);
    this.stop = () => this.close();
  }

  attach(source: Pullable<unknown>): void {
    this.source = source;
    source.reader = this;
  }

  wake(): void {
    if (!this.pumping) this.pump();
  }

  start(events: AsyncIterator<ExecutionResult>): void {
    const res = this.res;
    this.events = events;
    // The client may be gone while the subscription started: its 'close' has been and gone.
    if (res.destroyed) return this.close();
    res.on('close', this.stop);
    res.writeHead(200, SSE_HEADERS);
    // Some clients wait for a first byte before they report the stream open.
    res.write(PING);
    this.wrote = true;
    streams.add(this);
    keepAlive();
    this.pump();
  }

  /** Reads while results are there (all of them at once when the feed is pulled). */
  private pump() {
    const events = this.events;
    if (!events) return;
    this.pumping = true;
    try {
      while (this.open && !this.reading && !this.blocked && (this.source === null || this.source.ready())) {
        this.reading = true;
        events.next().then(this.onResult, this.onError);
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.pumping = false;
    }
  }

  /** A ping when nothing was written since the last round; what is written (a ping too) counts for the next. */
  keepAlive(): void {
    if (this.wrote) this.wrote = false;
    else if (this.res.writableLength === 0) {
      this.res.write(PING);
      this.wrote = true;
    }
  }

  private handle({ value, done }: IteratorResult<ExecutionResult>) {
    this.reading = false;
    if (!this.open) return;
    const res = this.res;
    try {
      this.wrote = true;
      if (value != null && !res.write(chunkOf(value))) {
        this.blocked = true;
        void drained(res).then(() => {
          this.blocked = false;
          this.pump();
        });
      }
      if (done) {
        res.end(COMPLETE);
        this.close();
        return;
      }
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!this.pumping) this.pump();
  }

  private fail(err: unknown) {
    this.reading = false;
    if (!this.open) return;
    this.logger.error({ err }, 'subscription stream failed');
    this.res.destroy();
    this.close();
  }

  private close() {
    if (!this.open) return;
    this.open = false;
    streams.delete(this);
    if (this.source) this.source.reader = null;
    void this.events?.return?.();
  }
}

/** What `processRegularResult` builds, kept as given instead of as a Fetch Response. */
class Captured {
  constructor(
    readonly body: string | null,
    readonly init: { status: number; headers: Record<string, string> },
  ) {}
}

/** As Yoga orders an Accept header: q-values ignored, non-UTF-8 charsets skipped, the first listed wins. */
function mediaTypesInOrder(accept: string | undefined): string[] {
  const out: string[] = [];
  for (const part of (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',')) {
    const [type, ...params] = part.split(';');
    const charset = params.find((p) => p.includes('charset=')) ?? 'charset=utf-8';
    if (charset === 'charset=utf-8' && type !== undefined) out.push(type);
  }
  return out.reverse();
}

const matches = (offered: string, asked: string) => {
  const [op, os] = offered.split('/');
  const [ap, as] = asked.split('/');
  return (ap === '*' || ap === op) && (as === '*' || as === os);
};

/** The JSON media type Yoga answers with for this Accept, or null when it would pick no JSON one. */
export function regularMediaType(accept: string | undefined): string | null {
  let chosen: string | null = null;
  for (const asked of mediaTypesInOrder(accept)) {
    for (const offered of ['application/graphql-response+json', 'application/json']) if (matches(offered, asked)) chosen = offered;
  }
  return chosen;
}

/**
 * regularMediaType by Accept header, remembered: clients send a handful of distinct ones. Bounded:
 * past MEDIA_TYPES_KEPT distinct values the memory starts again.
 */
const mediaTypes = new Map<string, string | null>();
const MEDIA_TYPES_KEPT = 256;
function mediaTypeFor(accept: string | undefined): string | null {
  // regularMediaType reads an absent header as an empty one (both are */*).
  const key = accept ?? '';
  let type = mediaTypes.get(key);
  if (type === undefined) {
    if (mediaTypes.size >= MEDIA_TYPES_KEPT) mediaTypes.clear();
    mediaTypes.set(key, (type = regularMediaType(accept)));
  }
  return type;
}

const isExactly = (accept: string | undefined, type: string) => (accept ?? '').trim().toLowerCase() === type;

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

/**
 * Open SSE streams of this process: one timer keeps them all alive (Yoga starts one per response).
 * A stream is pinged when it has written nothing for a whole round: a busy stream needs no ping,
 * and 10,000 of them pinged at once would hold up the events they are waiting for. Rounds come
 * every half interval, so an idle stream still hears something every PING_INTERVAL_MS.
 */
const streams = new Set<SseWriter>();
let pinger: NodeJS.Timeout | null = null;
function keepAlive() {
  if (pinger) return;
  pinger = setInterval(() => {
    if (streams.size === 0) {
      clearInterval(pinger!);
      pinger = null;
      return;
    }
    for (const s of streams) s.keepAlive();
  }, PING_INTERVAL_MS / 2);
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
function withoutInternals(result: ExecutionResult): Omit<ExecutionResult, 'errors'> & { errors?: readonly unknown[] } {
  if (!result.errors?.length && !(result.extensions as Record<string, unknown> | undefined)?.http) return result;
  const errors = result.errors?.map((e) => {
    const json = (typeof e.toJSON === 'function' ? e.toJSON() : e) as { extensions?: Record<string, unknown> };
    const { http: _h, unexpected: _u, ...extensions } = json.extensions ?? {};
    return { ...json, extensions };
  });
  const { http: _http, ...extensions } = (result.extensions ?? {}) as Record<string, unknown>;
  return { ...result, errors, extensions: Object.keys(extensions).length ? extensions : undefined };
}

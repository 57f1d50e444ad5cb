import { Pool, errors as undiciErrors } from './undici.js';
import { bulkhead, BulkheadRejectedError } from 'cockatiel';
import { BrokenCircuitError, CircuitBreaker, type CircuitStateName } from './breaker.js';
import type { Logger } from 'pino';
import { systemClock, type Clock, type TimerHandle } from '../domain/clock.js';
import { UpstreamError, type WriteOutcome } from '../domain/errors.js';
import type { HttpClient, HttpClientSettings, HttpRequest, HttpResponse, QueryValue, RetryAfterHeader, UpstreamCode, VendorErrorFacts } from '../domain/http.js';

/** The client of one backend: what the adapter asks for (the domain's port), with the gateway's part. */
export interface HttpClientOptions extends HttpClientSettings {
  /** Backend id: named in every error and log line. */
  backend: string;
  logger: Logger;
  /** Told of every attempt, retry wait and circuit change (metrics, traces). */
  observer?: UpstreamObserver;
  /**
   * Retry waits, their jitter, Retry-After dates and each request's whole-request deadline
   * (`timeoutMs`): a manual clock moves a held request past it. undici's own connect, headers and
   * body timeouts are on the machine's time at max(timeoutMs, 60 s), a safety net only. @default systemClock
   */
  clock?: Clock;
}

export type { RetryAfterHeader };

const DEFAULT_RETRY_AFTER_HEADERS: readonly RetryAfterHeader[] = [{ name: 'retry-after' }];

export type { CircuitStateName };

/** What an observer hears of one upstream attempt (labels only: no ids beyond the request id, no bodies). */
export interface UpstreamAttempt {
  backend: string;
  method: string;
  /** The matched route template, or `other`. */
  route: string;
  requestId: string | undefined;
  /** 0 for the first attempt, then the number of retries so far. */
  attempt: number;
}

export interface UpstreamAttemptObserver {
  /** Headers to send with the attempt (e.g. W3C traceparent). */
  headers?: Record<string, string>;
  /** Ends the attempt: the status answered, or null when none came (network error, timeout). */
  end(status: number | null, error?: UpstreamError): void;
}

/** Hooks for metrics and tracing; the client knows nothing of either. */
export interface UpstreamObserver {
  start(attempt: UpstreamAttempt): UpstreamAttemptObserver | undefined;
  /** A retry is about to wait `waitMs`; `rateLimited` when the vendor asked for the wait (429). */
  retry(attempt: UpstreamAttempt, waitMs: number, rateLimited: boolean): void;
  circuit(backend: string, state: CircuitStateName): void;
}

/** The one table from an upstream HTTP status to our error code (STYLE.md habit 7). */
/** How long an opened circuit fails fast before one call probes the backend, unless the options say. */
export const BREAKER_HALF_OPEN_AFTER_MS = 2_000;

export function codeForStatus(status: number): { code: UpstreamCode; retryable: boolean } {
  if (status === 401 || status === 403) return { code: 'UPSTREAM_AUTH', retryable: false };
  if (status === 408) return { code: 'UPSTREAM_TIMEOUT', retryable: true };
  if (status === 429) return { code: 'RATE_LIMITED', retryable: true };
  if (status === 502 || status === 503 || status === 504) return { code: 'UPSTREAM_UNAVAILABLE', retryable: true };
  return { code: 'UPSTREAM_ERROR', retryable: false };
}

/** Retry-After in ms (delta-seconds or HTTP date), or null. */
export function parseRetryAfter(value: string | string[] | undefined, now = systemClock.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, String(item));
    else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * A whole-request deadline, as the `signal` of an undici request. undici takes an EventEmitter
 * as well as an AbortSignal (it calls `once('abort')` and `removeListener`); Node's AbortSignal
 * with its per-request timer (AbortSignal.timeout) cost about 17 µs of CPU per upstream call in
 * `npm run bench`, this object next to nothing.
 */
class Deadline {
  aborted = false;
  reason: unknown = undefined;
  // undici checks for `on`, then listens with `once`: one listener (the request's own), rarely more.
  private listener: (() => void) | null = null;
  private more: Array<() => void> | null = null;
  constructor(readonly at: number) {}
  on(event: 'abort', listener: () => void): void {
    this.once(event, listener);
  }
  once(_event: 'abort', listener: () => void): void {
    if (!this.listener) this.listener = listener;
    else (this.more ??= []).push(listener);
  }
  removeListener(_event: 'abort', listener: () => void): void {
    if (this.listener === listener) this.listener = null;
    else if (this.more) this.more = this.more.filter((l) => l !== listener);
  }
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = [this.listener, ...(this.more ?? [])];
    this.listener = this.more = null;
    for (const l of listeners) l?.();
  }
}

/**
 * One client's deadlines in flight, on the client's clock: one timer, set for the earliest of
 * them, aborts every request past due when it fires. A request that ends first only leaves the
 * set (no timer per request); the timer is dropped when the set is empty.
 */
class Deadlines {
  private readonly pending = new Set<Deadline>();
  private timer: TimerHandle | null = null;
  /** When `timer` fires (clock time). */
  private timerAt = Infinity;
  constructor(private readonly clock: Clock) {}

  track(limitMs: number): Deadline {
    const d = new Deadline(this.clock.now() + limitMs);
    this.pending.add(d);
    if (d.at < this.timerAt) this.arm(d.at);
    return d;
  }

  done(d: Deadline): void {
    this.pending.delete(d);
    if (this.pending.size === 0 && this.timer) {
      this.timer.cancel();
      this.timer = null;
      this.timerAt = Infinity;
    }
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimer(() => this.fire(at), at - this.clock.now());
  }

  /** The timer set for `at` fired: that much time has passed, whatever the clock reads now. */
  private fire(at: number): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = Math.max(at, this.clock.now());
    let next = Infinity;
    for (const d of this.pending) {
      if (d.at > now) {
        if (d.at < next) next = d.at;
        continue;
      }
      this.pending.delete(d);
      d.abort(new DOMException('The upstream call timed out', 'TimeoutError'));
    }
    if (next !== Infinity && next < this.timerAt) this.arm(next);
  }
}

/** undici's own timeouts, on the machine's time: a safety net far beyond any deadline a test moves a manual clock past. */
const SAFETY_NET_MS = 60_000;
const safetyNet = (limitMs: number) => Math.max(limitMs, SAFETY_NET_MS);

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const url = new URL(options.baseUrl);
  const basePath = url.pathname.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  const baseDelay = options.retryBaseDelayMs ?? 100;
  const maxDelay = options.maxRetryDelayMs ?? 2_000;
  const retryAfterHeaders = options.retryAfterHeaders ?? DEFAULT_RETRY_AFTER_HEADERS;
  const retryAfterOf = (status: number, headers: HttpResponse['headers']): number | null => {
    for (const h of retryAfterHeaders) {
      if (h.statuses && !h.statuses.includes(status)) continue;
      const ms = parseRetryAfter(headers[h.name], clock.now());
      if (ms !== null) return ms;
    }
    return null;
  };
  const clock = options.clock ?? systemClock;
  const deadlines = new Deadlines(clock);
  const pool = new Pool(url.origin, {
    connections: options.connections ?? 64,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    // Connecting is bounded by each request's deadline (on the clock); these are the safety net.
    connect: { timeout: safetyNet(timeoutMs) },
    headersTimeout: safetyNet(timeoutMs),
    bodyTimeout: safetyNet(timeoutMs),
  });
  const log = options.logger.child({ backend: options.backend });
  // Per backend: a concurrency cap, and a breaker that fails fast while the vendor is down.
  const limiter = bulkhead(options.maxConcurrent ?? options.connections ?? 64, options.maxQueued ?? 1000);
  const observer = options.observer;
  const breaker = new CircuitBreaker({
    clock,
    threshold: options.breakerThreshold ?? 5,
    halfOpenAfterMs: options.breakerHalfOpenAfterMs ?? BREAKER_HALF_OPEN_AFTER_MS,
    isFailure: (err) => err instanceof UpstreamError && (err.code === 'UPSTREAM_UNAVAILABLE' || err.code === 'UPSTREAM_TIMEOUT'),
    onStateChange(state) {
      if (state === 'open') log.warn('circuit opened: failing fast until the backend answers again');
      else if (state === 'closed') log.info('circuit closed: backend answers again');
      observer?.circuit(options.backend, state);
    },
  });
  const routeOf = routeMatcher(options.routes ?? []);
  const attemptOf = (req: HttpRequest, attempt: number): UpstreamAttempt => ({
    backend: options.backend,
    method: req.method,
    route: req.route ?? routeOf(req.path),
    requestId: req.requestId,
    attempt,
  });

  function guarded(req: HttpRequest, attempt: number): Promise<HttpResponse> {
    return breaker.execute(() => limiter.execute(() => once(req, attempt))).catch((err: unknown) => {
      if (err instanceof BrokenCircuitError) {
        throw fail(req, { code: 'UPSTREAM_UNAVAILABLE', message: 'is failing; not called while its circuit is open (retrying shortly)', retryable: false, outcome: isWriteReq(req) ? 'NOT_SENT' : null });
      }
      if (err instanceof BulkheadRejectedError) {
        throw fail(req, { code: 'RATE_LIMITED', message: 'too many requests queued for this backend', retryable: true, outcome: isWriteReq(req) ? 'NOT_SENT' : null });
      }
      throw err;
    });
  }
  const isWriteReq = (req: HttpRequest) => !(req.idempotent ?? req.method === 'GET');

  const describe = (req: Pick<HttpRequest, 'path' | 'query'>) => `${basePath}${req.path}${buildQuery(req.query)}`;

  const fail = (req: HttpRequest, init: Partial<ConstructorParameters<typeof UpstreamError>[0]> & { message: string }) =>
    new UpstreamError({
      backend: options.backend,
      request: { method: req.method, path: describe(req) },
      ...init,
    });

  /** A body json() cannot parse: the backend's fault, named. */
  const notJson = (req: HttpRequest, status: number) =>
    fail(req, { code: 'UPSTREAM_ERROR', status, message: `answered ${status} with a body that is not valid JSON`, retryable: false });

  /** One attempt, told to the observer. (Promise chains rather than async functions: every upstream call passes here.) */
  function once(req: HttpRequest, attempt: number): Promise<HttpResponse> {
    const started = performance.now();
    const watch = observer?.start(attemptOf(req, attempt));
    const sent = sendOnce(req, started, watch?.headers);
    if (!watch) return sent;
    return sent.then(
      (res) => {
        watch.end(res.status);
        return res;
      },
      (err: unknown) => {
        const e = err instanceof UpstreamError ? err : undefined;
        watch.end(e?.status ?? null, e);
        throw err;
      },
    );
  }

  async function sendOnce(req: HttpRequest, started: number, extraHeaders: Record<string, string> | undefined): Promise<HttpResponse> {
    // Most vendors' auth headers are at hand: no extra turn of the microtask queue for them.
    const auth = options.headers?.();
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(auth instanceof Promise ? await auth : auth),
      ...req.headers,
    };
    const requestId = req.requestId;
    if (requestId) headers['x-request-id'] = requestId;
    if (extraHeaders) Object.assign(headers, extraHeaders);
    let body: string | undefined;
    if (req.body !== undefined) {
      body = stringifyJson(req.body);
      // A vendor may ask for its own (e.g. `application/json;charset=UTF-8`), through req.headers.
      headers['content-type'] ??= 'application/json';
    }
    const limit = req.timeoutMs ?? timeoutMs;
    const isWrite = !(req.idempotent ?? req.method === 'GET');
    const deadline = deadlines.track(limit);
    let res;
    let text: string;
    try {
      try {
        res = await pool.request({
          path: describe(req),
          method: req.method,
          headers,
          body,
          // undici types it AbortSignal | EventEmitter, and calls only once/removeListener on it (Deadline above).
          signal: deadline as never,
          headersTimeout: safetyNet(limit),
          bodyTimeout: safetyNet(limit),
        });
      } catch (err) {
        throw networkError(req, err, limit, isWrite);
      }
      try {
        text = await res.body.text();
      } catch (err) {
        throw networkError(req, err, limit, isWrite);
      }
    } finally {
      deadlines.done(deadline);
    }
    const status = res.statusCode;
    if (log.isLevelEnabled('debug')) log.debug({ method: req.method, path: req.path, status, ms: Math.round(performance.now() - started), requestId }, 'upstream');
    const response = new UpstreamResponse(status, res.headers, text, req, notJson);
    if ((status >= 200 && status < 300) || req.allowStatus?.includes(status)) return response;
    const table = codeForStatus(status);
    const read = safeParseError(options.parseError, status, text);
    const facts = read && options.redact ? options.redact.value(read) : read;
    const retryAfterMs = retryAfterOf(status, res.headers);
    throw fail(req, {
      code: facts?.code ?? table.code,
      status,
      vendorCode: facts?.vendorCode ?? null,
      vendorMessage: facts?.message ?? null,
      detail: facts?.detail,
      retryable: table.retryable,
      retryAfterMs,
      message: `${req.method} ${req.path} answered ${status}${facts?.message ? `: ${clip(facts.message)}` : ''}`,
      outcome: isWrite ? (table.code === 'UPSTREAM_UNAVAILABLE' || table.code === 'UPSTREAM_TIMEOUT' ? 'UNKNOWN' : 'NOT_APPLIED') : null,
    });
  }

  function networkError(req: HttpRequest, err: unknown, limit: number, isWrite: boolean): UpstreamError {
    const e = err as { name?: string; code?: string };
    const timedOut =
      e?.name === 'TimeoutError' ||
      err instanceof undiciErrors.HeadersTimeoutError ||
      err instanceof undiciErrors.BodyTimeoutError ||
      err instanceof undiciErrors.ConnectTimeoutError ||
      e?.code === 'UND_ERR_ABORTED';
    // A write whose request left us may or may not have been applied.
    const outcome: WriteOutcome | null = isWrite ? 'UNKNOWN' : null;
    if (timedOut) {
      return fail(req, { code: 'UPSTREAM_TIMEOUT', message: `${req.method} ${req.path} got no answer within ${limit} ms`, retryable: true, outcome });
    }
    if (e?.code === 'UND_ERR_DESTROYED') {
      return fail(req, { code: 'UPSTREAM_UNAVAILABLE', message: `${req.method} ${req.path} was cut: the gateway closed while it was in flight`, retryable: false, outcome });
    }
    const code = e?.code ?? e?.name ?? 'network error';
    return fail(req, {
      code: 'UPSTREAM_UNAVAILABLE',
      message: `${req.method} ${req.path} failed: ${code === 'ECONNREFUSED' ? 'connection refused' : code}`,
      retryable: true,
      outcome: code === 'ECONNREFUSED' && isWrite ? 'NOT_APPLIED' : outcome,
    });
  }

  /** Attempt `attempt` of a call, then its retries (idempotent calls only, while they are retryable). */
  function attempted(req: HttpRequest, attempt: number): Promise<HttpResponse> {
    return guarded(req, attempt).catch((err: unknown) => retried(req, attempt, err));
  }

  async function retried(req: HttpRequest, attempt: number, err: unknown): Promise<HttpResponse> {
    const idempotent = req.idempotent ?? req.method === 'GET';
    if (!(err instanceof UpstreamError) || !idempotent || !err.retryable || attempt >= retries) throw err;
    const backoff = Math.min(maxDelay, baseDelay * 2 ** attempt) * (0.5 + clock.random() / 2);
    const wait = err.retryAfterMs ?? backoff;
    if (wait > maxDelay) throw err;
    observer?.retry(attemptOf(req, attempt + 1), wait, err.retryAfterMs != null);
    log.debug({ attempt: attempt + 1, wait, code: err.code }, 'retrying idempotent upstream call');
    await clock.sleep(wait);
    return attempted(req, attempt + 1);
  }

  return {
    backend: options.backend,
    describe,
    request(req) {
      return attempted(req, 0);
    },
    circuitOpen: () => breaker.state === 'open',
    // Closing cuts what is still in flight (a drain has already waited for it, as long as it may):
    // a hanging call must not hold the process for its deadline. A write cut so is UNKNOWN.
    close: () => pool.destroy(),
  };
}


/**
 * An upstream answer. A class, not an object literal with its own json(): one is made per
 * upstream call, and its method is shared.
 */
class UpstreamResponse implements HttpResponse {
  constructor(
    readonly status: number,
    readonly headers: HttpResponse['headers'],
    readonly text: string,
    private readonly request: HttpRequest,
    private readonly notJson: (req: HttpRequest, status: number) => UpstreamError,
  ) {}

  json(): unknown {
    try {
      return JSON.parse(this.text);
    } catch {
      throw this.notJson(this.request, this.status);
    }
  }
}

/** Names a path by the first template it matches (`{name}` matches one segment), else `other`. */
export function routeMatcher(templates: readonly string[]): (path: string) => string {
  const compiled = templates.map((t) => ({
    template: t,
    re: new RegExp(`^${t.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/]+')}/?$`),
  }));
  return (path) => {
    for (const c of compiled) if (c.re.test(path)) return c.template;
    return 'other';
  };
}

function safeParseError(parse: HttpClientOptions['parseError'], status: number, text: string): VendorErrorFacts | undefined {
  if (!parse) return undefined;
  try {
    return parse(status, text);
  } catch {
    return undefined;
  }
}

function clip(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/**
 * JSON.stringify that also writes a bigint, as its exact digits (a JSON number): 64-bit values
 * beyond 2^53 reach the vendor unchanged.
 */
export function stringifyJson(value: unknown): string {
  const write = (v: unknown): string | undefined => {
    if (typeof v === 'bigint') return v.toString();
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(): unknown }).toJSON();
    if (Array.isArray(v)) return `[${v.map((x) => write(x) ?? 'null').join(',')}]`;
    if (v !== null && typeof v === 'object') {
      const members: string[] = [];
      for (const [k, x] of Object.entries(v)) {
        const w = write(x);
        if (w !== undefined) members.push(`${JSON.stringify(k)}:${w}`);
      }
      return `{${members.join(',')}}`;
    }
    return JSON.stringify(v);
  };
  return write(value) ?? 'null';
}

import type { ErrorCode } from './errors.js';

/**
 * The HTTP client an adapter talks to its vendor through (AdapterContext.http): the port, in the
 * domain's words. src/http/client.ts implements it (pooled connections, deadlines, retries of
 * idempotent requests, a circuit breaker, redaction and the one status-to-code table).
 */

/** The codes an upstream failure can carry. */
export type UpstreamCode = Extract<ErrorCode, 'RATE_LIMITED' | 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_TIMEOUT' | 'UPSTREAM_AUTH' | 'UPSTREAM_ERROR'>;

/** What an adapter asks of its client; the gateway adds the backend id, the logger and its observers. */
export interface HttpClientSettings {
  baseUrl: string;
  /** Whole-request bound (connect + headers + body). @default 10000 */
  timeoutMs?: number;
  /** Pooled keep-alive connections to the vendor. @default 64 */
  connections?: number;
  /** Auth and other headers, computed per request (tokens may be renewed). Never logged. */
  headers?: () => Record<string, string> | Promise<Record<string, string>>;
  /** Retries of idempotent requests on network errors, timeouts, 429 and 502–504. @default 2 */
  retries?: number;
  /** @default 100 */
  retryBaseDelayMs?: number;
  /** A Retry-After longer than this is not waited for; the caller gets RATE_LIMITED. @default 2000 */
  maxRetryDelayMs?: number;
  /**
   * The answer headers that say how long to wait before trying again, read in order (each as
   * delta-seconds or an HTTP date); the first that reads is the wait. A vendor that documents its
   * own (a rate-limit reset header, say) names it here. @default [{ name: 'retry-after' }]
   */
  retryAfterHeaders?: readonly RetryAfterHeader[];
  /** Requests in flight to this backend at once; more wait in a queue. @default connections */
  maxConcurrent?: number;
  /** Requests that may wait for a slot before being refused. @default 1000 */
  maxQueued?: number;
  /** Consecutive failures (unreachable, timeout, 502–504) that open the circuit. @default 5 */
  breakerThreshold?: number;
  /** How long an open circuit fails fast before one probe request is let through. @default 2000 */
  breakerHalfOpenAfterMs?: number;
  /** Reads a vendor error body into the facts an UpstreamError carries. */
  parseError?: (status: number, text: string) => VendorErrorFacts | undefined;
  /** The backend's secrets: removed from those facts (message, detail) before any error carries them. */
  redact?: Redactor;
  /**
   * The vendor's path templates below the base URL (`/v1/projects/{projectId}/items/{id}`):
   * metrics and traces name the route, never a raw id. A path that matches none is `other`.
   */
  routes?: readonly string[];
}

export interface RetryAfterHeader {
  /** Lower-case header name. */
  name: string;
  /** Read only on answers with these statuses (e.g. `[429]`). @default every error status */
  statuses?: readonly number[];
}

/**
 * The secrets of one backend and their removal from vendor text (src/http/redact.ts makes one
 * from the adapter's rules).
 */
export interface Redactor {
  /** One more secret (e.g. a session just issued). Empty and very short values are ignored. */
  add(secret: string | null | undefined): void;
  /** The text with every secret replaced by `[redacted]`. */
  text(s: string): string;
  /** A copy of strings, arrays and plain objects with every secret in their strings replaced. */
  value<T>(v: T): T;
}

export interface VendorErrorFacts {
  code?: UpstreamCode;
  vendorCode?: string | null;
  message?: string | null;
  detail?: unknown;
}

export type QueryValue = string | number | boolean | undefined | null | (string | number)[];

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, segments already encoded with pathSegment(). */
  path: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Safe to send twice. @default true for GET */
  idempotent?: boolean;
  /** Route template of `path`, when the client's `routes` do not name it. */
  route?: string;
  /** Statuses handed back to the adapter instead of thrown (e.g. 404 → NotFoundError). */
  allowStatus?: readonly number[];
  requestId?: string;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parses the body as JSON; a garbled body is an UpstreamError naming the backend. */
  json(): unknown;
}

export interface HttpClient {
  readonly backend: string;
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Full path as sent, for dry runs and call records (base path + path + query). */
  describe(req: Pick<HttpRequest, 'path' | 'query'>): string;
  /** Whether the circuit breaker currently lets requests through. */
  circuitOpen(): boolean;
  /** Ends the client; calls still in flight are cut (UPSTREAM_UNAVAILABLE, a write's outcome UNKNOWN). */
  close(): Promise<void>;
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayConfig } from '../config.js';

/** `name`, `name:port`, `1.2.3.4:port`, `[v6]:port` — what a Host header may be. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]|[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252}))(?::\d{1,5})?$/;

/** The host name of a Host header, lower-cased, brackets kept for IPv6; null when malformed. */
export function hostNameOf(host: string | undefined): string | null {
  if (!host || !HOST.test(host)) return null;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return name.toLowerCase().replace(/\.$/, '');
}

export type HostVerdict = 'ok' | 'malformed' | 'foreign';

/**
 * Which Host headers the edge answers. A malformed one is refused (400) in every mode. Without
 * auth (open mode), only loopback names, the configured host and `server.allowedHosts` are
 * answered: a page on another name that resolves to this address (DNS rebinding) is refused.
 */
export function createHostCheck(config: GatewayConfig): (host: string | undefined) => HostVerdict {
  const open = !config.auth;
  const allowed = new Set(['localhost', '127.0.0.1', '[::1]', ...[config.server.host, ...(config.server.allowedHosts ?? [])].map(bracketed)]);
  const check = (host: string | undefined): HostVerdict => {
    const name = hostNameOf(host);
    if (name === null) return 'malformed';
    if (!open || allowed.has(name)) return 'ok';
    return 'foreign';
  };
  // Every request is checked, and its clients send few distinct Host values: the verdicts are
  // remembered, up to HOST_VERDICTS_KEPT of them (then the memory starts again).
  const verdicts = new Map<string, HostVerdict>();
  return (host) => {
    if (host === undefined) return check(host);
    let verdict = verdicts.get(host);
    if (verdict === undefined) {
      if (verdicts.size >= HOST_VERDICTS_KEPT) verdicts.clear();
      verdicts.set(host, (verdict = check(host)));
    }
    return verdict;
  };
}
const HOST_VERDICTS_KEPT = 256;

const bracketed = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h).toLowerCase();

/**
 * Whether a browser Origin may open a WebSocket: absent (not a browser page), the page's own
 * origin (same host as the Host header), or one of `server.cors.origins`.
 */
export function createOriginCheck(config: GatewayConfig): (origin: string | undefined, host: string | undefined) => boolean {
  const listed = new Set((config.server.cors?.origins ?? []).map((o) => o.replace(/\/$/, '').toLowerCase()));
  return (origin, host) => {
    if (origin === undefined) return true;
    const o = origin.toLowerCase();
    if (listed.has(o)) return true;
    try {
      const u = new URL(o);
      return (u.protocol === 'http:' || u.protocol === 'https:') && host !== undefined && u.host === host.toLowerCase();
    } catch {
      return false;
    }
  };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** The client's request id when it is a sane one, else a new one. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

/** A JSON error answer of the edge itself, in the shape every GraphQL error has. */
export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

const ignore = () => {};

/** What readBody keeps of one request while its body comes: on the request, under BODY. */
interface BodyRead {
  chunks: Buffer[];
  size: number;
  maxBytes: number;
  res: ServerResponse;
  /** Headers of the 413 answer besides its own. */
  headers: Record<string, string>;
  done: (body: Buffer | null) => void;
}
const BODY = Symbol('body being read');
type Reading = IncomingMessage & { [BODY]?: BodyRead };

/**
 * Reads a request body up to `maxBytes`, then calls `done` with it; with null (after answering
 * 413, with `headers` beside its own) when it is larger, or when the request fails or closes
 * first. Its listeners leave the request once it is read: an SSE request lives as long as its
 * stream, and they would keep the body with it. Shared listeners and one state object per
 * request (every POST comes this way): no closures, no promise.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, maxBytes: number, headers: Record<string, string>, done: (body: Buffer | null) => void): void {
  (req as Reading)[BODY] = { chunks: [], size: 0, maxBytes, res, headers, done };
  req.on('data', onBodyData);
  req.on('end', onBodyEnd);
  req.on('error', onBodyFail);
  req.on('close', onBodyFail);
}

function finishBody(req: Reading, body: Buffer | null): BodyRead | undefined {
  const read = req[BODY];
  if (!read) return undefined;
  req[BODY] = undefined;
  req.off('data', onBodyData);
  req.off('end', onBodyEnd);
  req.off('error', onBodyFail);
  req.off('close', onBodyFail);
  // An error after the body (the client gone mid-stream) is the response's business, not a crash.
  req.on('error', ignore);
  read.done(body);
  return read;
}

function onBodyData(this: Reading, chunk: Buffer) {
  const read = this[BODY];
  if (!read) return;
  read.size += chunk.length;
  if (read.size <= read.maxBytes) {
    read.chunks.push(chunk);
    return;
  }
  finishBody(this, null);
  sendError(read.res, 413, 'PAYLOAD_TOO_LARGE', `Request body larger than ${read.maxBytes} bytes`, { connection: 'close', ...read.headers });
  this.destroy();
}

function onBodyEnd(this: Reading) {
  const chunks = this[BODY]?.chunks;
  if (chunks) finishBody(this, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
}

function onBodyFail(this: Reading) {
  finishBody(this, null);
}

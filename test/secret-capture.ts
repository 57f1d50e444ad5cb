/**
 * What one test file produced that a client or an operator can see — every log line of the
 * gateways it started, every response their HTTP servers wrote (WebSocket frames included), the
 * output of the CLI processes it ran — and every secret configured while it ran. The setup file
 * test/setup-secret-scan.ts scans the one for the other after the file's tests.
 *
 * Module state is per test file: vitest isolates each file's modules.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { expect } from 'vitest';

export type Where = 'log' | 'response' | 'CLI output';

interface Capture {
  where: Where;
  /** Which producer: e.g. `gateway #2 (started in "…")`. */
  source: string;
  /** The test that was running when the text was written, if any. */
  test: string | undefined;
  chunks: string[];
}

const captures: Capture[] = [];
/** kind → values; a value is named by the first kind it was registered under. */
const secrets = new Map<string, string>();

/** Secrets shorter than this are not scanned for: they would match ordinary text. */
export const MIN_SECRET_LENGTH = 8;

const currentTest = (): string | undefined => {
  try {
    return expect.getState().currentTestName ?? undefined;
  } catch {
    return undefined;
  }
};

/** A configured secret to scan for, named by its kind (never by its value). */
export function addSecret(kind: string, value: unknown): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  if (!secrets.has(value)) secrets.set(value, kind);
}

export function secretCount(): number {
  return secrets.size;
}

/** Starts a capture; returns a function that appends text to it. */
export function capture(where: Where, source: string, test = currentTest()): (text: string) => void {
  const c: Capture = { where, source, test, chunks: [] };
  captures.push(c);
  return (text) => void c.chunks.push(text);
}

/**
 * A pino destination keeping every line in memory, split by the test that was running. `lines`
 * (if given) receives them too, for tests that look at their own logs.
 */
export function logSink(source: string, lines?: string[]): { write(line: string): void } {
  let test = currentTest();
  let append = capture('log', source, test);
  return {
    write(line: string) {
      const now = currentTest();
      if (now !== test) {
        test = now;
        append = capture('log', source, test);
      }
      append(line);
      lines?.push(line);
    },
  };
}

const text = (chunk: unknown, encoding?: unknown): string => {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString(typeof encoding === 'string' && encoding !== 'buffer' ? (encoding as BufferEncoding) : 'latin1');
  return '';
};

/**
 * Tees everything an HTTP server writes — status lines, headers, bodies (SSE streams too) and,
 * after an upgrade, the WebSocket frames — into captures of kind `response`.
 */
export function captureServer(server: http.Server, source: string): void {
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const append = capture('response', `${source}: response to ${req.method} ${req.url?.split('?')[0]}`);
    const writeHead = res.writeHead;
    res.writeHead = function (this: http.ServerResponse, ...args: unknown[]) {
      append(JSON.stringify(args.slice(1)));
      return (writeHead as (...a: unknown[]) => http.ServerResponse).apply(this, args);
    } as typeof res.writeHead;
    const write = res.write;
    res.write = function (this: http.ServerResponse, chunk: unknown, ...rest: unknown[]) {
      append(text(chunk, rest[0]));
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof res.write;
    const end = res.end;
    res.end = function (this: http.ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      if (typeof chunk !== 'function') append(text(chunk, rest[0]));
      append(JSON.stringify(res.getHeaders()));
      return (end as (...a: unknown[]) => http.ServerResponse).call(this, chunk, ...rest);
    } as typeof res.end;
  });
  server.prependListener('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    const append = capture('response', `${source}: WebSocket on ${req.url?.split('?')[0]}`);
    const write = socket.write;
    socket.write = function (this: Duplex, chunk: unknown, ...rest: unknown[]) {
      append(text(chunk, rest[0]));
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof socket.write;
  });
}

export interface Hit {
  kind: string;
  where: Where;
  source: string;
  test: string | undefined;
}

/** Every (secret kind, capture) pair where the secret occurs. */
export function scan(): Hit[] {
  const hits: Hit[] = [];
  const values = [...secrets.keys()];
  for (const c of captures) {
    if (c.chunks.length === 0) continue;
    // Log chunks are whole lines; a response's chunks are one stream, which a secret may straddle.
    const all = c.chunks.length === 1 ? c.chunks[0]! : c.chunks.join('');
    for (const v of values) if (all.includes(v)) hits.push({ kind: secrets.get(v)!, where: c.where, source: c.source, test: c.test });
    // Scanned once: a worker that runs several files (isolate: false) scans each text after the file that made it.
    c.chunks = [];
  }
  return hits;
}

/** How much was captured, by kind: for a scan that must not be vacuous. */
export function captured(): Record<Where, { captures: number; chars: number }> {
  const out: Record<Where, { captures: number; chars: number }> = { log: { captures: 0, chars: 0 }, response: { captures: 0, chars: 0 }, 'CLI output': { captures: 0, chars: 0 } };
  for (const c of captures) {
    out[c.where].captures++;
    for (const s of c.chunks) out[c.where].chars += s.length;
  }
  return out;
}

/** A hit as a line that names the secret's kind and where it showed, never the secret. */
export function describeHit(h: Hit): string {
  return `${h.kind} in a ${h.where === 'log' ? 'log line' : h.where} of ${h.source}${h.test ? `, during "${h.test}"` : ''}`;
}

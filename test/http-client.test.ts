/** The pooled upstream client against a real loopback server with injected faults. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createHttpClient, codeForStatus, parseRetryAfter } from '../src/http/client.js';
import { createRedactor } from '../src/http/redact.js';
import { startSimulatorServer, type SimulatorServer } from '../src/simulator/server.js';
import { UpstreamError } from '../src/domain/errors.js';
import { createManualClock } from '../src/domain/clock.js';
import { createSkippingClock, until } from './helpers.js';

const logger = pino({ level: 'silent' });
let sim: SimulatorServer;
beforeAll(async () => {
  sim = await startSimulatorServer({
    name: 'plain',
    errorBody: (status, message) => ({ error: { status, message } }),
    routes: [
      ['GET', '/thing', () => ({ status: 200, body: { ok: true } })],
      ['POST', '/thing', () => ({ status: 200, body: { ok: true } })],
    ],
  });
});
afterAll(() => sim.close());
beforeEach(() => {
  sim.clearFaults();
  sim.resetCalls();
});

/**
 * A client on a clock of its own, unless the test gives one: its retry waits end at once, and a
 * deadline passes only when a test moves the clock (never because the machine is slow).
 */
const client = (o: Partial<Parameters<typeof createHttpClient>[0]> = {}) =>
  createHttpClient({ backend: 'plain', baseUrl: sim.url, logger, timeoutMs: 300, retryBaseDelayMs: 5, clock: createSkippingClock(), ...o });

async function failure(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(UpstreamError);
    return err as UpstreamError;
  }
  throw new Error('expected a failure');
}

/** Whether `p` is still unsettled after a few turns of the event loop. */
async function stillPending(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  return !settled;
}

describe('status → code table', () => {
  it.each([
    [401, 'UPSTREAM_AUTH', 'credentials refused'],
    [403, 'UPSTREAM_AUTH', 'permission refused'],
    [404, 'UPSTREAM_ERROR', 'adapters turn 404 into NotFoundError themselves'],
    [408, 'UPSTREAM_TIMEOUT', 'the vendor timed out'],
    [429, 'RATE_LIMITED', 'rate limit'],
    [500, 'UPSTREAM_ERROR', 'a bug upstream: not retried'],
    [502, 'UPSTREAM_UNAVAILABLE', 'bad gateway'],
    [503, 'UPSTREAM_UNAVAILABLE', 'unavailable'],
    [504, 'UPSTREAM_UNAVAILABLE', 'gateway timeout'],
  ])('%i → %s (%s)', (status, code) => {
    expect(codeForStatus(status).code).toBe(code);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    // A date is read against the clock's now: exactly the time left.
    const now = Date.parse('2026-01-15T09:00:00Z');
    expect(parseRetryAfter(new Date(now + 3000).toUTCString(), now)).toBe(3000);
    expect(parseRetryAfter(new Date(now - 3000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeNull();
  });
});

describe('upstream client', () => {
  it('retries an idempotent read on 503 and succeeds', async () => {
    sim.inject({ fault: { kind: 'status', status: 503 }, times: 2 });
    const res = await client().request({ method: 'GET', path: '/thing' });
    expect(res.status).toBe(200);
    expect(sim.count('GET')).toBe(3);
  });

  it('never retries a write', async () => {
    sim.inject({ fault: { kind: 'status', status: 503 }, times: 1 });
    const err = await failure(client().request({ method: 'POST', path: '/thing', body: {} }));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.outcome).toBe('UNKNOWN');
    expect(sim.count('POST')).toBe(1);
  });

  it('waits for a short Retry-After and gives up on a long one', async () => {
    sim.inject({ fault: { kind: 'rate-limit', retryAfterSeconds: 0 }, times: 1 });
    expect((await client().request({ method: 'GET', path: '/thing' })).status).toBe(200);
    sim.inject({ fault: { kind: 'rate-limit', retryAfterSeconds: 60 }, times: 1 });
    const err = await failure(client().request({ method: 'GET', path: '/thing' }));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBe(60_000);
  });

  it('reads the headers its vendor names for the wait, in order, each on the statuses given', async () => {
    const headers = [{ name: 'retry-after' }, { name: 'x-ratelimit-reset', statuses: [429] }];
    sim.inject({ fault: { kind: 'status', status: 429, headers: { 'x-ratelimit-reset': '42' } }, times: 1 });
    const err = await failure(client({ retryAfterHeaders: headers }).request({ method: 'GET', path: '/thing' }));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBe(42_000);
    sim.inject({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '30', 'x-ratelimit-reset': '42' } }, times: 1 });
    expect((await failure(client({ retryAfterHeaders: headers }).request({ method: 'GET', path: '/thing' }))).retryAfterMs).toBe(30_000);
    // Not a 429: the reset header says nothing about a wait.
    sim.inject({ fault: { kind: 'status', status: 503, headers: { 'x-ratelimit-reset': '42' } }, times: 1 });
    expect((await failure(client({ retryAfterHeaders: headers, retries: 0 }).request({ method: 'GET', path: '/thing' }))).retryAfterMs).toBeNull();
  });

  it("removes the backend's secrets from what it reads of an error body, those added later too", async () => {
    const redact = createRedactor(['tok-0123456789', '', 'ab']);
    const parseError = (_status: number, text: string) => {
      const e = JSON.parse(text).error;
      return { vendorCode: 'bad', message: e.message, detail: { echoed: [e.message, { again: e.message }], n: 1 } };
    };
    const c = client({ redact, parseError, retries: 0 });
    sim.inject({ fault: { kind: 'status', status: 401, body: { error: { message: 'Invalid token tok-0123456789 for session sess-abcdef' } } }, times: 2 });
    const first = await failure(c.request({ method: 'GET', path: '/thing' }));
    expect(first.vendorMessage).toBe('Invalid token [redacted] for session sess-abcdef');
    expect(first.detail).toEqual({ echoed: ['Invalid token [redacted] for session sess-abcdef', { again: 'Invalid token [redacted] for session sess-abcdef' }], n: 1 });
    expect(first.message).not.toContain('tok-0123456789');
    redact.add('sess-abcdef');
    const second = await failure(c.request({ method: 'GET', path: '/thing' }));
    expect(JSON.stringify({ m: second.message, v: second.vendorMessage, d: second.detail })).not.toMatch(/tok-0123456789|sess-abcdef/);
    // Values too short to be secrets ('', 'ab') blank nothing.
    expect(second.vendorMessage).toBe('Invalid token [redacted] for session [redacted]');
  });

  it('reads only Retry-After unless told of other headers', async () => {
    sim.inject({ fault: { kind: 'status', status: 429, headers: { 'x-ratelimit-reset': '42' } }, times: 1 });
    const err = await failure(client({ retries: 0 }).request({ method: 'GET', path: '/thing' }));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBeNull();
  });

  // Limits far beyond the test's own time: only the clock's moving can end these requests.
  const LIMIT = 30_000;

  it('bounds a request that never gets an answer: it times out once its clock passes the limit', async () => {
    const clock = createManualClock();
    sim.inject({ kind: 'hang' });
    const failed = failure(client({ retries: 0, clock, timeoutMs: LIMIT }).request({ method: 'GET', path: '/thing' }));
    await until('the request to reach the server', () => sim.calls.length === 1);
    clock.advance(LIMIT - 1);
    expect(await stillPending(failed)).toBe(true);
    clock.advance(1);
    const err = await failed;
    expect(err.code).toBe('UPSTREAM_TIMEOUT');
    expect(err.message).toContain(`within ${LIMIT} ms`);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('closing cuts the calls still in flight at once: a read fails, a write is told UNKNOWN, and neither is retried', async () => {
    const clock = createManualClock();
    sim.inject({ kind: 'hang' });
    const c = client({ clock, timeoutMs: LIMIT });
    const read = failure(c.request({ method: 'GET', path: '/thing' }));
    const write = failure(c.request({ method: 'POST', path: '/thing', body: { a: 1 } }));
    await until('both requests to reach the server', () => sim.calls.length === 2);
    // The clock stands still: nothing but the close can end them.
    await c.close();
    const [r, w] = await Promise.all([read, write]);
    expect([r.code, r.outcome, r.retryable]).toEqual(['UPSTREAM_UNAVAILABLE', null, false]);
    expect([w.code, w.outcome, w.retryable]).toEqual(['UPSTREAM_UNAVAILABLE', 'UNKNOWN', false]);
    expect(r.message).toContain('the gateway closed while it was in flight');
    expect(sim.calls).toHaveLength(2);
  });

  it('keeps each request to its own limit: the shorter one times out first, the other when its own limit passes', async () => {
    const clock = createManualClock();
    sim.inject({ kind: 'hang' });
    const c = client({ retries: 0, clock, timeoutMs: LIMIT });
    const long = failure(c.request({ method: 'GET', path: '/thing' }));
    clock.advance(5_000);
    const short = failure(c.request({ method: 'GET', path: '/thing', timeoutMs: 10_000 }));
    await until('both requests to reach the server', () => sim.calls.length === 2);
    clock.advance(10_000);
    expect((await short).message).toContain('within 10000 ms');
    expect(await stillPending(long)).toBe(true);
    clock.advance(LIMIT - 15_000 - 1);
    expect(await stillPending(long)).toBe(true);
    clock.advance(1);
    expect((await long).message).toContain(`within ${LIMIT} ms`);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('bounds the whole request, not each chunk: a body that trickles in forever times out', async () => {
    const http = await import('node:http');
    // A byte whenever the test drips one: the body never stalls, so only the whole-request deadline ends it.
    let drip: (() => void) | null = null;
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"slow": "');
      drip = () => res.write('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as { port: number };
    try {
      const clock = createManualClock();
      const failed = failure(client({ baseUrl: `http://127.0.0.1:${port}`, retries: 0, clock, timeoutMs: LIMIT }).request({ method: 'GET', path: '/thing' }));
      await until('the body to begin', () => drip !== null);
      for (let i = 0; i < 3; i++) drip!();
      clock.advance(LIMIT - 1);
      drip!();
      expect(await stillPending(failed)).toBe(true);
      clock.advance(1);
      const err = await failed;
      expect(err.code).toBe('UPSTREAM_TIMEOUT');
      expect(err.message).toContain(`within ${LIMIT} ms`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it.each([
    ['reset', { kind: 'reset' as const }, 'UPSTREAM_UNAVAILABLE'],
    ['truncated body', { kind: 'truncated' as const }, 'UPSTREAM_UNAVAILABLE'],
  ])('turns a %s into a typed error', async (_n, fault, code) => {
    sim.inject(fault);
    const err = await failure(client({ retries: 0 }).request({ method: 'GET', path: '/thing' }));
    expect(err.code).toBe(code);
  });

  it('reports garbled JSON as an upstream error naming the backend', async () => {
    sim.inject({ kind: 'garbled' });
    const res = await client().request({ method: 'GET', path: '/thing' });
    expect(() => res.json()).toThrowError(/Backend plain: .*not valid JSON/);
  });

  it('opens the circuit after repeated failures, fails fast, then probes back when its clock has moved', async () => {
    const clock = createManualClock();
    const c = client({ retries: 0, breakerThreshold: 3, breakerHalfOpenAfterMs: 200, clock });
    sim.inject({ kind: 'status', status: 503 });
    for (let i = 0; i < 3; i++) await failure(c.request({ method: 'GET', path: '/thing' }));
    expect(c.circuitOpen()).toBe(true);
    const calls = sim.calls.length;
    const fast = await failure(c.request({ method: 'GET', path: '/thing' }));
    expect(fast.message).toMatch(/circuit is open/);
    expect(sim.calls.length).toBe(calls);
    sim.clearFaults();
    // The breaker half-opens on the client's clock: 199 ms on, it still fails fast; at 200 ms one call probes.
    clock.advance(199);
    expect((await failure(c.request({ method: 'GET', path: '/thing' }))).message).toMatch(/circuit is open/);
    expect(sim.calls.length).toBe(calls);
    clock.advance(1);
    expect((await c.request({ method: 'GET', path: '/thing' })).status).toBe(200);
    expect(c.circuitOpen()).toBe(false);
  });

  it('caps concurrent requests to one backend', async () => {
    sim.inject({ kind: 'latency', ms: 50 });
    const c = client({ maxConcurrent: 2, maxQueued: 1 });
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => c.request({ method: 'GET', path: '/thing' })));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code);
    expect(refused).toEqual(['RATE_LIMITED']);
  });
});

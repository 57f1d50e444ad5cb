/** The upstream circuit breaker (src/http/breaker.ts) on a manual clock: it half-opens when the clock says so, not the machine. */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../src/domain/clock.js';
import { BrokenCircuitError, CircuitBreaker, type CircuitStateName } from '../src/http/breaker.js';

class Down extends Error {}

function setup() {
  const clock = createManualClock();
  const states: CircuitStateName[] = [];
  const breaker = new CircuitBreaker({ clock, threshold: 3, halfOpenAfterMs: 2000, isFailure: (e) => e instanceof Down, onStateChange: (s) => states.push(s) });
  let calls = 0;
  const fail = () => breaker.execute(async () => (calls++, Promise.reject(new Down())));
  const ok = () => breaker.execute(async () => (calls++, 'ok'));
  return { clock, states, breaker, fail, ok, calls: () => calls };
}

describe('the circuit breaker', () => {
  it('opens after `threshold` failures in a row; a success between resets the count', async () => {
    const b = setup();
    await expect(b.fail()).rejects.toBeInstanceOf(Down);
    await expect(b.fail()).rejects.toBeInstanceOf(Down);
    await expect(b.ok()).resolves.toBe('ok');
    await expect(b.fail()).rejects.toBeInstanceOf(Down);
    await expect(b.fail()).rejects.toBeInstanceOf(Down);
    expect(b.breaker.state).toBe('closed');
    await expect(b.fail()).rejects.toBeInstanceOf(Down);
    expect(b.breaker.state).toBe('open');
    expect(b.states).toEqual(['open']);
  });

  it('errors that are no failure pass through and count for nothing', async () => {
    const b = setup();
    for (let i = 0; i < 5; i++) await expect(b.breaker.execute(() => Promise.reject(new TypeError('bad input')))).rejects.toBeInstanceOf(TypeError);
    expect(b.breaker.state).toBe('closed');
  });

  it('fails fast without calling until the clock has moved halfOpenAfterMs; one probe then closes it', async () => {
    const b = setup();
    for (let i = 0; i < 3; i++) await expect(b.fail()).rejects.toBeInstanceOf(Down);
    const before = b.calls();
    b.clock.advance(1999);
    await expect(b.ok()).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(b.calls()).toBe(before);
    b.clock.advance(1);
    await expect(b.ok()).resolves.toBe('ok');
    expect(b.calls()).toBe(before + 1);
    expect(b.states).toEqual(['open', 'half-open', 'closed']);
  });

  it('a failed probe opens it for another interval; calls made during a probe wait for its outcome', async () => {
    const b = setup();
    for (let i = 0; i < 3; i++) await expect(b.fail()).rejects.toBeInstanceOf(Down);
    b.clock.advance(2000);
    await expect(b.fail()).rejects.toBeInstanceOf(Down);
    expect(b.breaker.state).toBe('open');
    await expect(b.ok()).rejects.toBeInstanceOf(BrokenCircuitError);
    b.clock.advance(2000);
    let release!: () => void;
    const probe = b.breaker.execute(() => new Promise<string>((r) => (release = () => r('probe'))));
    expect(b.breaker.state).toBe('half-open');
    const waiting = b.ok();
    const order: string[] = [];
    void waiting.then((v) => order.push(v));
    await Promise.resolve();
    expect(order).toEqual([]);
    release();
    await expect(probe).resolves.toBe('probe');
    await expect(waiting).resolves.toBe('ok');
    expect(b.states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });
});

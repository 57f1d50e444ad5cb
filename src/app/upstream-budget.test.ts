import { describe, expect, it } from 'vitest';
import { createManualClock } from '../domain/clock.js';
import { UpstreamBudget, UpstreamBudgetError } from './upstream-budget.js';

/** Settles pending promise callbacks (the budget resolves waiters synchronously on the clock). */
const flush = () => new Promise((r) => setImmediate(r));

function track(p: Promise<void>) {
  const t = { state: 'waiting' as 'waiting' | 'granted' | 'refused', err: null as unknown };
  p.then(
    () => (t.state = 'granted'),
    (err) => ((t.state = 'refused'), (t.err = err)),
  );
  return t;
}

describe('the shared upstream budget of a backend', () => {
  it('lets callers use the burst less the reserve; the reserve is for polls', async () => {
    const clock = createManualClock();
    const budget = new UpstreamBudget({ callsPerSecond: 10, burst: 10, reserve: 2, queue: 100, clock });
    const calls = Array.from({ length: 8 }, () => track(budget.acquire('b', { caller: 'a' })));
    const ninth = track(budget.acquire('b', { caller: 'a' }));
    const poll = track(budget.acquire('b', { poll: true }));
    await flush();
    expect(calls.map((c) => c.state)).toEqual(Array(8).fill('granted'));
    expect(ninth.state).toBe('waiting');
    // A poll waits behind nobody: it is put before the callers' reads and uses the reserve.
    expect(poll.state).toBe('granted');
    clock.advance(100);
    await flush();
    expect(ninth.state).toBe('waiting'); // one token back, but the reserve is not refilled yet
    clock.advance(200);
    await flush();
    expect(ninth.state).toBe('granted');
  });

  it('refuses the caller with the most reads waiting when the queue is full, never another one', async () => {
    const clock = createManualClock();
    const budget = new UpstreamBudget({ callsPerSecond: 1, burst: 1, reserve: 0, queue: 4, clock });
    track(budget.acquire('b', { caller: 'greedy' }));
    const greedy = Array.from({ length: 4 }, () => track(budget.acquire('b', { caller: 'greedy' })));
    await flush();
    expect(greedy.map((g) => g.state)).toEqual(['waiting', 'waiting', 'waiting', 'waiting']);
    // The queue is full of the greedy caller's reads: another caller's read evicts its newest one.
    const polite = track(budget.acquire('b', { caller: 'polite' }));
    // And the greedy caller's next read is refused outright.
    const more = track(budget.acquire('b', { caller: 'greedy' }));
    const poll = track(budget.acquire('b', { poll: true }));
    await flush();
    expect(greedy.map((g) => g.state)).toEqual(['waiting', 'waiting', 'refused', 'refused']);
    expect(more.state).toBe('refused');
    expect(more.err).toBeInstanceOf(UpstreamBudgetError);
    expect((more.err as UpstreamBudgetError).code).toBe('RATE_LIMITED');
    expect(polite.state).toBe('waiting');
    expect(poll.state).toBe('waiting');
    // Tokens come back one a second: the poll first, then the callers' reads in their order.
    clock.advance(1000);
    await flush();
    expect(poll.state).toBe('granted');
    clock.advance(3000);
    await flush();
    expect([greedy[0]!.state, greedy[1]!.state, polite.state]).toEqual(['granted', 'granted', 'granted']);
  });
});

import { describe, expect, it } from 'vitest';
import { createManualClock } from './clock.js';

describe('manual clock', () => {
  it('fires due timers in time order as time moves, and not before', () => {
    const clock = createManualClock(1_000);
    const fired: string[] = [];
    clock.setTimer(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimer(() => fired.push(`a@${clock.now()}`), 10);
    const c = clock.setTimer(() => fired.push('c'), 15);
    c.cancel();
    expect(clock.nextTimerAt()).toBe(1_010);
    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual(['a@1010', 'b@1020']);
    expect(clock.now()).toBe(1_020);
    expect(clock.pendingTimers()).toBe(0);
    expect(clock.nextTimerAt()).toBeNull();
  });

  it('sleep resolves when time reaches it and rejects when aborted', async () => {
    const clock = createManualClock(0);
    const slept = clock.sleep(50);
    clock.advance(50);
    await expect(slept).resolves.toBeUndefined();
    const controller = new AbortController();
    const aborted = clock.sleep(50, controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('random is a seeded sequence in [0, 1)', () => {
    const a = createManualClock(0, 7);
    const b = createManualClock(0, 7);
    const xs = Array.from({ length: 100 }, () => a.random());
    expect(xs).toEqual(Array.from({ length: 100 }, () => b.random()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(90);
  });
});

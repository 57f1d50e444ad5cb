/**
 * The watch hub on its own, over fake backends that count their reads: how often it polls under
 * churn and after mutations, and that a poll never overrides a newer observation. Time is a
 * manual clock moved in small steps: polls, read times and slow reads are on it, so the counts do
 * not depend on how busy the machine is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeBackend, pass } from './fixtures/fake-backend.js';
import { createManualClock, type ManualClock } from '../src/domain/clock.js';
import { createLogger } from '../src/logger.js';
import type { HubEvent } from '../src/status/events.js';
import { POLL_JITTER, WatchHub } from '../src/status/hub.js';
import { createMemoryPubSub } from '../src/status/pubsub.js';

const INTERVAL = 200;
const MIN_GAP = INTERVAL * (1 - POLL_JITTER);

/** Starts of reads closer together than the hub's minimum gap (with the slack of one clock step). */
const tooClose = (reads: number[]) => reads.slice(1).filter((t, i) => t - reads[i]! < MIN_GAP - 5);

describe('the watch hub', () => {
  let hub: WatchHub | null = null;
  afterEach(async () => {
    await hub?.close();
    hub = null;
  });

  let clock: ManualClock;
  /** Lets `ms` of the clock pass. */
  const elapse = (ms: number) => pass(clock, ms);
  const fake = (id: string, batch: boolean, keys: string[]) => fakeBackend(id, batch, keys, clock);
  beforeEach(() => {
    clock = createManualClock();
  });

  function start(...fakes: ReturnType<typeof fakeBackend>[]) {
    hub = new WatchHub(new Map(fakes.map((f) => [f.backend.id, f.backend])), createMemoryPubSub().pubsub, createLogger('silent'), { intervalMs: INTERVAL, clock });
    return hub;
  }

  it('keeps to one list call per interval while subscribers with unknown ids come and go', async () => {
    const list = fake('lister', false, ['a', 'b']);
    const h = start(list);
    const stay = h.watch({ backend: 'lister', ids: ['lister:a'] }, () => {});
    await elapse(50);
    const from = clock.now();
    for (let i = 0; i < 20; i++) {
      const leave = h.watch({ backend: 'lister', ids: [`lister:unknown-${i}`] }, () => {});
      await elapse(25);
      leave();
      await elapse(25);
    }
    const window = list.reads.filter((t) => t >= from);
    const elapsed = clock.now() - from;
    stay();
    expect(tooClose(list.reads)).toEqual([]);
    expect(window.length).toBeLessThanOrEqual(Math.ceil(elapsed / MIN_GAP));
  });

  it('polls a batch backend early for new ids at most once per interval, and never for ids known missing', async () => {
    const batch = fake('batcher', true, ['a', ...Array.from({ length: 20 }, (_, i) => `new-${i}`)]);
    const h = start(batch);
    const stay = h.watch({ backend: 'batcher', ids: ['batcher:a', 'batcher:gone'] }, () => {});
    await elapse(50);
    const from = clock.now();
    for (let i = 0; i < 20; i++) {
      const leave = h.watch({ backend: 'batcher', ids: [`batcher:new-${i}`] }, () => {});
      await elapse(50);
      leave();
    }
    const elapsed = clock.now() - from;
    expect(tooClose(batch.reads)).toEqual([]);
    expect(batch.reads.filter((t) => t >= from).length).toBeLessThanOrEqual(Math.ceil(elapsed / MIN_GAP));

    // `gone` was read and not found: watching it again is no reason to poll before the interval.
    await elapse(INTERVAL * 0.5);
    const before = batch.reads.length;
    const lastRead = batch.reads.at(-1)!;
    const leave = h.watch({ backend: 'batcher', ids: ['batcher:gone'] }, () => {});
    await elapse(10);
    expect(batch.reads.length).toBe(before);
    await elapse(INTERVAL * 1.2);
    expect(batch.reads[before]! - lastRead).toBeGreaterThanOrEqual(MIN_GAP - 5);
    leave();
    stay();
  });

  it('takes the baseline of a new id on a batch backend at the earliest poll the interval allows', async () => {
    const batch = fake('batcher', true, ['a', 'b']);
    const h = start(batch);
    const events: HubEvent[] = [];
    const stay = h.watch({ backend: 'batcher', ids: ['batcher:a'] }, () => {});
    await elapse(20);
    expect(batch.reads).toHaveLength(1); // a first watch is polled at once
    // Long after the last poll (a slow interval): the new id is read at once, not at the next tick.
    await elapse(MIN_GAP + 10);
    const before = batch.reads.length;
    const sinceLast = clock.now() - batch.reads.at(-1)!;
    const leave = h.watch({ backend: 'batcher', ids: ['batcher:b'] }, (ev) => events.push(ev));
    await elapse(Math.max(0, MIN_GAP - sinceLast) + 30);
    expect(batch.reads.length).toBeGreaterThan(before);
    batch.set('b', 'FAILED');
    await elapse(INTERVAL * 1.2 + 30);
    expect(events.filter((e) => e.type === 'status').map((e) => e.type === 'status' && `${e.previous}->${e.current}`)).toEqual(['READY->FAILED']);
    leave();
    stay();
  });

  it('does not poll again at once when the last subscriber leaves and another comes', async () => {
    const list = fake('lister', false, ['a']);
    const h = start(list);
    for (let i = 0; i < 10; i++) {
      const leave = h.watch({ backend: 'lister', ids: ['lister:a'] }, () => {});
      await elapse(30);
      leave();
    }
    expect(tooClose(list.reads)).toEqual([]);
    expect(list.reads.length).toBeLessThanOrEqual(2);
  });

  it('publishes what a mutation observed at once, without polling for it', async () => {
    const list = fake('lister', false, ['a']);
    const h = start(list);
    const events: HubEvent[] = [];
    const leave = h.watch({ backend: 'lister', ids: ['lister:a'] }, (ev) => events.push(ev));
    await elapse(30); // the baseline
    const from = clock.now();
    for (let i = 0; i < 10; i++) {
      h.observe(list.set('a', 'READY', `renamed ${i}`));
      await elapse(10);
    }
    const elapsed = clock.now() - from;
    expect(events.filter((e) => e.type === 'change')).toHaveLength(10);
    expect(list.reads.filter((t) => t >= from).length).toBeLessThanOrEqual(Math.ceil(elapsed / MIN_GAP));
    expect(tooClose(list.reads)).toEqual([]);
    leave();
  });

  it('drops a poll that began before a newer observation (no stale flip back)', async () => {
    const list = fake('lister', false, ['a']);
    const h = start(list);
    const events: HubEvent[] = [];
    const leave = h.watch({ backend: 'lister', ids: ['lister:a'] }, (ev) => events.push(ev));
    await elapse(30); // the baseline
    list.slowReads(80);
    // Wait until a poll is reading the old state, then write through the gateway.
    const before = list.reads.length;
    while (list.reads.length === before) await elapse(1);
    h.observe(list.set('a', 'PENDING'));
    await elapse(150); // the slow poll answers READY after the observation
    list.slowReads(0);
    await elapse(INTERVAL * 1.5);
    const statuses = events.filter((e) => e.type === 'status').map((e) => e.type === 'status' && `${e.previous}->${e.current}`);
    expect(statuses).toEqual(['READY->PENDING']);
    leave();
  });

  it('tells of an outage once, then of the recovery, then of what changed meanwhile', async () => {
    const list = fake('lister', false, ['a']);
    const failing = { on: false };
    const read = list.backend.instance.list.bind(list.backend.instance);
    list.backend.instance.list = async (f) => {
      if (failing.on) {
        list.reads.push(clock.now());
        throw new Error('down');
      }
      return read(f);
    };
    const h = start(list);
    const events: HubEvent[] = [];
    const leave = h.watch({ backend: 'lister', ids: ['lister:a'] }, (ev) => events.push(ev));
    await elapse(30);
    failing.on = true;
    await elapse(INTERVAL * 2.5);
    list.set('a', 'FAILED');
    failing.on = false;
    const deadline = clock.now() + 60_000;
    while (!events.some((e) => e.type === 'status') && clock.now() < deadline) await elapse(50);
    expect(events.map((e) => e.type)).toEqual(['unavailable', 'recovered', 'status', 'change']);
    leave();
  });
});

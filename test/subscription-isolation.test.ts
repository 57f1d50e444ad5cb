/**
 * One vendor failing never ends a subscription: the dashboard pattern (ids on every backend, with
 * emitCurrent) while one backend answers 503 for three poll intervals, per vendor, over SSE and
 * WebSocket. The other backends' transitions keep arriving; BackendUnavailable and then
 * BackendRecovered arrive once each; the failing backend's present state and what changed on it
 * meanwhile follow its recovery; the log has a line per state change, not per poll or subscriber.
 * The hub runs on a manual clock: the intervals are polls made to happen and counted, and what
 * arrived is checked once every event the gateway sent is in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../src/domain/clock.js';
import { BREAKER_HALF_OPEN_AFTER_MS } from '../src/http/client.js';
import { subscriptionEventsSent } from '../src/graphql/subscriptions.js';
import { allArrived, createSkippingClock, pollRounds, polled, startStack, type Stack } from './helpers.js';
import { sse, ws, transitions } from './sub-clients.js';

const INTERVAL = 150;
/** The interval plus its jitter: a healthy backend polls once per step. */
const STEP = INTERVAL * 1.1;
/** The longest wait before a failing backend's next poll (its backoff at most, plus jitter): it polls once per such step. */
const BACKOFF_STEP = 30_000 * 1.1;
const ZS_SEED = '1bb3ef7d600d4d30b21b8ffd299c37b5';
const VENDORS = ['northflank', 'nemo', 'zstack'] as const;
type Vendor = (typeof VENDORS)[number];

const IDS: Record<Vendor, string> = {
  northflank: 'northflank:default-project/deepseek-v3-deployment',
  nemo: 'nemo:research-team-alpha/llama-3.1-8b',
  zstack: `zstack:${ZS_SEED}`,
};

/** A status change upstream, and the one that undoes it, with the transitions they make. */
function changes(stack: Stack): Record<Vendor, { away(): void; back(): void; awayIs: string; backIs: string; backIsAfterOutage: string; owedIs: string | null }> {
  const zs = stack.sims.zstack!;
  const template = zs.model(ZS_SEED)!;
  return {
    northflank: {
      away: () => stack.sims.northflank!.setStatus('default-project/deepseek-v3-deployment', 'crashed'),
      back: () => stack.sims.northflank!.setStatus('default-project/deepseek-v3-deployment', 'running'),
      awayIs: 'READY->FAILED',
      backIs: 'FAILED->READY',
      backIsAfterOutage: 'FAILED->READY',
      owedIs: 'FAILED',
    },
    nemo: {
      away: () => stack.sims.nemo!.setStatus('research-team-alpha/llama-3.1-8b', 'ERROR', 'failed on purpose'),
      back: () => stack.sims.nemo!.setStatus('research-team-alpha/llama-3.1-8b', 'READY'),
      awayIs: 'READY->FAILED',
      backIs: 'FAILED->READY',
      backIsAfterOutage: 'FAILED->READY',
      owedIs: 'FAILED',
    },
    zstack: {
      away: () => void zs.removeModel(ZS_SEED),
      back: () => zs.addModel({ ...template }),
      awayIs: 'READY->DELETED',
      backIs: 'DELETED->READY',
      // Removed while the backend was down, the model has no present state to owe; its return is
      // a deployment new upstream.
      backIsAfterOutage: 'null->READY',
      owedIs: null,
    },
  };
}

const SUB = `subscription($ids: [ID!]) {
  modelDeploymentStatusChanged(ids: $ids, emitCurrent: true) {
    __typename
    ... on ModelDeploymentStatusTransition { previous current initial deployment { id } }
    ... on BackendUnavailable { backend code }
    ... on BackendRecovered { backend }
  }
}`;

const of = (events: any[], id: string) => transitions(events.filter((e) => e.deployment?.id === id));
const each = (vendors: readonly Vendor[], n: number) => Object.fromEntries(vendors.map((v) => [v, n]));

describe.each([
  ['SSE', sse],
  ['WebSocket', ws],
] as const)('one failing vendor over %s', (_transport, open) => {
  describe.each(VENDORS)('%s answering 503 for three intervals', (failing) => {
    // The hub's clock; the simulators keep theirs, which stands still.
    const clock = createManualClock();
    /**
     * The upstream clients' clock: a failing poll's retry waits end at once (so that a poll ends
     * by itself and the test can wait for it before moving the hub's clock again); a circuit
     * breaker's wait passes only when the test moves it.
     */
    const upstream = createSkippingClock();
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({ vendors: [...VENDORS], statusClock: clock, upstreamClock: upstream, config: { status: { pollIntervalMs: INTERVAL } } });
    });
    afterAll(() => stack?.close());

    it('keeps the stream and the other backends, tells the outage and the recovery once each, and logs a few lines', async () => {
      const hub = stack.gateway.runtime.hub!;
      const rounds = (n: Record<string, number>, stepMs = STEP) => pollRounds(hub, clock, n, stepMs);
      const healthy = VENDORS.filter((v) => v !== failing);
      const change = changes(stack);
      const sim = stack.sims[failing]!;
      const logsFrom = stack.logs.length;
      const sentFrom = subscriptionEventsSent(hub);
      sim.server.inject({ fault: { kind: 'status', status: 503 } });
      const sub = open(stack.url, SUB, { ids: VENDORS.map((v) => IDS[v]) });
      try {
        // The healthy backends' present states, and the failing one told unavailable.
        await sub.waitFor((ev) => ev.filter((e) => e.initial).length === 2 && ev.some((e) => e.__typename === 'BackendUnavailable'));
        // The hub's first read of every backend (the failing one's fails).
        await rounds(each(VENDORS, 1));

        // Three intervals of 503s, with transitions on every backend meanwhile: the healthy
        // backends are read three times, the failing one at least once (in vain).
        const failedPolls = polled(hub, failing);
        for (const v of VENDORS) change[v].away();
        await rounds(each(healthy, 1));
        await sub.waitFor((ev) => healthy.every((v) => of(ev, IDS[v]).length === 1));
        await rounds({ ...each(healthy, 2), [failing]: 1 });
        expect(polled(hub, failing)).toBeGreaterThan(failedPolls);
        expect(hub.stats()[failing]!.unavailable).toBe(true);
        await allArrived(hub, sentFrom, [sub]);
        expect(of(sub.events, IDS[failing])).toEqual([]);
        sim.server.clearFaults();

        // Recovery: the wait of its client's circuit breaker (which the outage may have opened)
        // passes, and the failing backend's next poll reads it.
        upstream.advance(BREAKER_HALF_OPEN_AFTER_MS);
        await rounds({ [failing]: 1 }, BACKOFF_STEP);
        expect(hub.stats()[failing]!.unavailable).toBe(false);
        // Told once, then the failing backend's present state (owed since the first read).
        const owedIs = change[failing].owedIs;
        await sub.waitFor((ev) => ev.some((e) => e.__typename === 'BackendRecovered') && (owedIs === null || ev.some((e) => e.initial && e.deployment.id === IDS[failing])));
        if (owedIs === null) await rounds({ [failing]: 2 }); // the hub reads it missing: nothing to tell
        // The stream is the same one: later transitions arrive on every backend.
        for (const v of VENDORS) change[v].back();
        await rounds(each(VENDORS, 1));
        await sub.waitFor((ev) => VENDORS.every((v) => of(ev, IDS[v]).length >= (v === failing ? 1 : 2)));
        await rounds(each(VENDORS, 2)); // nothing late, nothing twice
        await allArrived(hub, sentFrom, [sub]);

        const kinds = sub.events.map((e) => e.__typename ?? 'error');
        expect(kinds.filter((k) => k === 'BackendUnavailable')).toHaveLength(1);
        expect(kinds.filter((k) => k === 'BackendRecovered')).toHaveLength(1);
        expect(sub.events.filter((e) => e.error)).toEqual([]);
        // (ZStack's 503 carries a ZStack error code, which its client maps to UPSTREAM_ERROR.)
        expect(sub.events.find((e) => e.__typename === 'BackendUnavailable')).toEqual({ __typename: 'BackendUnavailable', backend: failing, code: failing === 'zstack' ? 'UPSTREAM_ERROR' : 'UPSTREAM_UNAVAILABLE' });
        expect(sub.events.find((e) => e.__typename === 'BackendRecovered')).toEqual({ __typename: 'BackendRecovered', backend: failing });
        for (const v of healthy) expect(of(sub.events, IDS[v])).toEqual([change[v].awayIs, change[v].backIs]);
        // Its present state after the recovery already shows the change made during the outage.
        const owed = sub.events.filter((e) => e.initial && e.deployment.id === IDS[failing]);
        expect(owed.map((e) => `${e.previous}->${e.current}`)).toEqual(owedIs === null ? [] : [`null->${owedIs}`]);
        expect(of(sub.events, IDS[failing])).toEqual([change[failing].backIsAfterOutage]);
        // Unavailable before recovered, recovered before the owed state.
        const at = (pred: (e: any) => boolean) => sub.events.findIndex(pred);
        expect(at((e) => e.__typename === 'BackendUnavailable')).toBeLessThan(at((e) => e.__typename === 'BackendRecovered'));
        if (owed[0]) expect(at((e) => e.__typename === 'BackendRecovered')).toBeLessThan(at((e) => e === owed[0]));

        // The log: a line for the outage and one for the recovery, not one per poll or per subscriber.
        const lines = stack.logs.slice(logsFrom).map((l) => JSON.parse(l) as { level: number; msg: string });
        const loud = lines.filter((l) => l.level >= 40);
        expect(loud.filter((l) => l.level >= 50)).toEqual([]);
        expect(loud.length, JSON.stringify(loud.map((l) => l.msg))).toBeLessThanOrEqual(3);
        expect(lines.filter((l) => l.msg === 'backend recovered')).toHaveLength(1);
      } finally {
        sim.server.clearFaults();
        sub.stop();
      }
    }, 90_000);
  });
});

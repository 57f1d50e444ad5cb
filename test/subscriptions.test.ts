/** Status subscriptions over SSE (graphql-sse client) and WebSocket (graphql-ws client). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startStack, type Stack } from './helpers.js';
import { createToySimulator } from './fixtures/toy-adapter.js';
import { sse, ws, transitions } from './sub-clients.js';

const toyModule = fileURLToPath(new URL('./fixtures/toy-adapter.ts', import.meta.url));

const STATUS_SUB = `subscription($ids: [ID!], $emit: Boolean) {
  modelDeploymentStatusChanged(ids: $ids, emitCurrent: $emit) {
    __typename
    ... on ModelDeploymentStatusTransition { previous current vendorStatus initial deployment { id status } }
    ... on BackendUnavailable { backend code }
    ... on BackendRecovered { backend }
  }
}`;


describe.each([
  ['SSE', sse],
  ['WebSocket', ws],
] as const)('status subscription over %s', (_name, open) => {
  let stack: Stack;
  let toy: Awaited<ReturnType<typeof createToySimulator>>;
  beforeAll(async () => {
    toy = await createToySimulator();
    stack = await startStack({ vendors: [], extraSims: { toybox: toy }, config: { adapters: [toyModule], status: { pollIntervalMs: 40 } } });
  });
  afterAll(() => stack?.close());

  it('sends the present state, then each transition once, in order', async () => {
    const sub = open(stack.url, STATUS_SUB, { ids: ['toybox:alpha'], emit: true });
    try {
      await sub.waitFor((ev) => ev.some((e) => e.initial));
      expect(sub.events[0]).toMatchObject({ __typename: 'ModelDeploymentStatusTransition', initial: true, previous: null, current: 'READY', deployment: { id: 'toybox:alpha' } });
      await new Promise((r) => setTimeout(r, 120)); // the hub has its baseline
      toy.setState('alpha', 'down');
      await sub.waitFor((ev) => transitions(ev).length === 1);
      toy.setState('alpha', 'up');
      await sub.waitFor((ev) => transitions(ev).length === 2);
      await new Promise((r) => setTimeout(r, 150)); // no duplicates arrive later
      expect(transitions(sub.events)).toEqual(['READY->FAILED', 'FAILED->READY']);
      expect(sub.events.filter((e) => !e.initial).map((e) => e.vendorStatus)).toEqual(['down', 'up']);
    } finally {
      sub.stop();
    }
  });

  it('tells subscribers a backend is down, then resumes without reconnecting', async () => {
    const sub = open(stack.url, STATUS_SUB, { ids: ['toybox:beta'] });
    try {
      await new Promise((r) => setTimeout(r, 120));
      toy.server.inject({ kind: 'status', status: 503 });
      await sub.waitFor((ev) => ev.some((e) => e.__typename === 'BackendUnavailable'));
      expect(sub.events.find((e) => e.__typename === 'BackendUnavailable')).toEqual({ __typename: 'BackendUnavailable', backend: 'toybox', code: 'UPSTREAM_UNAVAILABLE' });
      toy.server.clearFaults();
      await sub.waitFor((ev) => ev.some((e) => e.__typename === 'BackendRecovered'), 8000);
      toy.setState('beta', 'up');
      await sub.waitFor((ev) => transitions(ev).includes('FAILED->READY'));
      toy.setState('beta', 'down');
      await sub.waitFor((ev) => transitions(ev).includes('READY->FAILED'));
    } finally {
      sub.stop();
    }
  });
});

describe('the watch hub', () => {
  let stack: Stack;
  let toy: Awaited<ReturnType<typeof createToySimulator>>;
  beforeAll(async () => {
    toy = await createToySimulator();
    stack = await startStack({ vendors: [], extraSims: { toybox: toy }, config: { adapters: [toyModule], status: { pollIntervalMs: 200 } } });
  });
  afterAll(() => stack?.close());

  it('polls once per interval for 500 subscribers, and stops when they leave', async () => {
    const subs = Array.from({ length: 500 }, (_, i) => sse(stack.url, STATUS_SUB, { ids: [i % 2 ? 'toybox:alpha' : 'toybox:beta'] }));
    try {
      await new Promise((r) => setTimeout(r, 300));
      toy.server.resetCalls();
      const started = Date.now();
      await new Promise((r) => setTimeout(r, 1000));
      const elapsed = Date.now() - started;
      const polls = toy.server.count('GET', '/items');
      // 200 ms ± 10% jitter: at most ceil(elapsed / 180) polls, at least one.
      expect(polls).toBeGreaterThanOrEqual(1);
      expect(polls).toBeLessThanOrEqual(Math.ceil(elapsed / 180) + 1);
      toy.setState('alpha', 'down');
      await Promise.all(subs.filter((_, i) => i % 2).map((s) => s.waitFor((ev) => transitions(ev).includes('READY->FAILED'), 20_000)));
    } finally {
      subs.forEach((s) => s.stop());
    }
    await new Promise((r) => setTimeout(r, 400));
    toy.server.resetCalls();
    await new Promise((r) => setTimeout(r, 600));
    expect(toy.server.count('GET')).toBe(0);
    expect(stack.gateway.runtime.hub!.stats()).toEqual({});
  }, 60_000);

  it('publishes a change made through the gateway at once', async () => {
    const sub = sse(stack.url, `subscription { modelDeploymentChanged(ids: ["toybox:beta"]) { __typename ... on ModelDeploymentChange { changedFields deployment { name } } } }`, {});
    try {
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      await stack.gql(`mutation { updateModelDeployment(input: {id: "toybox:beta", name: "Beta renamed"}) { __typename } }`);
      await sub.waitFor((ev) => ev.some((e) => e.deployment?.name === 'Beta renamed'), 3000);
      expect(Date.now() - t0).toBeLessThan(190); // sooner than the next poll
      expect(sub.events.find((e) => e.deployment?.name === 'Beta renamed').changedFields).toContain('name');
    } finally {
      sub.stop();
    }
  });
});

/**
 * Each vendor's lifecycle seen end to end through GraphQL subscriptions, over SSE and over
 * WebSocket: a rollout started through the gateway, then the simulators' clock moved one phase
 * at a time, and the subscriber receives every transition once, in order.
 *
 * Two manual clocks: the stack's (the simulators' phases, the gateway's) and the hub's (its
 * polls). A phase moves only when the test moves the first, a poll happens only when it moves
 * the second, so "a few more polls" is a count of polls ended, never a wait in real time.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allArrived, dataOf, pollRounds, startStack, until, type Stack } from './helpers.js';
import { createManualClock } from '../src/domain/clock.js';
import { subscriptionEventsSent, subscriptionStats } from '../src/graphql/subscriptions.js';
import { sse, ws, transitions, type Collector } from './sub-clients.js';

const PHASE_MS = 1000;
const POLL_MS = 30;
/** A step of the hub's clock that makes exactly one poll of a watched backend: the interval plus its jitter (10 %). */
const POLL_STEP_MS = POLL_MS * 1.1;

const STATUS_SUB = `subscription($ids: [ID!]) {
  modelDeploymentStatusChanged(ids: $ids, emitCurrent: true) {
    __typename
    ... on ModelDeploymentStatusTransition { previous current vendorStatus initial deployment { id status version } }
    ... on BackendUnavailable { backend code }
  }
}`;

const CHANGE_SUB = `subscription($ids: [ID!]) {
  modelDeploymentChanged(ids: $ids) {
    __typename
    ... on ModelDeploymentChange { previous current changedFields deployment { id name status version } }
    ... on BackendUnavailable { backend code }
  }
}`;

const UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) { __typename ... on UpdateModelDeploymentSuccess { deployment { status version } } }
}`;

const NF_ID = 'northflank:default-project/deepseek-v3-deployment';
const NEMO_ID = 'nemo:research-team-alpha/llama-3.1-8b';
const ZSTACK_UUID = '1bb3ef7d600d4d30b21b8ffd299c37b5';
const ZSTACK_ID = `zstack:${ZSTACK_UUID}`;

describe.each([
  ['SSE', sse],
  ['WebSocket', ws],
] as const)('deployment lifecycles over %s', (_transport, open) => {
  let stack: Stack;
  const hubClock = createManualClock();
  const hub = () => stack.gateway.runtime.hub!;
  const subs: Collector[] = [];
  /** The collectors opened by the running test, and the hub's count of events sent when it began. */
  let opened: Collector[] = [];
  let sentFrom = 0;
  const watch = (query: string, id: string) => {
    if (!opened.length) sentFrom = subscriptionEventsSent(hub());
    const c = open(stack.url, query, { ids: [id] });
    subs.push(c);
    opened.push(c);
    return c;
  };

  /** `n` more polls of `backend`, ended (the hub's clock moved one poll's worth at a time). */
  const polls = (backend: string, n: number) => pollRounds(hub(), hubClock, { [backend]: n }, POLL_STEP_MS);

  /**
   * Two more polls of `backend`, ended: from then on the hub holds a baseline, so a change is
   * compared against the present state, not taken as one.
   */
  const hubHasBaseline = (backend: string) => polls(backend, 2);

  /** Moves the simulators one phase, has the hub poll `backend` once, and waits for the transition it shows. */
  async function step(backend: string, sub: Collector, expected: number) {
    stack.clock.advance(PHASE_MS);
    await polls(backend, 1);
    await sub.waitFor((ev) => transitions(ev).length >= expected);
  }

  /**
   * Three more polls of `backend`, ended, and every event the gateway sent since the test began
   * arrived at the test's subscribers: anything late (a duplicate, a stray transition) is there.
   */
  async function settle(backend: string) {
    await polls(backend, 3);
    await allArrived(hub(), sentFrom, opened);
  }

  beforeEach(() => {
    opened = [];
  });

  beforeAll(async () => {
    stack = await startStack({ vendors: ['northflank', 'nemo', 'zstack'], phaseMs: PHASE_MS, statusClock: hubClock, config: { status: { pollIntervalMs: POLL_MS } } });
  });
  afterAll(async () => {
    subs.forEach((s) => s.stop());
    await stack?.close();
  });

  it('northflank: a spec change rolls out PENDING → PROVISIONING → STARTING → READY', async () => {
    const sub = watch(STATUS_SUB, NF_ID);
    await sub.waitFor((ev) => ev.some((e) => e.initial));
    await hubHasBaseline('northflank');

    const res = dataOf(await stack.gql(UPDATE, { input: { id: NF_ID, northflank: { spec: { configuration: { revision: 'rollout-2' } } } } }));
    expect(res.updateModelDeployment).toMatchObject({ __typename: 'UpdateModelDeploymentSuccess', deployment: { status: 'PENDING' } });
    await polls('northflank', 1);
    await sub.waitFor((ev) => transitions(ev).length >= 1);
    await step('northflank', sub, 2);
    await step('northflank', sub, 3);
    await step('northflank', sub, 4);
    await settle('northflank');

    expect(sub.events.filter((e) => e.initial).map((e) => e.current)).toEqual(['READY']);
    expect(transitions(sub.events)).toEqual(['READY->PENDING', 'PENDING->PROVISIONING', 'PROVISIONING->STARTING', 'STARTING->READY']);
    expect(sub.events.filter((e) => !e.initial).map((e) => e.vendorStatus)).toEqual(['pending', 'provisioning', 'starting', 'running']);
    expect(sub.events.every((e) => e.__typename === 'ModelDeploymentStatusTransition' && e.deployment.id === NF_ID)).toBe(true);
  });

  it('identical subscribers share one watch: a late one (emitCurrent) gets the present state, then the rest, once', async () => {
    const id = 'northflank:ml-research/llama-3-1-8b-instruct';
    const first = watch(STATUS_SUB, id);
    await first.waitFor((ev) => ev.some((e) => e.initial));
    await hubHasBaseline('northflank');

    dataOf(await stack.gql(UPDATE, { input: { id, northflank: { spec: { configuration: { revision: 'shared-2' } } } } }));
    await polls('northflank', 1);
    await first.waitFor((ev) => transitions(ev).length >= 1);
    await step('northflank', first, 2);
    const late = watch(STATUS_SUB, id);
    await late.waitFor((ev) => ev.some((e) => e.initial));
    await step('northflank', first, 3);
    await late.waitFor((ev) => transitions(ev).length >= 1);
    // The first subscriber leaving does not stop the watch the late one shares.
    const subscribers = subscriptionStats(hub()).subscribers;
    first.stop();
    opened = opened.filter((c) => c !== first);
    await until('the gateway to see the first subscriber leave', () => subscriptionStats(hub()).subscribers === subscribers - 1);
    // What was sent to it so far, it received (three transitions and its present state: checked below).
    sentFrom += first.events.length;
    await step('northflank', late, 2);
    await settle('northflank');

    expect(transitions(first.events)).toEqual(['READY->PENDING', 'PENDING->PROVISIONING', 'PROVISIONING->STARTING']);
    expect(late.events.filter((e) => e.initial).map((e) => e.current)).toEqual(['PROVISIONING']);
    expect(transitions(late.events)).toEqual(['PROVISIONING->STARTING', 'STARTING->READY']);
  });

  it('nemo: an update creates a new version at PENDING, READY one phase later', async () => {
    const sub = watch(STATUS_SUB, NEMO_ID);
    const changes = watch(CHANGE_SUB, NEMO_ID);
    await sub.waitFor((ev) => ev.some((e) => e.initial));
    await hubHasBaseline('nemo');
    const before = sub.events[0].deployment.version;

    const res = dataOf(await stack.gql(UPDATE, { input: { id: NEMO_ID, nemo: { config: 'llama-config-v3' } } }));
    expect(res.updateModelDeployment).toMatchObject({ __typename: 'UpdateModelDeploymentSuccess', deployment: { status: 'PENDING' } });
    const version = res.updateModelDeployment.deployment.version;
    expect(version).not.toBe(before);
    await polls('nemo', 1);
    await sub.waitFor((ev) => transitions(ev).length >= 1);
    await step('nemo', sub, 2);
    await settle('nemo');

    expect(sub.events.filter((e) => e.initial).map((e) => e.current)).toEqual(['READY']);
    expect(transitions(sub.events)).toEqual(['READY->PENDING', 'PENDING->READY']);
    expect(sub.events.filter((e) => !e.initial).map((e) => [e.vendorStatus, e.deployment.version])).toEqual([
      ['PENDING', version],
      ['READY', version],
    ]);
    // The new version is a change of its own, told once, with the status it started at.
    const versionChanges = changes.events.filter((e) => e.changedFields?.includes('version'));
    expect(versionChanges).toHaveLength(1);
    expect(versionChanges[0]).toMatchObject({ previous: 'READY', current: 'PENDING', deployment: { version } });
    expect(changes.events.map((e) => e.current)).toEqual(['PENDING', 'READY']);
  });

  it('zstack: a model is READY while it exists; a rename is a change; deleted upstream it becomes DELETED', async () => {
    const sub = watch(STATUS_SUB, ZSTACK_ID);
    const changes = watch(CHANGE_SUB, ZSTACK_ID);
    await sub.waitFor((ev) => ev.some((e) => e.initial));
    await hubHasBaseline('zstack');

    const res = dataOf(await stack.gql(UPDATE, { input: { id: ZSTACK_ID, name: 'example-renamed' } }));
    expect(res.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
    await polls('zstack', 1);
    await changes.waitFor((ev) => ev.length >= 1);
    await settle('zstack');
    expect(changes.events).toHaveLength(1);
    expect(changes.events[0]).toMatchObject({ __typename: 'ModelDeploymentChange', previous: 'READY', current: 'READY', deployment: { id: ZSTACK_ID, name: 'example-renamed' } });
    // Only what the rename changed (ZStack's version is a digest of the inventory, so it moves too):
    // not the status, nor tags the hub's batch read does not carry.
    expect(changes.events[0].changedFields).toEqual(['name', 'version', 'updatedAt']);
    // A rename is no status transition.
    expect(transitions(sub.events)).toEqual([]);

    // ZStack has no delete in the API the gateway speaks: the model goes away in the repository.
    expect(stack.sims.zstack.removeModel(ZSTACK_UUID)).toBe(true);
    await polls('zstack', 1);
    await sub.waitFor((ev) => transitions(ev).length >= 1);
    await changes.waitFor((ev) => ev.length >= 2);
    await settle('zstack');

    expect(sub.events.filter((e) => e.initial).map((e) => e.current)).toEqual(['READY']);
    expect(transitions(sub.events)).toEqual(['READY->DELETED']);
    expect(sub.events.at(-1).deployment).toMatchObject({ id: ZSTACK_ID, status: 'DELETED' });
    expect(changes.events.map((e) => `${e.previous}->${e.current}`)).toEqual(['READY->READY', 'READY->DELETED']);
  });
});

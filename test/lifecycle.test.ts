/**
 * Each vendor's lifecycle seen end to end through GraphQL subscriptions, over SSE and over
 * WebSocket: a rollout started through the gateway, then the simulators' clock moved one phase
 * at a time, and the subscriber receives every transition once, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startStack, type Stack } from './helpers.js';
import { sse, ws, transitions, type Collector } from './sub-clients.js';

const PHASE_MS = 1000;
const POLL_MS = 30;

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([
  ['SSE', sse],
  ['WebSocket', ws],
] as const)('deployment lifecycles over %s', (_transport, open) => {
  let stack: Stack;
  const subs: Collector[] = [];
  const watch = (query: string, id: string) => {
    const c = open(stack.url, query, { ids: [id] });
    subs.push(c);
    return c;
  };

  /**
   * Resolves once the hub has finished a poll of `backend` begun after this call: from then on
   * it holds a baseline, so a change is compared against the present state, not taken as one.
   */
  async function hubHasBaseline(backend: string) {
    const polls = () => stack.gateway.runtime.hub!.stats()[backend]?.polls ?? 0;
    const start = polls();
    const deadline = Date.now() + 5000;
    while (polls() < start + 2) {
      if (Date.now() > deadline) throw new Error(`the hub did not poll ${backend}`);
      await sleep(5);
    }
  }

  /** Moves the clock one phase and waits for the transition it causes. */
  async function step(sub: Collector, expected: number) {
    stack.clock.advance(PHASE_MS);
    await sub.waitFor((ev) => transitions(ev).length >= expected);
  }

  /** A few more polls: anything late (a duplicate, a stray transition) would arrive by then. */
  const settle = () => sleep(POLL_MS * 5);

  beforeAll(async () => {
    stack = await startStack({ vendors: ['northflank', 'nemo', 'zstack'], phaseMs: PHASE_MS, config: { status: { pollIntervalMs: POLL_MS } } });
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
    await sub.waitFor((ev) => transitions(ev).length >= 1);
    await step(sub, 2);
    await step(sub, 3);
    await step(sub, 4);
    await settle();

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
    await first.waitFor((ev) => transitions(ev).length >= 1);
    await step(first, 2);
    const late = watch(STATUS_SUB, id);
    await late.waitFor((ev) => ev.some((e) => e.initial));
    await step(first, 3);
    await late.waitFor((ev) => transitions(ev).length >= 1);
    // The first subscriber leaving does not stop the watch the late one shares.
    first.stop();
    await step(late, 2);
    await settle();

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
    await sub.waitFor((ev) => transitions(ev).length >= 1);
    await step(sub, 2);
    await settle();

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
    await changes.waitFor((ev) => ev.length >= 1);
    await settle();
    expect(changes.events).toHaveLength(1);
    expect(changes.events[0]).toMatchObject({ __typename: 'ModelDeploymentChange', previous: 'READY', current: 'READY', deployment: { id: ZSTACK_ID, name: 'example-renamed' } });
    // Only what the rename changed (ZStack's version is a digest of the inventory, so it moves too):
    // not the status, nor tags the hub's batch read does not carry.
    expect(changes.events[0].changedFields).toEqual(['name', 'version', 'updatedAt']);
    // A rename is no status transition.
    expect(transitions(sub.events)).toEqual([]);

    // ZStack has no delete in the API the gateway speaks: the model goes away in the repository.
    expect(stack.sims.zstack.removeModel(ZSTACK_UUID)).toBe(true);
    await sub.waitFor((ev) => transitions(ev).length >= 1);
    await changes.waitFor((ev) => ev.length >= 2);
    await settle();

    expect(sub.events.filter((e) => e.initial).map((e) => e.current)).toEqual(['READY']);
    expect(transitions(sub.events)).toEqual(['READY->DELETED']);
    expect(sub.events.at(-1).deployment).toMatchObject({ id: ZSTACK_ID, status: 'DELETED' });
    expect(changes.events.map((e) => `${e.previous}->${e.current}`)).toEqual(['READY->READY', 'READY->DELETED']);
  });
});

/**
 * Two gateways in one process share nothing: each has its own subscriptions (and their shared
 * executions), plans and DataLoaders. Both serve the same backend ids over the same kind of
 * simulator, so anything kept process-wide would show as one gateway answering with the other's data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../src/domain/clock.js';
import { allArrived, dataOf, startStack, until, type Stack } from './helpers.js';
import { sse, ws, type Collector } from './sub-clients.js';
import { subscriptionEventsSent, subscriptionStats } from '../src/graphql/subscriptions.js';

const ID = 'northflank:default-project/deepseek-v3-deployment';
const INTERVAL = 60_000;
const SUB = `subscription($ids: [ID!]) {
  modelDeploymentChanged(ids: $ids) { __typename ... on ModelDeploymentChange { changedFields deployment { id name } } }
}`;
const RENAME = `mutation($id: ID!, $name: String!) { updateModelDeployment(input: { id: $id, name: $name }) { __typename } }`;
const PLAN = `mutation($ids: [ID!], $patch: UpdateModelDeploymentsPatch!) {
  updateModelDeployments(ids: $ids, patch: $patch, dryRun: true) { __typename ... on UpdateModelDeploymentsPayload { planId summary { changed } } }
}`;
const APPLY = `mutation($planId: ID!) { applyModelDeploymentPlan(planId: $planId) { __typename ... on Error { code } ... on UpdateModelDeploymentsPayload { summary { changed } } } }`;

const reads = (stack: Stack) => stack.sims.northflank!.server.calls.filter((c) => c.method === 'GET').length;
const subscribers = (stack: Stack) => subscriptionStats(stack.gateway.runtime.hub!).subscribers;

describe('two gateways in one process', () => {
  let a: Stack;
  let b: Stack;
  beforeAll(async () => {
    // Each gateway on its own manual clock, polling only when told: every event here comes from a mutation.
    const [clockA, clockB] = [createManualClock(), createManualClock()];
    a = await startStack({ vendors: ['northflank'], clock: clockA, statusClock: clockA, config: { status: { pollIntervalMs: INTERVAL } } });
    b = await startStack({ vendors: ['northflank'], clock: clockB, statusClock: clockB, config: { status: { pollIntervalMs: INTERVAL } } });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('never see each other’s subscriptions: the same operation on both gets only its own gateway’s events', async () => {
    // The same document, variables and (anonymous) caller on both gateways, over both transports:
    // the case a process-wide shared execution would merge.
    const sentFrom = { a: subscriptionEventsSent(a.gateway.runtime.hub!), b: subscriptionEventsSent(b.gateway.runtime.hub!) };
    const subs: Array<{ on: 'a' | 'b'; c: Collector }> = [
      { on: 'a', c: sse(a.url, SUB, { ids: [ID] }) },
      { on: 'b', c: sse(b.url, SUB, { ids: [ID] }) },
      { on: 'a', c: ws(a.url, SUB, { ids: [ID] }) },
      { on: 'b', c: ws(b.url, SUB, { ids: [ID] }) },
    ];
    try {
      await until('two subscribers on each gateway', () => subscribers(a) === 2 && subscribers(b) === 2);
      expect(dataOf(await a.gql(RENAME, { id: ID, name: 'renamed on A' })).updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
      for (const s of subs.filter((x) => x.on === 'a')) await s.c.waitFor((ev) => ev.some((e) => e.deployment?.name === 'renamed on A'));
      expect(dataOf(await b.gql(RENAME, { id: ID, name: 'renamed on B' })).updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
      for (const s of subs.filter((x) => x.on === 'b')) await s.c.waitFor((ev) => ev.some((e) => e.deployment?.name === 'renamed on B'));

      // Every event each gateway sent is in its own subscribers' collectors: one sent twice is there to be counted.
      for (const [on, stack] of [['a', a], ['b', b]] as const) await allArrived(stack.gateway.runtime.hub!, sentFrom[on], subs.filter((x) => x.on === on).map((x) => x.c));
      const names = (c: Collector) => c.events.map((e) => e.deployment?.name);
      for (const s of subs) expect({ on: s.on, names: names(s.c) }).toEqual({ on: s.on, names: [`renamed on ${s.on.toUpperCase()}`] });
    } finally {
      subs.forEach((s) => s.c.stop());
    }
  }, 60_000);

  it('never see each other’s plans', async () => {
    const plan = dataOf(await a.gql(PLAN, { ids: [ID], patch: { description: 'planned on A' } })).updateModelDeployments;
    expect(plan).toMatchObject({ __typename: 'UpdateModelDeploymentsPayload', summary: { changed: 1 } });
    expect(dataOf(await b.gql(`query($id: ID!) { modelDeploymentPlan(id: $id) { id } }`, { id: plan.planId })).modelDeploymentPlan).toBeNull();
    const writesOnB = () => b.sims.northflank!.server.calls.filter((c) => c.method !== 'GET').length;
    const before = writesOnB();
    expect(dataOf(await b.gql(APPLY, { planId: plan.planId })).applyModelDeploymentPlan).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect(writesOnB()).toBe(before);
    // A's plan is still A's to apply.
    expect(dataOf(await a.gql(APPLY, { planId: plan.planId })).applyModelDeploymentPlan).toMatchObject({ __typename: 'UpdateModelDeploymentsPayload', summary: { changed: 1 } });
  });

  it('never share a DataLoader: the same id asked of both at once is read from each gateway’s own backend', async () => {
    await a.gql(RENAME, { id: ID, name: 'loaded on A' });
    await b.gql(RENAME, { id: ID, name: 'loaded on B' });
    const [ra, rb] = [reads(a), reads(b)];
    const q = `query($id: ID!) { modelDeployment(id: $id) { id name } }`;
    const [x, y] = await Promise.all([a.gql(q, { id: ID }), b.gql(q, { id: ID })]);
    expect(dataOf(x).modelDeployment.name).toBe('loaded on A');
    expect(dataOf(y).modelDeployment.name).toBe('loaded on B');
    expect(reads(a) - ra).toBeGreaterThanOrEqual(1);
    expect(reads(b) - rb).toBeGreaterThanOrEqual(1);
  });
});

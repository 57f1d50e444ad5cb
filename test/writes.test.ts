/**
 * Writes stay exact under concurrency: expectedVersion is compare-and-set (the version check and
 * the write under one lock per deployment), overlapping plan applies write each item at most
 * once, and every mutation of a document reports its own outcome in `data`.
 */
import { describe, expect, it } from 'vitest';
import { builtInVendors } from '../adapters/index.js';
import { startStack, dataOf, conformanceInput, isPlanned, plannedWrites, until, type Stack } from './helpers.js';
import { createManualClock } from '../src/domain/clock.js';
import { createMemoryWriteLock, DEFAULT_LOCK_WAIT_MS } from '../src/app/write-lock.js';
import { ConflictError } from '../src/domain/errors.js';
import { createLogger } from '../src/logger.js';

/** Every built-in vendor: its conformance update, written by 20 writers at once. */
const VENDORS = builtInVendors.map((m) => m.vendor);

/** Northflank's write of a description, for the tests of one vendor below. */
const NF_WRITE = { method: 'POST', path: '/v1/projects/default-project/llm-model-deployments/deepseek-v3-deployment' };

export const UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) {
    __typename
    ... on Error { code message }
    ... on ConflictError { expectedVersion actualVersion }
    ... on UpstreamError { backend outcome retryable }
    ... on UpdateModelDeploymentSuccess { deployment { id version description } }
  }
}`;
const READ = `query($id: ID!) { modelDeployment(id: $id) { id version description } }`;

const idOf = (_stack: Stack, vendor: string) => conformanceInput(vendor).id as string;
const nfWrites = (stack: Stack) => stack.sims.northflank!.server.calls.filter((c) => c.method === NF_WRITE.method && c.path === NF_WRITE.path).length;

describe('20 concurrent updates with one expectedVersion, per vendor', () => {
  it.each(VENDORS)('%s: exactly 1 success, 19 ConflictError, exactly the planned upstream writes once', async (vendor) => {
    const stack = await startStack({ vendors: [vendor] });
    try {
      const { id, ...input } = conformanceInput(vendor);
      const planned = await plannedWrites(async (q, v) => (await stack.gql(q, v)).body, { id, ...input });
      expect(planned.length).toBeGreaterThan(0);
      const before = dataOf(await stack.gql(READ, { id })).modelDeployment;
      stack.sims[vendor]!.server.resetCalls();
      // Each write takes a while upstream: without the lock, every writer would pass the version check meanwhile.
      for (const w of planned) stack.sims[vendor]!.server.inject({ method: w.method, pathIncludes: w.path.split('?')[0], fault: { kind: 'latency', ms: 40 } });
      const results = await Promise.all(
        Array.from({ length: 20 }, async () => dataOf(await stack.gql(UPDATE, { input: { id, expectedVersion: before.version, ...input } })).updateModelDeployment),
      );
      const wins = results.filter((r) => r.__typename === 'UpdateModelDeploymentSuccess');
      const conflicts = results.filter((r) => r.__typename === 'ConflictError');
      expect(wins).toHaveLength(1);
      expect(conflicts).toHaveLength(19);
      expect(stack.sims[vendor]!.server.calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}${c.query}`)).toEqual(planned.map((w) => `${w.method} ${w.path}`));
      expect(stack.sims[vendor]!.server.calls.filter(isPlanned(planned))).toHaveLength(planned.length);
      // The version moved with the write, and every loser was told what it is now.
      const after = dataOf(await stack.gql(READ, { id })).modelDeployment;
      expect(after.version).not.toBe(before.version);
      expect(wins[0].deployment.version).toBe(after.version);
      for (const c of conflicts) expect(c).toMatchObject({ code: 'CONFLICT', expectedVersion: before.version, actualVersion: after.version });
    } finally {
      await stack.close();
    }
  });
});

describe('a writer that waits too long for the lock', () => {
  it('gets ConflictError and sends nothing, while the write holding the lock completes', async () => {
    const stack = await startStack({ vendors: ['northflank'] });
    try {
      const id = idOf(stack, 'northflank');
      const sim = stack.sims.northflank!.server;
      sim.resetCalls();
      // The holder's write is held upstream until the waiter has its answer.
      let waiterAnswered!: () => void;
      const answered = new Promise<void>((resolve) => (waiterAnswered = resolve));
      sim.inject({ method: 'POST', pathIncludes: NF_WRITE.path, fault: { kind: 'gate', until: () => answered }, times: 1 });
      let holderDone = false;
      const holder = stack.gql(UPDATE, { input: { id, description: 'slow write' } }).finally(() => (holderDone = true));
      await until('the holder\'s write to reach the simulator', () => nfWrites(stack) > 0);
      expect(nfWrites(stack)).toBe(1);
      let waiter: any = null;
      const lockWaitEnds = stack.clock.now() + DEFAULT_LOCK_WAIT_MS;
      const pending = stack.gql(UPDATE, { input: { id, description: 'waits for the lock' } }).then((r) => (waiter = dataOf(r).updateModelDeployment));
      // The wait is bounded on the gateway's clock (30 s by default): its timer is due then.
      await until('the second write to wait for the lock', () => stack.clock.nextTimerAt() === lockWaitEnds || waiter !== null);
      expect(waiter).toBeNull();
      stack.clock.advance(DEFAULT_LOCK_WAIT_MS - 1);
      expect(stack.clock.nextTimerAt()).toBe(lockWaitEnds);
      stack.clock.advance(1);
      await pending;
      expect(holderDone).toBe(false);
      waiterAnswered();
      expect(waiter).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', message: expect.stringContaining('nothing was sent') });
      expect(dataOf(await holder).updateModelDeployment).toMatchObject({ __typename: 'UpdateModelDeploymentSuccess', deployment: { description: 'slow write' } });
      expect(nfWrites(stack)).toBe(1);
    } finally {
      await stack.close();
    }
  });
});

describe('two concurrent applies of overlapping plans', () => {
  it('apply each item at most once: one plan writes it, the other is refused with ConflictError', async () => {
    const stack = await startStack({ vendors: ['northflank', 'zstack'] });
    try {
      const ids = dataOf(await stack.gql(`{ modelDeployments(first: 50) { edges { node { id } } } }`)).modelDeployments.edges.map((e: any) => e.node.id as string);
      const nf = ids.filter((i: string) => i.startsWith('northflank:'));
      const zs = ids.filter((i: string) => i.startsWith('zstack:'));
      expect(nf.length).toBeGreaterThanOrEqual(3);
      expect(zs.length).toBeGreaterThanOrEqual(2);
      const planA = [nf[0], nf[1], nf[2], zs[0], zs[1]];
      const planB = [nf[1], nf[2], zs[0], zs[1], ...(nf[3] ? [nf[3]] : [])];
      const PLAN = `mutation($ids: [ID!], $patch: UpdateModelDeploymentsPatch!) {
        updateModelDeployments(ids: $ids, patch: $patch, dryRun: true) { __typename ... on UpdateModelDeploymentsPayload { planId summary { changed } } }
      }`;
      const a = dataOf(await stack.gql(PLAN, { ids: planA, patch: { addTags: ['from-a'] } })).updateModelDeployments;
      const b = dataOf(await stack.gql(PLAN, { ids: planB, patch: { addTags: ['from-b'] } })).updateModelDeployments;
      expect(a.summary.changed).toBe(planA.length);
      expect(b.summary.changed).toBe(planB.length);
      for (const sim of Object.values(stack.sims)) {
        sim.server.resetCalls();
        sim.server.inject({ method: sim.vendor === 'zstack' ? 'PUT' : 'POST', pathIncludes: sim.vendor === 'zstack' ? '/ai/models/' : '/llm-model-deployments/', fault: { kind: 'latency', ms: 30 } });
      }
      const APPLY = `mutation($planId: ID!) { applyModelDeploymentPlan(planId: $planId) {
        __typename ... on UpdateModelDeploymentsPayload { items { id outcome result { __typename ... on Error { code } } } }
      } }`;
      const [ra, rb] = await Promise.all([stack.gql(APPLY, { planId: a.planId }), stack.gql(APPLY, { planId: b.planId })]);
      const itemsA = dataOf(ra).applyModelDeploymentPlan.items;
      const itemsB = dataOf(rb).applyModelDeploymentPlan.items;
      const outcome = (items: any[], id: string) => items.find((i) => i.id === id);

      // Every deployment was written at most once, whichever plan got there first.
      const writePaths = Object.values(stack.sims).flatMap((s) => s.server.calls.filter((c) => c.method !== 'GET' && !c.path.includes('/accounts/')).map((c) => c.path));
      const perPath = new Map<string, number>();
      for (const p of writePaths) perPath.set(p, (perPath.get(p) ?? 0) + 1);
      expect([...perPath.values()].every((n) => n === 1)).toBe(true);
      expect(writePaths.length).toBe(new Set([...planA, ...planB]).size);

      for (const id of planA.filter((i) => planB.includes(i))) {
        const pair = [outcome(itemsA, id), outcome(itemsB, id)];
        expect(pair.filter((x) => x.outcome === 'CHANGED')).toHaveLength(1);
        expect(pair.find((x) => x.outcome === 'FAILED')).toMatchObject({ result: { __typename: 'ConflictError', code: 'CONFLICT' } });
      }
      for (const id of planA.filter((i) => !planB.includes(i))) expect(outcome(itemsA, id).outcome).toBe('CHANGED');
      for (const id of planB.filter((i) => !planA.includes(i))) expect(outcome(itemsB, id).outcome).toBe('CHANGED');
    } finally {
      await stack.close();
    }
  });
});

describe('several mutations in one document', () => {
  it('first forbidden, second allowed: both outcomes in data, the second applied exactly once', async () => {
    const key = 'northflank-only-key-0123456789';
    const stack = await startStack({
      vendors: ['northflank', 'zstack'],
      config: { auth: { apiKeys: [{ name: 'nf-writer', key, scopes: ['read', 'write'], backends: ['northflank'] }] } },
    });
    try {
      const nf = idOf(stack, 'northflank');
      const zs = idOf(stack, 'zstack');
      for (const sim of Object.values(stack.sims)) sim.server.resetCalls();
      const DOC = `mutation($zs: UpdateModelDeploymentInput!, $nf: UpdateModelDeploymentInput!) {
        first: updateModelDeployment(input: $zs) { __typename ... on Error { code message } ... on ForbiddenError { backend } }
        second: updateModelDeployment(input: $nf) { __typename ... on UpdateModelDeploymentSuccess { deployment { id description } } }
      }`;
      const r = await stack.gql(DOC, { zs: { id: zs, description: 'not allowed' }, nf: { id: nf, description: 'allowed' } }, { token: key });
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data).toEqual({
        first: { __typename: 'ForbiddenError', code: 'FORBIDDEN', message: 'API key nf-writer may not use backend zstack', backend: 'zstack' },
        second: { __typename: 'UpdateModelDeploymentSuccess', deployment: { id: nf, description: 'allowed' } },
      });
      expect(nfWrites(stack)).toBe(1);
      expect(stack.sims.zstack!.server.calls.filter((c) => c.method === 'PUT' && c.path.includes('/ai/models/'))).toHaveLength(0);

      // The other order, and a key without the write scope: each field still reports its own outcome.
      const ORDERED = `mutation($a: UpdateModelDeploymentInput!, $b: UpdateModelDeploymentInput!) {
        a: updateModelDeployment(input: $a) { __typename ... on Error { code } }
        b: updateModelDeployment(input: $b) { __typename ... on Error { code } }
      }`;
      const swapped = await stack.gql(ORDERED, { a: { id: nf, description: 'allowed again' }, b: { id: zs, description: 'not allowed' } }, { token: key });
      expect(swapped.body).toEqual({ data: { a: { __typename: 'UpdateModelDeploymentSuccess' }, b: { __typename: 'ForbiddenError', code: 'FORBIDDEN' } } });
      expect(nfWrites(stack)).toBe(2);
    } finally {
      await stack.close();
    }
  });

  it('a read-only key gets ForbiddenError in every mutation result union, not a top-level error', async () => {
    const key = 'read-only-key-0123456789abc';
    const stack = await startStack({ vendors: ['northflank'], config: { auth: { apiKeys: [{ name: 'reader', key, scopes: ['read'] }] } } });
    try {
      const r = await stack.gql(
        `mutation($id: ID!) {
          one: updateModelDeployment(input: { id: $id, description: "x" }) { __typename ... on ForbiddenError { code scope } }
          many: updateModelDeployments(ids: [$id], patch: { description: "x" }) { __typename ... on ForbiddenError { code scope } }
          plan: applyModelDeploymentPlan(planId: "plan_nothing") { __typename ... on ForbiddenError { code scope } }
        }`,
        { id: idOf(stack, 'northflank') },
        { token: key },
      );
      const forbidden = { __typename: 'ForbiddenError', code: 'FORBIDDEN', scope: 'write' };
      expect(r.body).toEqual({ data: { one: forbidden, many: forbidden, plan: forbidden } });
      expect(stack.sims.northflank!.server.calls.filter((c) => c.method !== 'GET')).toHaveLength(0);
    } finally {
      await stack.close();
    }
  });
});

describe('the in-memory write lock', () => {
  const logger = createLogger('silent');

  it('serializes holders of one key in arrival order; other keys do not wait', async () => {
    const clock = createManualClock();
    const lock = createMemoryWriteLock({ clock, logger });
    const order: string[] = [];
    let release!: () => void;
    const first = lock.run('k', () => new Promise<void>((r) => (release = () => (order.push('first'), r()))));
    const second = lock.run('k', async () => void order.push('second'));
    const third = lock.run('k', async () => void order.push('third'));
    await lock.run('other', async () => void order.push('other'));
    expect(order).toEqual(['other']);
    release();
    await Promise.all([first, second, third]);
    expect(order).toEqual(['other', 'first', 'second', 'third']);
  });

  it('a waiter that outwaits the bound gets ConflictError and never runs; the holder goes on', async () => {
    const clock = createManualClock();
    const lock = createMemoryWriteLock({ clock, logger, waitMs: 1000 });
    let release!: () => void;
    const holder = lock.run('dep', () => new Promise<string>((r) => (release = () => r('held'))));
    let ran = false;
    const waiter = lock.run('dep', async () => {
      ran = true;
    });
    const failed = waiter.then(
      () => null,
      (e) => e,
    );
    clock.advance(999);
    await Promise.resolve();
    expect(ran).toBe(false);
    clock.advance(1);
    const err = await failed;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toMatch(/Another write to dep has been in progress for more than 1000 ms; nothing was sent/);
    release();
    expect(await holder).toBe('held');
    expect(ran).toBe(false);
    // The lock is free again.
    expect(await lock.run('dep', async () => 'next')).toBe('next');
  });
});

/** updateModelDeployments and applyModelDeploymentPlan: many deployments, one patch, a plan that is applied exactly. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { freePort, startRedisServer } from './redis-server.js';
import { z } from 'zod';
import { startStack, dataOf, until, type Stack } from './helpers.js';
import { defineAdapter, type AdapterInstance } from '../src/domain/adapter.js';
import type { ModelDeployment } from '../src/domain/deployment.js';
import { ConflictError, NotFoundError } from '../src/domain/errors.js';
import { parseSegments } from '../src/domain/ids.js';
import type { UpdatePatch } from '../src/domain/patch.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { parseConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server/index.js';
import { createLogger } from '../src/logger.js';
import { closePlans } from '../src/plans.js';
import { redisServer, requireService } from './services.js';

const RESULT = `
  __typename
  ... on Error { code message }
  ... on UpdateModelDeploymentsPayload {
    dryRun planId expiresAt
    summary { matched changed unchanged failed }
    failures { backend code }
    items {
      id outcome
      result {
        __typename
        ... on Error { code message }
        ... on UnsupportedFieldError { field vendor }
        ... on ConflictError { expectedVersion actualVersion }
        ... on UpstreamError { backend outcome }
        ... on ValidationError { issues { path rule } }
        ... on UpdateModelDeploymentSuccess { dryRun deployment { id version tags description name } changes { field before after } requests { method path body } }
      }
    }
  }`;

const BULK = `mutation($where: ModelDeploymentFilter, $ids: [ID!], $patch: UpdateModelDeploymentsPatch!, $dryRun: Boolean, $concurrency: Int) {
  updateModelDeployments(where: $where, ids: $ids, patch: $patch, dryRun: $dryRun, concurrency: $concurrency) { ${RESULT} }
}`;
const APPLY = `mutation($planId: ID!) { applyModelDeploymentPlan(planId: $planId) { ${RESULT} } }`;

async function bulk(stack: Stack, vars: Record<string, unknown>, token?: string) {
  return dataOf(await stack.gql(BULK, vars, { token })).updateModelDeployments;
}
async function apply(stack: Stack, planId: string, token?: string) {
  return dataOf(await stack.gql(APPLY, { planId }, { token })).applyModelDeploymentPlan;
}
async function get(stack: Stack, id: string) {
  return dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id name description tags version } }`, { id })).modelDeployment;
}

/** Where each simulator's call record stands now. */
const mark = (stack: Stack) => Object.fromEntries(Object.entries(stack.sims).map(([id, s]) => [id, s.server.calls.length]));
/** Calls that could change something upstream, made since `since` (every call when omitted). */
const writes = (stack: Stack, since: Record<string, number> = {}) =>
  Object.entries(stack.sims).flatMap(([id, s]) => s.server.calls.slice(since[id] ?? 0).filter((c) => c.method !== 'GET'));
const outcomes = (p: any) => Object.fromEntries(p.items.map((i: any) => [i.id, i.outcome]));
const expectSummaryMatches = (p: any) => {
  const count = (o: string) => p.items.filter((i: any) => i.outcome === o).length;
  expect(p.summary).toEqual({ matched: p.items.length, changed: count('CHANGED'), unchanged: count('UNCHANGED'), failed: count('FAILED') });
};

describe('a bulk update over every vendor', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('changes what each vendor accepts, reports what one refuses, and the summary counts match', async () => {
    const where = { search: 'llama', statuses: ['READY'] };
    const matched = dataOf(await stack.gql(`query($f: ModelDeploymentFilter) { modelDeployments(filter: $f) { edges { node { id vendor } } } }`, { f: where })).modelDeployments.edges.map((e: any) => e.node);
    expect(new Set(matched.map((d: any) => d.vendor))).toEqual(new Set(['northflank', 'nemo', 'zstack']));
    const nemoWrites = stack.sims.nemo!.server.count('POST');

    const r = await bulk(stack, { where, patch: { description: 'Serving llama', addTags: ['bulk'] } });
    expect(r.__typename).toBe('UpdateModelDeploymentsPayload');
    expect(r.dryRun).toBe(false);
    expect(r.planId).toBeNull();
    expect(r.items.map((i: any) => i.id)).toEqual(matched.map((d: any) => d.id));
    for (const item of r.items) {
      if (item.id.startsWith('nemo:')) {
        expect(item).toMatchObject({ outcome: 'FAILED', result: { __typename: 'UnsupportedFieldError', code: 'UNSUPPORTED_FIELD', vendor: 'nemo', field: 'description' } });
      } else {
        expect(item.outcome, JSON.stringify(item)).toBe('CHANGED');
        expect(item.result.deployment).toMatchObject({ description: 'Serving llama' });
        expect(item.result.deployment.tags).toContain('bulk');
        expect(await get(stack, item.id)).toMatchObject({ description: 'Serving llama' });
      }
    }
    expectSummaryMatches(r);
    expect(r.summary.failed).toBe(matched.filter((d: any) => d.vendor === 'nemo').length);
    expect(stack.sims.nemo!.server.count('POST')).toBe(nemoWrites);
    // The tags were added to each deployment's own list, not replaced by one list for all.
    expect((await get(stack, 'northflank:default-project/llama-3-1-70b-instruct')).tags).toEqual(['llm', 'llama', 'production', 'bulk']);
  });

  it('leaves out what would not change: a second run is all UNCHANGED and sends nothing', async () => {
    const before = mark(stack);
    const r = await bulk(stack, { where: { vendors: ['northflank', 'zstack'], search: 'llama', statuses: ['READY'] }, patch: { description: 'Serving llama', addTags: ['bulk'] } });
    expect(r.items.length).toBeGreaterThan(0);
    expect(r.items.every((i: any) => i.outcome === 'UNCHANGED' && i.result.requests.length === 0)).toBe(true);
    expectSummaryMatches(r);
    expect(writes(stack, before)).toEqual([]);
  });

  it('reports a malformed or unknown id as its own item and goes on with the others', async () => {
    const r = await bulk(stack, { ids: ['northflank:default-project/gemma-2-9b-it', 'northflank:../x', 'nemo:prod-inference/absent'], patch: { addTags: ['ids'] } });
    expect(r.items.map((i: any) => [i.id, i.outcome, i.result.__typename])).toEqual([
      ['northflank:default-project/gemma-2-9b-it', 'CHANGED', 'UpdateModelDeploymentSuccess'],
      ['northflank:../x', 'FAILED', 'ValidationError'],
      ['nemo:prod-inference/absent', 'FAILED', 'NotFoundError'],
    ]);
    expect(r.items[1].result.issues).toEqual([{ path: ['ids.1'], rule: 'id_format' }]);
    expectSummaryMatches(r);
  });

  it.each([
    ['no selection', { patch: { name: 'x' } }, ['where'], 'required'],
    ['an empty patch', { ids: ['nemo:a/b'], patch: {} }, ['patch'], 'required'],
    ['tags with addTags', { ids: ['nemo:a/b'], patch: { tags: ['a'], addTags: ['b'] } }, ['patch', 'tags'], 'conflict'],
    ['a tag added and removed', { ids: ['nemo:a/b'], patch: { addTags: ['b'], removeTags: ['b'] } }, ['patch', 'removeTags'], 'conflict'],
    ['concurrency 0', { ids: ['nemo:a/b'], patch: { name: 'x' }, concurrency: 0 }, ['concurrency'], 'max'],
    ['an explicit null (no vendor clears by null)', { ids: ['nemo:a/b'], patch: { description: null, addTags: ['b'] } }, ['patch', 'description'], 'not_null'],
  ])('refuses %s with a ValidationError before any call', async (_why, vars, path, rule) => {
    const before = Object.values(stack.sims).reduce((n, s) => n + s.server.calls.length, 0);
    const r = dataOf(await stack.gql(`mutation($where: ModelDeploymentFilter, $ids: [ID!], $patch: UpdateModelDeploymentsPatch!, $concurrency: Int) {
      updateModelDeployments(where: $where, ids: $ids, patch: $patch, concurrency: $concurrency) { __typename ... on ValidationError { issues { path rule } } } }`, vars)).updateModelDeployments;
    expect(r).toEqual({ __typename: 'ValidationError', issues: [{ path, rule }] });
    expect(Object.values(stack.sims).reduce((n, s) => n + s.server.calls.length, 0)).toBe(before);
  });

  it('returns each item\u2019s result as the very union of updateModelDeployment', async () => {
    const t = dataOf(await stack.gql(`{ __type(name: "ModelDeploymentUpdateItem") { fields { name type { ofType { name kind } } } } }`)).__type;
    expect(t.fields.find((f: any) => f.name === 'result').type.ofType).toEqual({ name: 'UpdateModelDeploymentResult', kind: 'UNION' });
  });

  it('waits out a 429 Retry-After instead of failing the item', async () => {
    const sim = stack.sims.northflank!;
    sim.server.inject({ fault: { kind: 'rate-limit', retryAfterSeconds: 1 }, method: 'POST', times: 1 });
    const before = sim.server.calls.length;
    const posts = () => sim.server.calls.slice(before).filter((c) => c.method === 'POST');
    let result: any = null;
    const pending = bulk(stack, { where: { vendors: ['northflank'], tags: ['qwen'] }, patch: { addTags: ['rate'] }, concurrency: 1 }).then((r) => (result = r));
    await until('the first write to be answered', () => posts().some((c) => c.status !== 0));
    expect(posts().map((c) => c.status)).toEqual([429]);
    // The wait is on the gateway's clock: a timer of it, due a second from now, is all that stands
    // between the 429 and the next call, so nothing is sent again until a second of it has passed.
    const retryAt = stack.clock.now() + 1000;
    await until('the wait of the Retry-After on the gateway\'s clock', () => stack.clock.nextTimerAt() === retryAt || result !== null);
    expect(result).toBeNull();
    stack.clock.advance(900);
    expect(stack.clock.nextTimerAt()).toBe(retryAt);
    expect(posts()).toHaveLength(1);
    expect(result).toBeNull();
    stack.clock.advance(100);
    const r = await pending;
    expect(r.items.length).toBe(2);
    expect(r.items.every((i: any) => i.outcome === 'CHANGED')).toBe(true);
    expect(posts().map((c) => c.status)).toEqual([429, 200, 200]);
  });
});

describe('plan, then apply', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    // ZStack logs in (a PUT) on first use; after that, reads are GETs only.
    dataOf(await stack.gql(`{ modelDeployments { totalCount } }`));
  });
  afterAll(() => stack?.close());

  it('a dry run sends nothing; applying sends exactly the planned requests, once', async () => {
    const before = mark(stack);
    const ids = ['northflank:default-project/deepseek-v3-deployment', 'zstack:1bb3ef7d600d4d30b21b8ffd299c37b5', 'nemo:prod-inference/nv-embedqa-e5-v5', 'northflank:ml-research/llama-3-1-8b-instruct'];
    const plan = await bulk(stack, { ids, patch: { removeTags: ['llm'], addTags: ['planned'] }, dryRun: true });
    expect(writes(stack, before)).toEqual([]);
    expect(plan).toMatchObject({ dryRun: true, planId: expect.stringMatching(/^plan_/), summary: { matched: 4, changed: 3, unchanged: 0, failed: 1 } });
    expect(Date.parse(plan.expiresAt) - stack.clock.now()).toBe(15 * 60_000);
    const deepseek = plan.items[0];
    expect(deepseek.result).toMatchObject({
      dryRun: true,
      deployment: { version: '2025-12-18T16:40:02.000Z', tags: ['llm', 'deepseek', 'production'] },
      changes: [{ field: 'tags', before: ['llm', 'deepseek', 'production'], after: ['deepseek', 'production', 'planned'] }],
      requests: [{ method: 'POST', path: '/v1/projects/default-project/llm-model-deployments/deepseek-v3-deployment', body: { tags: ['deepseek', 'production', 'planned'] } }],
    });
    expect(plan.items[2]).toMatchObject({ id: 'nemo:prod-inference/nv-embedqa-e5-v5', outcome: 'FAILED', result: { __typename: 'UnsupportedFieldError' } });

    const shown = dataOf(await stack.gql(`query($id: ID!) { modelDeploymentPlan(id: $id) { state done summary { changed } items { id outcome version requests { method path body } } } }`, { id: plan.planId })).modelDeploymentPlan;
    expect(shown).toMatchObject({ state: 'PLANNED', done: 0, summary: { changed: 3 } });
    expect(shown.items.map((i: any) => i.requests)).toEqual(plan.items.map((i: any) => i.result.requests ?? []));

    const applied = await apply(stack, plan.planId);
    expect(outcomes(applied)).toEqual(outcomes(plan));
    expectSummaryMatches(applied);
    const planned = plan.items.flatMap((i: any) => i.result.requests ?? []).map((r: any) => [r.method, r.path, r.body]);
    const sent = writes(stack, before).map((c) => [c.method, c.path + c.query, c.body]);
    expect(sent.sort()).toEqual(planned.sort());
    for (const item of plan.items.filter((i: any) => i.outcome === 'CHANGED')) {
      expect((await get(stack, item.id)).tags).toEqual(item.result.changes.find((c: any) => c.field.endsWith('ags')).after);
    }
    expect(dataOf(await stack.gql(`query($id: ID!) { modelDeploymentPlan(id: $id) { state done } }`, { id: plan.planId })).modelDeploymentPlan).toEqual({ state: 'APPLIED', done: 4 });

    const again = await apply(stack, plan.planId);
    expect(again).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    expect(writes(stack, before)).toHaveLength(planned.length);
  });

  it('refuses with ConflictError a deployment another writer changed, and leaves it as they set it', async () => {
    const nf = 'northflank:default-project/gemma-2-9b-it';
    const zs = 'zstack:9b8a7c6d5e4f43a2b1c0d9e8f7a6b5c4';
    const other = 'northflank:default-project/mistral-7b-instruct';
    const plan = await bulk(stack, { ids: [nf, zs, other], patch: { description: 'Planned text' }, dryRun: true });
    expect(plan.summary).toEqual({ matched: 3, changed: 3, unchanged: 0, failed: 0 });
    const zsVersion = plan.items[1].result.deployment.version;

    stack.clock.advance(1000);
    const setBy = (id: string, description: string) =>
      stack.gql(`mutation($id: ID!, $d: String) { updateModelDeployment(input: {id: $id, description: $d}) { __typename } }`, { id, d: description });
    expect(dataOf(await setBy(nf, 'Set by the other writer')).updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
    expect(dataOf(await setBy(zs, 'Set by the other writer')).updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
    // ZStack's version moves with any change the model shows (a digest of its inventory).
    expect((await get(stack, zs)).version).not.toBe(zsVersion);

    const before = mark(stack);
    const applied = await apply(stack, plan.planId);
    expect(outcomes(applied)).toEqual({ [nf]: 'FAILED', [zs]: 'FAILED', [other]: 'CHANGED' });
    expect(applied.items[0].result).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', expectedVersion: plan.items[0].result.deployment.version });
    expect(applied.items[0].result.actualVersion).not.toBe(applied.items[0].result.expectedVersion);
    expect(applied.items[1].result).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', expectedVersion: zsVersion });
    expect((await get(stack, nf)).description).toBe('Set by the other writer');
    expect((await get(stack, zs)).description).toBe('Set by the other writer');
    expect((await get(stack, other)).description).toBe('Planned text');
    expect(writes(stack, before).map((c) => c.path)).toEqual(['/v1/projects/default-project/llm-model-deployments/mistral-7b-instruct']);
  });

  it('refuses an item the plan found unchanged when another writer moved it since', async () => {
    const nf = 'northflank:default-project/gemma-2-9b-it';
    const current = await get(stack, nf);
    const plan = await bulk(stack, { ids: [nf], patch: { description: current.description }, dryRun: true });
    expect(plan.summary).toEqual({ matched: 1, changed: 0, unchanged: 1, failed: 0 });
    stack.clock.advance(1000);
    const moved = await stack.gql(`mutation($id: ID!) { updateModelDeployment(input: {id: $id, description: "Moved by another writer"}) { __typename } }`, { id: nf });
    expect(dataOf(moved).updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
    const before = mark(stack);
    const applied = await apply(stack, plan.planId);
    expect(outcomes(applied)).toEqual({ [nf]: 'FAILED' });
    expect(applied.items[0].result).toMatchObject({ __typename: 'ConflictError', message: expect.stringContaining('changed since the plan was made') });
    expect((await get(stack, nf)).description).toBe('Moved by another writer');
    expect(writes(stack, before)).toEqual([]);
  });

  it('refuses an unknown plan, and a plan past its expiry', async () => {
    expect(await apply(stack, 'plan_nope')).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const plan = await bulk(stack, { ids: ['northflank:default-project/qwen2-5-7b-instruct'], patch: { addTags: ['late'] }, dryRun: true });
    stack.clock.advance(15 * 60_000 + 1);
    const before = mark(stack);
    expect(await apply(stack, plan.planId)).toMatchObject({ __typename: 'NotFoundError', message: expect.stringContaining('expire') });
    expect(writes(stack, before)).toEqual([]);
  });
});

// --- an instrumented in-memory vendor: concurrency, unexpected failures, plan ownership ----------

interface MemItem {
  id: string;
  title: string;
  labels: string[];
  rev: number;
}

interface MemStats {
  inFlight: Map<string, number>;
  peak: Map<string, number>;
  total: number;
  totalPeak: number;
  /** Writes finished, per backend. */
  done: Map<string, number>;
  /**
   * While set, a write is held until every backend of the batch has as many writes in flight as
   * it may (`limit`, or fewer when fewer of its `items` are left): the peaks are then exactly what
   * the bulk update lets run at once, not what a pause happened to let overlap.
   */
  batch?: { limit: number; items: Record<string, number> };
}

function createMemAdapter(stats: MemStats) {
  const KEY = [{ name: 'item', pattern: /^[a-z0-9-]+$/, maxLength: 40 }];
  return defineAdapter({
    vendor: 'mem',
    configSchema: z.object({ id: z.string(), vendor: z.literal('mem'), baseUrl: z.string() }),
    capabilities: { updatableFields: ['name', 'tags'], batchGet: false, listFilters: [] },
    create(_config, ctx): AdapterInstance<string> {
      const backend = ctx.backendId;
      const items = new Map<string, MemItem>(
        [...Array.from({ length: 12 }, (_, i) => `item-${String(i).padStart(2, '0')}`), 'boom'].map((id) => [id, { id, title: id, labels: [], rev: 1 }]),
      );
      const to = (it: MemItem): ModelDeployment<MemItem> => ({
        id: `${backend}:${it.id}`,
        backend,
        vendor: 'mem',
        nativeId: it.id,
        name: it.title,
        description: null,
        tags: [...it.labels],
        status: 'READY',
        vendorStatus: null,
        statusMessage: null,
        version: String(it.rev),
        createdAt: null,
        updatedAt: null,
        model: null,
        resources: null,
        raw: { ...it, labels: [...it.labels] },
      });
      const get = async (k: string) => {
        const it = items.get(k);
        if (!it) throw new NotFoundError(`${backend}:${k}`, backend);
        return to(it);
      };
      const plan = async (k: string, patch: UpdatePatch) => {
        const current = await get(k);
        const body: Partial<MemItem> = { ...(patch.name !== undefined ? { title: patch.name } : {}), ...(patch.tags ? { labels: patch.tags } : {}) };
        const changes = Object.entries(body).map(([field, after]) => ({ field, before: (current.raw as unknown as Record<string, unknown>)[field], after }));
        return { current, changes, requests: [{ method: 'PATCH', path: `/items/${k}`, body }], body };
      };
      return {
        parseKey: (k) => parseSegments(k, KEY)[0]!,
        formatKey: (k) => k,
        getMany: (keys) => Promise.all(keys.map((k) => get(k).catch((e: Error) => e))),
        list: async () => [...items.values()].map(to),
        planUpdate: async (k, patch) => {
          const { body: _b, ...p } = await plan(k, patch);
          return p;
        },
        async update(k, patch, opts) {
          const { body, ...p } = await plan(k, patch);
          if (opts?.expectedVersion !== undefined && opts.expectedVersion !== p.current.version) throw new ConflictError(p.current.id, opts.expectedVersion, p.current.version);
          stats.inFlight.set(backend, (stats.inFlight.get(backend) ?? 0) + 1);
          stats.total += 1;
          stats.peak.set(backend, Math.max(stats.peak.get(backend) ?? 0, stats.inFlight.get(backend)!));
          stats.totalPeak = Math.max(stats.totalPeak, stats.total);
          try {
            const batch = stats.batch;
            if (batch) {
              const full = () => Object.entries(batch.items).every(([b, n]) => (stats.inFlight.get(b) ?? 0) >= Math.min(batch.limit, n - (stats.done.get(b) ?? 0)));
              await until(`as many writes in flight as may be (${JSON.stringify(Object.fromEntries(stats.inFlight))} now, done ${JSON.stringify(Object.fromEntries(stats.done))})`, full);
            }
            if (k === 'boom') throw new TypeError('secret internal detail');
            Object.assign(items.get(k)!, body, { rev: items.get(k)!.rev + 1 });
          } finally {
            stats.inFlight.set(backend, stats.inFlight.get(backend)! - 1);
            stats.total -= 1;
            stats.done.set(backend, (stats.done.get(backend) ?? 0) + 1);
          }
          return { deployment: await get(k), requests: p.requests, changes: p.changes };
        },
        health: async () => ({ ok: true, message: null, latencyMs: 0 }),
      };
    },
  });
}

const memSim = () =>
  ({ vendor: 'mem', url: 'http://127.0.0.1:9', backendConfig: { vendor: 'mem', baseUrl: 'http://127.0.0.1:9' }, server: null, close: async () => {} }) as never;

describe('bulk updates on an instrumented vendor', () => {
  let stack: Stack;
  const stats: MemStats = { inFlight: new Map(), peak: new Map(), total: 0, totalPeak: 0, done: new Map() };
  /** Runs a bulk update whose writes are held until as many are in flight as may be (`MemStats.batch`). */
  async function batched<T>(batch: NonNullable<MemStats['batch']>, run: () => Promise<T>): Promise<T> {
    stats.done.clear();
    stats.batch = batch;
    try {
      return await run();
    } finally {
      stats.batch = undefined;
    }
  }
  const ops = 'ops-key-0123456789abcdef';
  const other = 'other-key-0123456789abcdef';
  beforeAll(async () => {
    stack = await startStack({
      vendors: [],
      extraSims: { 'mem-a': memSim(), 'mem-b': memSim() },
      adapters: [createMemAdapter(stats)],
      config: { auth: { apiKeys: [{ name: 'ops', key: ops, scopes: ['read', 'write'] }, { name: 'other', key: other, scopes: ['read', 'write'] }] } },
    });
  });
  afterAll(() => stack?.close());

  it('keeps at most `concurrency` writes in flight per backend, backends side by side; one failing item stops no other', async () => {
    // 13 items on each backend ('boom' among them): 3 at once on each.
    const r = await batched({ limit: 3, items: { 'mem-a': 13, 'mem-b': 13 } }, () => bulk(stack, { where: { vendors: ['mem'] }, patch: { addTags: ['c'] }, concurrency: 3 }, ops));
    expect(r.summary).toEqual({ matched: 26, changed: 24, unchanged: 0, failed: 2 });
    expect(Object.fromEntries(stats.peak)).toEqual({ 'mem-a': 3, 'mem-b': 3 });
    expect(stats.totalPeak).toBeGreaterThan(3);
    const boom = r.items.find((i: any) => i.id === 'mem-a:boom');
    expect(boom).toMatchObject({ outcome: 'FAILED', result: { __typename: 'UpstreamError', outcome: 'UNKNOWN' } });
    expect(JSON.stringify(r)).not.toContain('secret internal detail');

    stats.peak.clear();
    await batched({ limit: 4, items: { 'mem-b': 13 } }, () => bulk(stack, { where: { backends: ['mem-b'] }, patch: { addTags: ['d'] } }, ops));
    expect(Object.fromEntries(stats.peak)).toEqual({ 'mem-b': 4 });
  });

  it('a plan belongs to the key that made it', async () => {
    const plan = await bulk(stack, { ids: ['mem-a:item-01'], patch: { name: 'renamed' }, dryRun: true }, ops);
    const asOther = dataOf(await stack.gql(`query($id: ID!) { modelDeploymentPlan(id: $id) { id } }`, { id: plan.planId }, { token: other }));
    expect(asOther.modelDeploymentPlan).toBeNull();
    expect(await apply(stack, plan.planId, other)).toMatchObject({ __typename: 'NotFoundError' });
    const applied = await apply(stack, plan.planId, ops);
    expect(applied.items[0]).toMatchObject({ outcome: 'CHANGED', result: { deployment: { name: 'renamed' } } });
  });
});

// --- plans shared through Redis --------------------------------------------------------------

const hasRedis = requireService(redisServer, 'the Redis plan-store tests');


describe.skipIf(!hasRedis)('plans in Redis', () => {
  let redis: ChildProcess;
  let stack: Stack;
  let second: RunningServer;
  let secondRuntime: Gateway['runtime'];

  beforeAll(async () => {
    const port = await freePort();
    redis = await startRedisServer(port);
    const url = `redis://127.0.0.1:${port}`;
    stack = await startStack({ vendors: ['northflank'], config: { pubsub: { redis: url } } });
    // A second gateway instance over the same vendor and the same Redis.
    const config = parseConfig({ server: { port: 0 }, logging: { level: 'silent' }, pubsub: { redis: url }, backends: [{ id: 'northflank', ...stack.sims.northflank!.backendConfig }] });
    const gateway = await createGateway(config, { clock: stack.clock, logger: createLogger('silent') });
    secondRuntime = gateway.runtime;
    second = await startServer(gateway, { port: 0 });
  });
  afterAll(async () => {
    if (second) {
      await closePlans(secondRuntime);
      await second.close();
    }
    if (stack) {
      await closePlans(stack.gateway.runtime);
      await stack.close();
    }
    redis?.kill();
  });

  it('a plan made through one instance is applied through another, once', async () => {
    const plan = await bulk(stack, { ids: ['northflank:default-project/gemma-2-9b-it'], patch: { addTags: ['shared'] }, dryRun: true });
    const res = await fetch(second.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: APPLY, variables: { planId: plan.planId } }) });
    const applied = ((await res.json()) as any).data.applyModelDeploymentPlan;
    expect(applied).toMatchObject({ __typename: 'UpdateModelDeploymentsPayload', summary: { changed: 1 } });
    expect((await get(stack, 'northflank:default-project/gemma-2-9b-it')).tags).toContain('shared');
    expect(await apply(stack, plan.planId)).toMatchObject({ __typename: 'ConflictError' });
  });
});

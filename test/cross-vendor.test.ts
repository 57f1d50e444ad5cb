/** One query across every vendor: each item typed by its vendor, filters and pagination across backends. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, dataOf, type Stack } from './helpers.js';

const TYPE = { northflank: 'NorthflankModelDeployment', nemo: 'NemoModelDeployment', zstack: 'ZStackModel' } as const;

describe('a list across Northflank, NeMo and ZStack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('sends the request id on to every vendor, for reads and writes', async () => {
    const marks = Object.fromEntries(Object.entries(stack.sims).map(([id, s]) => [id, s.server.calls.length]));
    const headers = { 'x-request-id': 'trace-4f2a' };
    dataOf(await stack.gql(`{ modelDeployments(first: 500) { edges { node { id tags } } } }`, {}, { headers }));
    const write = `mutation($id: ID!, $ws: String) { updateModelDeployment(input: {id: $id, description: $ws}) { __typename } }`;
    for (const id of ['northflank:default-project/deepseek-v3-deployment', 'zstack:1bb3ef7d600d4d30b21b8ffd299c37b5']) {
      expect(dataOf(await stack.gql(write, { id, ws: 'traced' }, { headers })).updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
    }
    const nemoWrite = `mutation { updateModelDeployment(input: {id: "nemo:research-team-alpha/llama-3.1-8b", nemo: {config: "llama-config-v3"}}) { __typename } }`;
    expect(dataOf(await stack.gql(nemoWrite, {}, { headers })).updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
    for (const [id, sim] of Object.entries(stack.sims)) {
      // Logins are the session's, not the request's; everything else carries the id.
      const calls = sim.server.calls.slice(marks[id]).filter((c) => !c.path.endsWith('/accounts/login'));
      expect(calls.length, id).toBeGreaterThan(1);
      expect(calls.filter((c) => c.method !== 'GET').length, id).toBeGreaterThan(0);
      expect(calls.map((c) => c.headers['x-request-id']), id).toEqual(calls.map(() => 'trace-4f2a'));
    }
  });

  it('returns every vendor\u2019s deployments in one query, each with its own typed fields', async () => {
    const d = dataOf(
      await stack.gql(`{
        modelDeployments(first: 500) {
          totalCount
          failures { backend }
          edges { node {
            __typename id vendor backend status
            ... on NorthflankModelDeployment { projectId llmModelDeploymentId spec { configuration { engine } } }
            ... on NemoModelDeployment { workspace config entityVersion statusHistory { status } }
            ... on ZStackModel { uuid installPath minGpuMemory }
          } }
        }
      }`),
    );
    const nodes = d.modelDeployments.edges.map((e: any) => e.node);
    expect(d.modelDeployments.failures).toEqual([]);
    expect(new Set(nodes.map((n: any) => n.vendor))).toEqual(new Set(['northflank', 'nemo', 'zstack']));
    for (const n of nodes) expect(n.__typename).toBe(TYPE[n.vendor as keyof typeof TYPE]);
    const nf = nodes.find((n: any) => n.id === 'northflank:default-project/deepseek-v3-deployment');
    expect(nf).toMatchObject({ projectId: 'default-project', llmModelDeploymentId: 'deepseek-v3-deployment' });
    const nemo = nodes.find((n: any) => n.id === 'nemo:research-team-alpha/llama-3.1-8b');
    expect(nemo).toMatchObject({ workspace: 'research-team-alpha' });
    expect(Number(nemo.entityVersion)).toBeGreaterThanOrEqual(1);
    expect(nemo.statusHistory.length).toBeGreaterThan(0);
    const zs = nodes.find((n: any) => n.vendor === 'zstack' && n.minGpuMemory !== null);
    expect(zs.uuid).toMatch(/^[0-9a-f]{32}$/);
    // Ordered by id, so cursors are stable across backends.
    expect(nodes.map((n: any) => n.id)).toEqual([...nodes.map((n: any) => n.id)].sort());
    expect(d.modelDeployments.totalCount).toBe(nodes.length);
  });

  it('filters by vendor and status across backends', async () => {
    const d = dataOf(await stack.gql(`{ modelDeployments(first: 500, filter: { vendors: ["northflank", "nemo"], statuses: [READY] }) { edges { node { vendor status } } } }`));
    const nodes = d.modelDeployments.edges.map((e: any) => e.node);
    expect(nodes.length).toBeGreaterThan(1);
    expect(nodes.every((n: any) => n.status === 'READY' && n.vendor !== 'zstack')).toBe(true);
    expect(new Set(nodes.map((n: any) => n.vendor))).toEqual(new Set(['northflank', 'nemo']));
  });

  it('walks every page with first/after and sees each deployment exactly once', async () => {
    const all = dataOf(await stack.gql(`{ modelDeployments(first: 500) { edges { node { id } } } }`)).modelDeployments.edges.map((e: any) => e.node.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const page: any = dataOf(
        await stack.gql(`query($after: String) { modelDeployments(first: 3, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } }`, { after }),
      ).modelDeployments;
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
  });

  it('names a backend that is down and still returns the others', async () => {
    stack.sims.nemo!.server.inject({ kind: 'status', status: 503 });
    try {
      const r = await stack.gql(`{ modelDeployments(first: 500) { edges { node { vendor } } failures { backend code } } }`);
      expect(r.status).toBe(200);
      expect(r.body.data?.modelDeployments.failures).toEqual([{ backend: 'nemo', code: 'UPSTREAM_UNAVAILABLE' }]);
      expect(new Set(r.body.data?.modelDeployments.edges.map((e: any) => e.node.vendor))).toEqual(new Set(['northflank', 'zstack']));
      expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', backend: 'nemo' });
    } finally {
      stack.sims.nemo!.server.clearFaults();
    }
  });
});

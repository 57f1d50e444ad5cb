/** The NVIDIA NeMo Platform adapter through GraphQL over HTTP, against its simulator. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allArrived, pollRounds, startStack, dataOf, type Stack } from './helpers.js';
import { createManualClock, type ManualClock } from '../src/domain/clock.js';
import { subscriptionEventsSent } from '../src/graphql/subscriptions.js';
import { sse } from './sub-clients.js';
import { fromSchema, NOISY, QUIET } from './seed-arbitrary.js';
import { checkSeed, type NemoSimulator } from '../adapters/nemo/simulator.js';
import updateSchema from '../adapters/nemo/seed/update-request.schema.json' with { type: 'json' };

const PHASE = 1000;
const LLAMA = 'nemo:research-team-alpha/llama-3.1-8b';
const A = '/apis/models/v2/workspaces/research-team-alpha';

const startNemoStack = (): Promise<Stack> => startStack({ vendors: ['nemo'], phaseMs: PHASE });

const DETAIL = `
  __typename id name status vendorStatus statusMessage version
  ... on NemoModelDeployment {
    nemoId workspace project entityVersion config configVersion modelProviderId
    statusHistory { timestamp status unifiedStatus statusMessage }
    authContext { principalId principalEmail principalGroups principalOnBehalfOf principalOnBehalfOfGroups principalOnBehalfOfEmail }
  }`;

const UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) {
    __typename
    ... on UpdateModelDeploymentSuccess {
      dryRun
      requests { method path body }
      changes { field before after }
      deployment { id version status vendorStatus ... on NemoModelDeployment { entityVersion config configVersion statusHistory { status statusMessage } } }
    }
    ... on ValidationError { message issues { path rule message } }
    ... on NotFoundError { id notFoundBackend: backend }
    ... on ConflictError { expectedVersion actualVersion }
    ... on UnsupportedFieldError { field vendor reason }
    ... on UpstreamError { backend status vendorCode vendorMessage retryable outcome }
  }
}`;

let stack: Stack;
let sim: NemoSimulator;

beforeEach(async () => {
  stack = await startNemoStack();
  sim = stack.sims.nemo as unknown as NemoSimulator;
});
afterEach(() => stack.close());

const update = async (input: Record<string, unknown>) => dataOf(await stack.gql(UPDATE, { input: { id: LLAMA, ...input } })).updateModelDeployment;
const posts = () => sim.server.count('POST');

describe('reads', () => {
  it('modelDeployment exposes every field of the NeMo ModelDeployment as typed GraphQL', async () => {
    const d = dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { ${DETAIL} } }`, { id: LLAMA })).modelDeployment;
    const raw = sim.deployment('research-team-alpha/llama-3.1-8b')!;
    expect(d).toEqual({
      __typename: 'NemoModelDeployment',
      id: LLAMA,
      name: 'llama-3.1-8b',
      status: 'READY',
      vendorStatus: 'READY',
      statusMessage: 'Deployment is active and serving requests.',
      version: '3',
      nemoId: 'd4f1a2b3-c567-4e89-9f12-3456789abcde',
      workspace: 'research-team-alpha',
      project: 'proj-llama-2024',
      entityVersion: '3',
      config: 'llama-config-v2',
      configVersion: '2',
      modelProviderId: 'provider-workspace/llama-provider',
      statusHistory: raw.status_history!.map((h) => ({
        timestamp: new Date(h.timestamp).toISOString(),
        status: h.status,
        unifiedStatus: h.status === 'CREATED' ? 'PENDING' : h.status,
        statusMessage: h.status_message,
      })),
      authContext: {
        principalId: 'user-12345',
        principalEmail: 'alice@example.com',
        principalGroups: ['ml-engineers', 'research-team-alpha'],
        principalOnBehalfOf: 'user-67890',
        principalOnBehalfOfGroups: ['project-managers'],
        principalOnBehalfOfEmail: 'bob@example.com',
      },
    });
    expect(sim.server.count('GET', '/versions')).toBe(0);
  });

  it('node(id) resolves to the same NemoModelDeployment', async () => {
    const d = dataOf(await stack.gql(`query($id: ID!) { node(id: $id) { __typename id ... on NemoModelDeployment { entityVersion } } }`, { id: LLAMA })).node;
    expect(d).toEqual({ __typename: 'NemoModelDeployment', id: LLAMA, entityVersion: '3' });
  });

  it('lists both workspaces with unified and vendor statuses', async () => {
    const r = dataOf(await stack.gql(`{ modelDeployments(first: 50) { totalCount edges { node { id status vendorStatus } } } }`)).modelDeployments;
    expect(r.totalCount).toBe(6);
    expect(r.edges.map((e: any) => [e.node.id, e.node.status, e.node.vendorStatus])).toEqual([
      ['nemo:prod-inference/llama-3.1-70b-instruct', 'READY', 'READY'],
      ['nemo:prod-inference/nv-embedqa-e5-v5', 'READY', 'READY'],
      ['nemo:prod-inference/starcoder2-15b', 'UNKNOWN', 'LOST'],
      ['nemo:research-team-alpha/llama-3.1-8b', 'READY', 'READY'],
      ['nemo:research-team-alpha/mistral-7b-instruct', 'FAILED', 'ERROR'],
      ['nemo:research-team-alpha/nemotron-mini-4b', 'PENDING', 'PENDING'],
    ]);
  });

  it('pushes a single status filter down as filter[status]', async () => {
    const r = dataOf(await stack.gql(`{ modelDeployments(filter: { statuses: [FAILED] }) { edges { node { id } } } }`)).modelDeployments;
    expect(r.edges.map((e: any) => e.node.id)).toEqual(['nemo:research-team-alpha/mistral-7b-instruct']);
    const lists = sim.server.calls.filter((c) => c.path.endsWith('/deployments'));
    expect(lists.map((c) => c.query)).toEqual([
      '?page=1&page_size=100&sort=name&filter%5Bstatus%5D=ERROR',
      '?page=1&page_size=100&sort=name&filter%5Bstatus%5D=ERROR',
    ]);
  });

  it('resolves earlier versions lazily from the versions endpoint', async () => {
    const q = `query($id: ID!) { modelDeployment(id: $id) { ... on NemoModelDeployment { entityVersion versions { entityVersion config configVersion status vendorStatus nemoId createdAt updatedAt statusHistory { status } } } } }`;
    const d = dataOf(await stack.gql(q, { id: LLAMA })).modelDeployment;
    // entity and config versions are 64-bit integers of the seed: BigInt, strings of digits.
    expect(d.versions.map((v: any) => [Number(v.entityVersion), v.config, Number(v.configVersion)])).toEqual([
      [2, 'llama-config-v2', 1],
      [1, 'llama-config-v1', 1],
    ]);
    expect(sim.server.count('GET', '/versions')).toBe(1);
  });

  it.each([
    ['nemo:research-team-alpha/..', 'not allowed'],
    ['nemo:research team/llama', 'does not match'],
    ['nemo:research-team-alpha', 'must be <workspace>/<name>'],
    ['nemo:research-team-alpha/llama%2F8b', 'does not match'],
    [`nemo:research-team-alpha/${'x'.repeat(256)}`, 'longer than 255'],
  ])('refuses the malformed id %s before any upstream call', async (id, words) => {
    const q = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id });
    expect(q.body.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    expect(q.body.errors?.[0]?.message).toContain(words);
    const m = await update({ id, nemo: { config: 'llama-config-v3' } });
    expect(m.__typename).toBe('ValidationError');
    expect(m.issues[0].path).toEqual(['id']);
    expect(sim.server.calls).toHaveLength(0);
  });

  it('an unknown deployment is NOT_FOUND', async () => {
    const r = await stack.gql(`{ modelDeployment(id: "nemo:research-team-alpha/nope") { id } }`);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(r.body.data?.modelDeployment ?? null).toBeNull();
  });

  it.each([
    [{ kind: 'status', status: 500 } as const, 'UPSTREAM_ERROR'],
    [{ kind: 'garbled' } as const, 'UPSTREAM_ERROR'],
    [{ kind: 'wrong-shape' } as const, 'UPSTREAM_ERROR'],
  ])('a read answered with %j is %s', async (fault, code) => {
    sim.server.inject({ method: 'GET', fault });
    const r = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id: LLAMA });
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code, backend: 'nemo' });
  });
});

describe('updateModelDeployment', () => {
  it('creates version N+1, visible in the re-read and in versions', async () => {
    const r = await update({ nemo: { config: 'llama-config-v3' }, expectedVersion: '3' });
    expect(r).toMatchObject({
      __typename: 'UpdateModelDeploymentSuccess',
      dryRun: false,
      requests: [{ method: 'POST', path: `${A}/deployments/llama-3.1-8b`, body: { config: 'llama-config-v3' } }],
      deployment: { id: LLAMA, version: '4', status: 'PENDING', vendorStatus: 'PENDING', entityVersion: '4', config: 'llama-config-v3', configVersion: '1' },
    });
    expect(r.changes).toContainEqual({ field: 'version', before: '3', after: '4' });
    expect(posts()).toBe(1);
    const again = dataOf(
      await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { version ... on NemoModelDeployment { config versions { entityVersion } } } }`, { id: LLAMA }),
    ).modelDeployment;
    expect(again).toEqual({ version: '4', config: 'llama-config-v3', versions: [{ entityVersion: '3' }, { entityVersion: '2' }, { entityVersion: '1' }] });
  });

  it('pins configVersion, and takes the latest when it is omitted', async () => {
    const pinned = await update({ nemo: { config: 'llama-config-v2', configVersion: 1 } });
    expect(pinned.deployment).toMatchObject({ entityVersion: '4', config: 'llama-config-v2', configVersion: '1' });
    expect(sim.server.calls.find((c) => c.method === 'POST')!.body).toEqual({ config: 'llama-config-v2', config_version: 1 });
    const latest = await update({ nemo: { config: 'llama-config-v2' } });
    expect(latest.deployment).toMatchObject({ entityVersion: '5', config: 'llama-config-v2', configVersion: '2' });
    expect(sim.server.calls.filter((c) => c.method === 'POST')[1]!.body).toEqual({ config: 'llama-config-v2' });
  });

  it('status_history grows: PENDING after the update, READY one phase later', async () => {
    const q = `query($id: ID!) { modelDeployment(id: $id) { status ... on NemoModelDeployment { statusHistory { status statusMessage } } } }`;
    const before = dataOf(await stack.gql(q, { id: LLAMA })).modelDeployment.statusHistory.length;
    const r = await update({ nemo: { config: 'llama-config-v3' } });
    expect(r.deployment.statusHistory).toHaveLength(before + 1);
    expect(r.deployment.statusHistory.at(-1)).toEqual({ status: 'PENDING', statusMessage: 'Deployment update pending' });
    stack.clock.advance(PHASE);
    const after = dataOf(await stack.gql(q, { id: LLAMA })).modelDeployment;
    expect(after.status).toBe('READY');
    expect(after.statusHistory).toHaveLength(before + 2);
    expect(after.statusHistory.at(-1).status).toBe('READY');
  });

  it('dryRun returns the POST it would send and sends nothing', async () => {
    const r = await update({ nemo: { config: 'llama-config-v3' }, dryRun: true });
    expect(r).toMatchObject({
      __typename: 'UpdateModelDeploymentSuccess',
      dryRun: true,
      requests: [{ method: 'POST', path: `${A}/deployments/llama-3.1-8b`, body: { config: 'llama-config-v3' } }],
      deployment: { version: '3' },
    });
    expect(posts()).toBe(0);
  });

  it.each([
    [{ name: 'renamed' }, 'name'],
    [{ description: 'better', nemo: { config: 'llama-config-v3' } }, 'description'],
    [{ tags: ['prod'] }, 'tags'],
  ])('%j is an UnsupportedFieldError and nothing is sent', async (input, field) => {
    const r = await update(input);
    expect(r).toMatchObject({ __typename: 'UnsupportedFieldError', field, vendor: 'nemo' });
    expect(r.reason).toMatch(/immutable versions.*re-points/);
    expect(sim.server.calls).toHaveLength(0);
  });

  it.each([
    [{ config: 'no-such-config' }, ['nemo', 'config'], 'exists'],
    [{ config: 'llama-config-v2', configVersion: 7 }, ['nemo', 'configVersion'], 'exists'],
    [{ config: 'llama config!' }, ['nemo', 'config'], 'pattern'],
    [{ config: '' }, ['nemo', 'config'], 'min_length'],
    [{ config: 'llama-config-v2', configVersion: 0 }, ['nemo', 'configVersion'], 'min'],
  ])('nemo %j is a ValidationError at %j (%s) and nothing is written', async (nemo, path, rule) => {
    const r = await update({ nemo });
    expect(r.__typename).toBe('ValidationError');
    expect(r.issues[0]).toMatchObject({ path, rule });
    expect(posts()).toBe(0);
  });

  it('a stale expectedVersion is a ConflictError and nothing is written', async () => {
    const r = await update({ nemo: { config: 'llama-config-v3' }, expectedVersion: '2' });
    expect(r).toEqual({ __typename: 'ConflictError', expectedVersion: '2', actualVersion: '3' });
    expect(posts()).toBe(0);
  });

  it('an unknown deployment is a NotFoundError and nothing is written', async () => {
    const r = await update({ id: 'nemo:research-team-alpha/nope', nemo: { config: 'llama-config-v3' } });
    expect(r).toEqual({ __typename: 'NotFoundError', id: 'nemo:research-team-alpha/nope', notFoundBackend: 'nemo' });
    expect(posts()).toBe(0);
  });

  it('NeMo\u2019s 400 "does not exist" on the POST is a NotFoundError', async () => {
    sim.server.inject({
      method: 'POST',
      times: 1,
      fault: { kind: 'status', status: 400, body: { detail: "Deployment with workspace 'research-team-alpha' and name 'llama-3.1-8b' does not exist" } },
    });
    expect(await update({ nemo: { config: 'llama-config-v3' } })).toMatchObject({ __typename: 'NotFoundError', id: LLAMA });
  });

  it('a 422 from NeMo is a ValidationError whose paths come from loc', async () => {
    sim.server.inject({
      method: 'POST',
      times: 1,
      fault: { kind: 'status', status: 422, body: { detail: [{ loc: ['body', 'config_version'], msg: 'Input should be a valid integer', type: 'int_type', input: 'x' }] } },
    });
    const r = await update({ nemo: { config: 'llama-config-v3' } });
    expect(r).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['nemo', 'configVersion'], rule: 'type', message: 'Input should be a valid integer' }] });
  });

  it.each([
    [{ kind: 'status', status: 503 } as const, 503],
    [{ kind: 'status', status: 500 } as const, 500],
    [{ kind: 'garbled' } as const, 200],
  ])('%j on the POST: sent once, re-read, UpstreamError NOT_APPLIED', async (fault, status) => {
    sim.server.inject({ method: 'POST', fault, times: 1 });
    const versions = sim.versionCount();
    const r = await update({ nemo: { config: 'llama-config-v3' } });
    expect(r).toMatchObject({ __typename: 'UpstreamError', backend: 'nemo', outcome: 'NOT_APPLIED' });
    expect(r.status).toBe(status);
    expect(posts()).toBe(1);
    expect(sim.server.count('GET', '/versions/4')).toBe(1);
    expect(sim.versionCount()).toBe(versions);
  });
});

describe('configured workspaces are enforced on every path (backend configured for research-team-alpha only)', () => {
  const OUTSIDE = 'nemo:prod-inference/llama-3.1-70b-instruct';
  let scoped: Stack;
  /** The hub's clock: it polls when the test moves it. */
  let hubClock: ManualClock;
  const POLL_MS = 1000;
  let scopedSim: NemoSimulator;
  beforeEach(async () => {
    scoped = await startStack({ vendors: ['nemo'], phaseMs: PHASE, statusClock: (hubClock = createManualClock()), config: { status: { pollIntervalMs: POLL_MS } }, backendOverrides: { nemo: { workspaces: ['research-team-alpha'] } } });
    scopedSim = scoped.sims.nemo as unknown as NemoSimulator;
    expect(scopedSim.deployment('prod-inference/llama-3.1-70b-instruct')).toBeDefined();
    scopedSim.server.resetCalls();
  });
  afterEach(() => scoped.close());
  const outsideCalls = () => scopedSim.server.calls.filter((c) => c.path.includes('prod-inference'));

  it('query: NOT_FOUND, no upstream call', async () => {
    const r = await scoped.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id: OUTSIDE });
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', id: OUTSIDE });
    expect(scopedSim.server.calls).toEqual([]);
  });

  it('update (and its dry run): NotFoundError, no upstream call', async () => {
    for (const dryRun of [false, true]) {
      const r = dataOf(await scoped.gql(UPDATE, { input: { id: OUTSIDE, nemo: { config: 'llama-70b-nim-config' }, dryRun } })).updateModelDeployment;
      expect(r).toEqual({ __typename: 'NotFoundError', id: OUTSIDE, notFoundBackend: 'nemo' });
    }
    expect(scopedSim.server.calls).toEqual([]);
  });

  it('bulk update by ids: the item fails NOT_FOUND, no upstream call', async () => {
    const r = dataOf(
      await scoped.gql(
        `mutation($ids: [ID!]) { updateModelDeployments(ids: $ids, patch: { nemo: { config: "llama-70b-nim-config" } }) { __typename ... on UpdateModelDeploymentsPayload { items { id outcome result { __typename ... on Error { code } } } } } }`,
        { ids: [OUTSIDE] },
      ),
    ).updateModelDeployments;
    expect(r.items).toEqual([{ id: OUTSIDE, outcome: 'FAILED', result: { __typename: 'NotFoundError', code: 'NOT_FOUND' } }]);
    expect(scopedSim.server.calls).toEqual([]);
  });

  it('subscription: no event and no upstream call for the id outside; the one inside is served', async () => {
    const sub = sse(scoped.url, `subscription($ids: [ID!]) { modelDeploymentStatusChanged(ids: $ids, emitCurrent: true) { __typename ... on ModelDeploymentStatusTransition { initial deployment { id } } } }`, {
      ids: [LLAMA, OUTSIDE],
    });
    try {
      await sub.waitFor((ev) => ev.some((e) => e.initial));
      for (let i = 0; i < 5; i++) scoped.clock.advance(PHASE);
      // Three polls ended (the hub's clock moved one interval plus its jitter at a time), and every
      // event sent arrived: an event for the id outside, or a read of it, would be there by now.
      const hub = scoped.gateway.runtime.hub!;
      await pollRounds(hub, hubClock, { nemo: 3 }, POLL_MS * 1.1);
      await allArrived(hub, 0, [sub]);
      expect(subscriptionEventsSent(hub)).toBe(sub.events.length);
      expect(sub.events.map((e) => e.deployment?.id)).toEqual([LLAMA]);
      expect(outsideCalls()).toEqual([]);
    } finally {
      sub.stop();
    }
  });
});

describe('reading is more tolerant than writing', () => {
  it('a status word outside seed 003\u2019s enum is listed and readable as UNKNOWN with the word kept; its neighbours too', async () => {
    sim.storeOffContract('research-team-alpha/nemotron-mini-4b', (d) => {
      d.status = 'SCALING';
      d.status_history = [...(d.status_history ?? []), { timestamp: d.updated_at, status: 'SCALING', status_message: 'scaling up' }];
    });
    const list = dataOf(await stack.gql(`{ modelDeployments(first: 50) { totalCount edges { node { id status vendorStatus } } } }`)).modelDeployments;
    expect(list.totalCount).toBe(6);
    const byId = new Map(list.edges.map((e: { node: { id: string } }) => [e.node.id, e.node]));
    expect(byId.get('nemo:research-team-alpha/nemotron-mini-4b')).toMatchObject({ status: 'UNKNOWN', vendorStatus: 'SCALING' });
    expect(byId.get(LLAMA)).toMatchObject({ status: 'READY' });
    const one = dataOf(
      await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { status vendorStatus ... on NemoModelDeployment { statusHistory { status unifiedStatus } } } }`, {
        id: 'nemo:research-team-alpha/nemotron-mini-4b',
      }),
    ).modelDeployment;
    expect(one).toMatchObject({ status: 'UNKNOWN', vendorStatus: 'SCALING' });
    expect(one.statusHistory.at(-1)).toEqual({ status: 'SCALING', unifiedStatus: 'UNKNOWN' });
  });
});

describe('differential through GraphQL over HTTP: the gateway sends exactly what the seed schema accepts', () => {
  it('200 generated updates: a body the seed refuses is never sent; one it accepts is sent as given', async () => {
    sim.server.resetCalls();
    const bodies = fc.sample(
      fc
        .oneof(fromSchema(updateSchema as never, undefined, QUIET), fromSchema(updateSchema as never, undefined, NOISY))
        .filter((b: any): b is Record<string, unknown> => typeof b === 'object' && b !== null && !Array.isArray(b)),
      { numRuns: 200, seed: 11 },
    );
    let compared = 0;
    let sent = 0;
    // One in three names a config that exists, so that accepted bodies reach NeMo.
    bodies.forEach((b, i) => {
      if (i % 3 === 0 && typeof b.config === 'string') {
        b.config = 'llama-config-v2';
        if (typeof b.config_version === 'number' && b.config_version > 2) b.config_version = 1 + (i % 2);
      }
    });
    for (const body of bodies) {
      const { config, config_version, ...rest } = body as Record<string, unknown>;
      // A digit string is how a client writes a BigInt: not told apart from the integer in GraphQL.
      if (typeof config_version === 'string' && /^-?[0-9]+$/.test(config_version.trim())) continue;
      const version = typeof config_version === 'number' && Number.isInteger(config_version) && !Number.isSafeInteger(config_version) ? BigInt(config_version).toString() : config_version;
      const block = { ...rest, ...(config !== undefined ? { config } : {}), ...(config_version !== undefined ? { configVersion: version } : {}) };
      const before = sim.server.calls.length;
      const r = await stack.gql(UPDATE, { input: { id: LLAMA, nemo: block } });
      const posts = sim.server.calls.slice(before).filter((c) => c.method === 'POST');
      const result = r.body.data?.updateModelDeployment;
      compared++;
      if (checkSeed('nemo/update-request', body).length > 0) {
        expect(posts, JSON.stringify(body)).toEqual([]);
        expect(result?.__typename === 'UpdateModelDeploymentSuccess', JSON.stringify(body)).toBe(false);
      } else if (posts.length) {
        // The config named may not exist: that is NeMo's answer (a 400 the adapter checks first), not a schema rule.
        sent++;
        expect(posts.map((c) => c.body)).toEqual([JSON.parse(JSON.stringify(body))]);
      } else {
        expect(result, `${JSON.stringify(body)} ${JSON.stringify(r.body)}`).toMatchObject({ __typename: 'ValidationError', issues: [{ rule: 'exists' }] });
      }
    }
    expect(compared).toBeGreaterThan(150);
    expect(sent).toBeGreaterThan(10);
  });
});

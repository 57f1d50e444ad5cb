/** The ZStack adapter through GraphQL over HTTP, against its simulator. */
import { afterEach, describe, expect, it } from 'vitest';
import { startStack, dataOf, until, type Stack } from './helpers.js';
import type { ZStackSimulator } from '../adapters/zstack/simulator.js';

const QWEN = '1bb3ef7d600d4d30b21b8ffd299c37b5';
const ID = `zstack:${QWEN}`;
const TWO_HOURS = 2 * 60 * 60 * 1000;

const startZStackStack = (overrides: Record<string, unknown> = {}): Promise<Stack> => startStack({ vendors: ['zstack'], backendOverrides: { zstack: overrides } });

const DETAIL = `
  __typename id name description tags status vendorStatus version createdAt updatedAt
  model { name revision engine path }
  resources { gpuType gpuCount gpuCounts gpuMemoryBytes }
  ... on ZStackModel {
    uuid installPath parameters modelCenterUuid logo modelVendor modelId introduction size modelVersion type
    minGpuMemory recommendedGpuMemory recommendedGpuNum gpuConstraintDescription versionSemver isLatestVersion
    artifactChecksum artifactSizeBytes architectureType frameworkVersion requiredAccelerator pipelineTag
    modelServiceRefs { uuid modelUuid modelServiceUuid createDate lastOpDate }
    extraGpuMemRequest sampleSize createDate lastOpDate
  }`;

const UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) {
    __typename
    ... on UpdateModelDeploymentSuccess {
      dryRun
      requests { method path body }
      changes { field before after }
      deployment { id name description tags ... on ZStackModel { installPath recommendedGpuNum modelId } }
    }
    ... on ValidationError { message issues { path rule message } }
    ... on NotFoundError { id }
    ... on ConflictError { expectedVersion actualVersion }
    ... on UpstreamError { message backend status vendorCode vendorMessage retryable outcome detail }
  }
}`;

/** Awaits `p`, moving the stack's clock 25 ms whenever a timer waits on it (a job's backoff runs on the adapter's clock). */
async function moving<T>(p: Promise<T>): Promise<T> {
  let pending = true;
  p.then(
    () => (pending = false),
    () => (pending = false),
  );
  for (;;) {
    // Real time only for the sockets to carry what the last move set off: until the answer, or a timer on the clock.
    await until('the answer, or a timer waiting on the clock', () => !pending || stack!.clock.pendingTimers() > 0);
    if (!pending) break;
    stack!.clock.advance(25);
    // A turn of the event loop (no time): what the move set off runs before the next look.
    await new Promise((r) => setImmediate(r));
  }
  return p;
}

let stack: Stack | undefined;
const sim = () => stack!.sims.zstack as unknown as ZStackSimulator;
const puts = () => sim().server.calls.filter((c) => c.method === 'PUT' && c.path.startsWith('/zstack/v1/ai/models/'));

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('ZStackModel through GraphQL', () => {
  it('exposes every ModelInventory field of seed 004, typed', async () => {
    stack = await startZStackStack();
    const d = dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { ${DETAIL} } }`, { id: ID })).modelDeployment;
    expect(d).toEqual({
      __typename: 'ZStackModel',
      id: ID,
      name: 'example',
      description: 'test model',
      tags: ['moe', 'demo'],
      status: 'READY',
      vendorStatus: null,
      version: expect.stringMatching(/^2025-12-03T10:12:44.000Z~[0-9a-f]{12}$/),
      createdAt: '2025-12-01T09:30:05.000Z',
      updatedAt: '2025-12-03T10:12:44.000Z',
      model: { name: 'test-model-id', revision: '1.0.0', engine: null, path: '/usr/local/test-model' },
      resources: { gpuType: 'cuda:12.1', gpuCount: null, gpuCounts: [1, 2], gpuMemoryBytes: '4295991296' },
      uuid: QWEN,
      installPath: '/usr/local/test-model',
      parameters: 'test parameters',
      modelCenterUuid: 'ebf96ce1de2c46fa8af9d503c29bb93d',
      logo: 'BASE64data',
      modelVendor: 'ZStack',
      modelId: 'test-model-id',
      introduction: 'This is a md5 format string',
      size: '1024000',
      modelVersion: 'CustomizeVersion',
      type: 'System',
      minGpuMemory: '4295991296',
      recommendedGpuMemory: '4295991296',
      recommendedGpuNum: [1, 2],
      gpuConstraintDescription: 'Ampere or newer',
      versionSemver: '1.0.0',
      isLatestVersion: true,
      artifactChecksum: 'This is a sha256 format string',
      artifactSizeBytes: '1024000',
      architectureType: 'Qwen3MoeForCausalLM',
      frameworkVersion: 'PyTorch 2.0.1+cu118',
      requiredAccelerator: 'cuda:12.1',
      pipelineTag: 'text-generation',
      modelServiceRefs: [
        { uuid: '3f0c1d2e4b5a69788796a5b4c3d2e1f0', modelUuid: QWEN, modelServiceUuid: '8c1f2a3b4d5e6f708192a3b4c5d6e7f8', createDate: '2025-12-03T10:12:44.000Z', lastOpDate: '2025-12-03T10:12:44.000Z' },
      ],
      extraGpuMemRequest: '4294967296',
      sampleSize: 1000,
      createDate: '2025-12-01T09:30:05.000Z',
      lastOpDate: '2025-12-03T10:12:44.000Z',
    });
  });

  it('keeps 64-bit values beyond 2^53 exact (BigInt as a string), also in raw', async () => {
    stack = await startZStackStack();
    const big = 'b'.repeat(32);
    sim().addModel({ uuid: big, name: 'huge', minGpuMemory: 9007199254740993n, artifactSizeBytes: 9223372036854775807n });
    const r = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { raw resources { gpuMemoryBytes } ... on ZStackModel { minGpuMemory artifactSizeBytes } } }`, { id: `zstack:${big}` });
    const d = dataOf(r).modelDeployment;
    expect(d.minGpuMemory).toBe('9007199254740993');
    expect(d.artifactSizeBytes).toBe('9223372036854775807');
    expect(d.resources.gpuMemoryBytes).toBe('9007199254740993');
    expect(d.raw).toMatchObject({ minGpuMemory: '9007199254740993', artifactSizeBytes: '9223372036854775807' });
  });

  it('reads 20 models asked for in one GraphQL query with ONE upstream model query and ONE user-tag query', async () => {
    stack = await startZStackStack();
    const uuids = [QWEN];
    for (let i = 0; i < 19; i++) {
      const uuid = `${i.toString(16).padStart(2, '0')}${'c'.repeat(30)}`;
      sim().addModel({ uuid, name: `m${i}` });
      uuids.push(uuid);
    }
    await stack.gql(`{ modelDeployment(id: "${ID}") { id } }`); // log in first
    sim().server.resetCalls();
    const query = `{ ${uuids.map((u, i) => `m${i}: modelDeployment(id: "zstack:${u}") { id name }`).join(' ')} }`;
    const data = dataOf(await stack.gql(query));
    expect(Object.values(data).map((d: any) => d.id)).toEqual(uuids.map((u) => `zstack:${u}`));
    const models = sim().server.calls.filter((c) => c.path === '/zstack/v1/ai/models');
    expect(models).toHaveLength(1);
    expect(new URLSearchParams(models[0]!.query).get('q')).toBe(`uuid?=${uuids.join(',')}`);
    expect(sim().server.calls.filter((c) => c.path.startsWith('/zstack/v1/ai/models/'))).toHaveLength(0);
    // The model query and one user-tag query for all 20: each read is the full state, tags included,
    // as a list reads it (a bulk tag edit by ids starts from the same tags as one by filter).
    expect(sim().server.calls.map((c) => c.path)).toEqual(['/zstack/v1/ai/models', '/zstack/v1/user-tags']);

    sim().server.resetCalls();
    const withTags = `{ ${uuids.map((u, i) => `m${i}: modelDeployment(id: "zstack:${u}") { id tags }`).join(' ')} }`;
    const tagged = dataOf(await stack.gql(withTags));
    expect(tagged.m0.tags).toEqual(['moe', 'demo']);
    expect(sim().server.calls.map((c) => c.path)).toEqual(['/zstack/v1/ai/models', '/zstack/v1/user-tags']);
  });

  it('survives session expiry without the caller noticing', async () => {
    stack = await startZStackStack();
    dataOf(await stack.gql(`{ modelDeployment(id: "${ID}") { id } }`));
    stack.clock.advance(TWO_HOURS + 1);
    const d = dataOf(await stack.gql(`{ modelDeployment(id: "${ID}") { id name } }`)).modelDeployment;
    expect(d.name).toBe('example');
    expect(sim().logins()).toBe(2);
  });

  it('a wrong password is an UPSTREAM_AUTH error naming the backend, with no secret in the response', async () => {
    stack = await startZStackStack({ password: 'definitely-wrong' });
    const r = await stack.gql(`{ modelDeployment(id: "${ID}") { id } }`);
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_AUTH', backend: 'zstack', vendorCode: 'ID.1000' });
    expect(r.body.errors?.[0]?.message).toContain('Backend zstack: login as account "admin" failed');
    expect(JSON.stringify(r.body)).not.toContain('definitely-wrong');
  });
});

describe('updateModelDeployment on ZStack', () => {
  it('sends the flat UpdateModel body of seed 004 with the zstack block and common fields', async () => {
    stack = await startZStackStack();
    const r = dataOf(
      await stack.gql(UPDATE, {
        input: { id: ID, description: 'via graphql', tags: ['prod'], zstack: { installPath: '/m/qwen3', recommendedGpuNum: '2,4', clearDefaultModelService: true } },
      }),
    ).updateModelDeployment;
    const body = { installPath: '/m/qwen3', description: 'via graphql', recommendedGpuNum: '2,4', clearDefaultModelService: true, userTags: ['prod'] };
    expect(r).toMatchObject({
      __typename: 'UpdateModelDeploymentSuccess',
      dryRun: false,
      requests: [{ method: 'PUT', path: `/zstack/v1/ai/models/${QWEN}`, body }],
      deployment: { id: ID, description: 'via graphql', tags: ['prod'], installPath: '/m/qwen3', recommendedGpuNum: [2, 4] },
    });
    expect(puts().map((c) => c.body)).toEqual([body]);
    expect(puts()[0]!.headers.authorization).toMatch(/^OAuth [0-9a-f]{32}$/);
  });

  it.each([
    ['a common field', { description: null }, ['description']],
    ['a field of the zstack block', { zstack: { systemTags: null, installPath: '/m/x' } }, ['zstack', 'systemTags']],
  ])('refuses an explicit null in %s (no vendor clears by null), sending nothing', async (_why, input, path) => {
    stack = await startZStackStack();
    const r = dataOf(await stack.gql(UPDATE, { input: { id: ID, ...input } })).updateModelDeployment;
    expect(r.__typename).toBe('ValidationError');
    expect(r.issues).toEqual([expect.objectContaining({ path, rule: 'not_null' })]);
    expect(puts()).toHaveLength(0);
  });

  it('plans in a dry run and sends nothing', async () => {
    stack = await startZStackStack();
    const r = dataOf(await stack.gql(UPDATE, { input: { id: ID, name: 'renamed', dryRun: true } })).updateModelDeployment;
    expect(r).toMatchObject({ dryRun: true, requests: [{ method: 'PUT', body: { name: 'renamed' } }], changes: [{ field: 'name', before: 'example', after: 'renamed' }] });
    expect(puts()).toHaveLength(0);
  });

  it.each([
    ['a bad GPU list', { zstack: { recommendedGpuNum: 'two' } }, ['zstack', 'recommendedGpuNum'], 'pattern'],
    ['an empty name', { name: '' }, ['name'], 'min_length'],
    ['a bad model center uuid', { zstack: { modelCenterUuid: 'EBF96CE1' } }, ['zstack', 'modelCenterUuid'], 'pattern'],
    ['tags that disagree with userTags', { tags: ['a'], zstack: { userTags: ['b'] } }, ['zstack', 'userTags'], 'conflict'],
  ])('refuses %s with a ValidationError naming the field', async (_why, input, path, rule) => {
    stack = await startZStackStack();
    const r = dataOf(await stack.gql(UPDATE, { input: { id: ID, ...input } })).updateModelDeployment;
    expect(r.__typename).toBe('ValidationError');
    expect(r.issues).toContainEqual(expect.objectContaining({ path: path.map(String), rule }));
    expect(puts()).toHaveLength(0);
  });

  it('with updateBodyStyle wrapped sends the wrapped body', async () => {
    stack = await startZStackStack({ updateBodyStyle: 'wrapped' });
    sim().setBodyStyle('wrapped');
    const r = dataOf(await stack.gql(UPDATE, { input: { id: ID, description: 'wrapped', tags: ['w'] } })).updateModelDeployment;
    expect(r.__typename).toBe('UpdateModelDeploymentSuccess');
    expect(puts().map((c) => c.body)).toEqual([{ updateModel: { description: 'wrapped' }, userTags: ['w'] }]);
  });

  it('a flat body the server ignores is "accepted but not applied", not success', async () => {
    stack = await startZStackStack();
    sim().setBodyStyle('wrapped');
    const r = dataOf(await stack.gql(UPDATE, { input: { id: ID, description: 'ignored' } })).updateModelDeployment;
    expect(r).toMatchObject({ __typename: 'UpstreamError', backend: 'zstack', outcome: 'NOT_APPLIED', status: 200 });
    expect(r.message).toContain('accepted but not applied');
  });

  it('an ErrorCode reply is an UpstreamError with vendor code and cause chain', async () => {
    stack = await startZStackStack();
    sim().failNextUpdate({ code: 'SYS.1006', description: 'Operation failed', details: 'model busy', cause: { code: 'SYS.1000', description: 'internal' } });
    const r = dataOf(await stack.gql(UPDATE, { input: { id: ID, description: 'x' } })).updateModelDeployment;
    expect(r).toMatchObject({ __typename: 'UpstreamError', status: 503, vendorCode: 'SYS.1006', outcome: 'NOT_APPLIED', retryable: false });
    expect(r.detail).toMatchObject({ code: 'SYS.1006', details: 'model busy', cause: { code: 'SYS.1000', description: 'internal' } });
  });

  it('a never-finishing async job is UPSTREAM_TIMEOUT with outcome UNKNOWN, in bounded time', async () => {
    stack = await startZStackStack({ asyncTimeoutMs: 300 });
    sim().setAsync(true, { hang: true });
    const t0 = stack.clock.now();
    const r = dataOf(await moving(stack.gql(UPDATE, { input: { id: ID, description: 'never' } }))).updateModelDeployment;
    expect(r).toMatchObject({ __typename: 'UpstreamError', outcome: 'UNKNOWN', status: 202 });
    expect(r.message).toContain('did not finish within 300 ms');
    // The backoff waits (25, 50, 100 ms, then the 125 left) end at the deadline on the gateway's clock.
    expect(stack.clock.now() - t0).toBe(300);
  });

  it('an async job that finishes is followed to success', async () => {
    stack = await startZStackStack();
    sim().setAsync(true, { polls: 2 });
    const r = dataOf(await moving(stack.gql(UPDATE, { input: { id: ID, description: 'async ok' } }))).updateModelDeployment;
    expect(r).toMatchObject({ __typename: 'UpdateModelDeploymentSuccess', deployment: { description: 'async ok' } });
  });
});

const BULK = `mutation($ids: [ID!], $patch: UpdateModelDeploymentsPatch!) {
  updateModelDeployments(ids: $ids, patch: $patch) {
    __typename
    ... on UpdateModelDeploymentsPayload {
      items { id outcome result { __typename ... on UpdateModelDeploymentSuccess { deployment { tags } } ... on Error { message } } }
    }
    ... on ValidationError { message }
  }
}`;

const CONFIRMED_UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) {
    __typename
    ... on UpdateModelDeploymentSuccess { confirmations { field state sent seen note } deployment { description } }
    ... on UpstreamError { message outcome detail }
    ... on ValidationError { issues { path rule message } }
  }
}`;

const LLAMA = 'a7c3e91b2d4f48609e5b1a2c3d4e5f60';

describe('seed-only ZStack: the user-tag query (not in the seeds) answering 404', () => {
  const tagErrors = (r: { body: { errors?: Array<{ path?: (string | number)[]; message: string; extensions?: Record<string, any> }> } }) => r.body.errors ?? [];
  const expectTagsUnknown = (errors: ReturnType<typeof tagErrors>, count: number) => {
    expect(errors).toHaveLength(count);
    for (const e of errors) {
      expect(e.path?.at(-1)).toBe('tags');
      expect(e.extensions).toMatchObject({ backend: 'zstack', code: 'UPSTREAM_ERROR' });
      expect(e.message).toContain('tags unknown');
    }
  };

  it('every get, list and update still works; tags are null with an error naming the backend and tags', async () => {
    stack = await startZStackStack();
    sim().setUserTagsBehaviour({ route: false });

    const get = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id name tags ... on ZStackModel { modelId } } }`, { id: ID });
    expect(get.body.data!.modelDeployment).toEqual({ id: ID, name: 'example', tags: null, modelId: 'test-model-id' });
    expectTagsUnknown(tagErrors(get), 1);

    const many = await stack.gql(`query($a: ID!, $b: ID!) { a: modelDeployment(id: $a) { id tags } b: modelDeployment(id: $b) { id name } }`, { a: ID, b: `zstack:${LLAMA}` });
    expect(many.body.data).toMatchObject({ a: { id: ID, tags: null }, b: { id: `zstack:${LLAMA}`, name: 'Llama-3.1-8B-Instruct' } });

    const list = await stack.gql(`{ modelDeployments(first: 100) { totalCount failures { backend } edges { node { id name tags } } } }`);
    const conn = list.body.data!.modelDeployments;
    expect(conn.failures).toEqual([]);
    expect(conn.totalCount).toBe(6);
    expect(conn.edges.every((e: any) => e.node.tags === null && e.node.name)).toBe(true);
    expectTagsUnknown(tagErrors(list), 6);

    // Without asking for tags, nothing is missing at all.
    expect(dataOf(await stack.gql(`{ modelDeployments(first: 100) { totalCount edges { node { id name } } } }`)).modelDeployments.totalCount).toBe(6);

    const upd = await stack.gql(CONFIRMED_UPDATE, { input: { id: ID, description: 'seed only', zstack: { recommendedGpuNum: '2' } } });
    expect(upd.body.data!.updateModelDeployment).toMatchObject({
      __typename: 'UpdateModelDeploymentSuccess',
      deployment: { description: 'seed only' },
      confirmations: [
        { field: 'description', state: 'CONFIRMED', sent: 'seed only', seen: 'seed only' },
        { field: 'recommendedGpuNum', state: 'CONFIRMED', sent: '2', seen: [2] },
      ],
    });
    expect(puts()).toHaveLength(1);

    // Tags sent while they cannot be read: the write is judged by the rest, tags UNCONFIRMED.
    const tagged = dataOf(await stack.gql(CONFIRMED_UPDATE, { input: { id: ID, description: 'with tags', tags: ['t'] } })).updateModelDeployment;
    expect(tagged.__typename).toBe('UpdateModelDeploymentSuccess');
    expect(tagged.confirmations).toContainEqual(expect.objectContaining({ field: 'userTags', state: 'UNCONFIRMED', note: expect.stringContaining('could not be read') }));
  });

  it('a bulk tag addition by explicit ids is refused per item, never sent as a replacement of unknown tags', async () => {
    stack = await startZStackStack();
    sim().setUserTagsBehaviour({ route: false });
    const r = dataOf(await stack.gql(BULK, { ids: [ID], patch: { addTags: ['x'] } })).updateModelDeployments;
    expect(r.items).toEqual([{ id: ID, outcome: 'FAILED', result: { __typename: 'UpstreamError', message: expect.stringContaining('tags unknown') } }]);
    expect(puts()).toHaveLength(0);
    expect(sim().userTags(QWEN)).toEqual(['moe', 'demo']);
  });
});

describe('ZStack tags by explicit ids (the CLI’s `deployments update <id> --tag X`)', () => {
  it('adds to the existing tags: getMany reads the same full state as list', async () => {
    stack = await startZStackStack();
    const r = dataOf(await stack.gql(BULK, { ids: [ID], patch: { addTags: ['x'] } })).updateModelDeployments;
    expect(r.items).toEqual([{ id: ID, outcome: 'CHANGED', result: { __typename: 'UpdateModelDeploymentSuccess', deployment: { tags: ['moe', 'demo', 'x'] } } }]);
    expect(puts().map((c) => c.body)).toEqual([{ userTags: ['moe', 'demo', 'x'] }]);
    expect(sim().userTags(QWEN)).toEqual(['moe', 'demo', 'x']);
  });
});

describe('per-field write confirmation on ZStack', () => {
  it('with tags that do not round-trip, an update of other fields is APPLIED with tags UNCONFIRMED', async () => {
    stack = await startZStackStack();
    sim().setUserTagsBehaviour({ onUpdate: 'ignore' });
    const r = dataOf(await stack.gql(CONFIRMED_UPDATE, { input: { id: ID, description: 'landed', tags: ['new'], zstack: { modelClassifications: ['llm'] } } })).updateModelDeployment;
    expect(r).toMatchObject({ __typename: 'UpdateModelDeploymentSuccess', deployment: { description: 'landed' } });
    expect(r.confirmations).toEqual([
      { field: 'description', state: 'CONFIRMED', sent: 'landed', seen: 'landed', note: null },
      { field: 'modelClassifications', state: 'UNCONFIRMED', sent: ['llm'], seen: null, note: expect.stringContaining('ModelInventory does not show') },
      { field: 'userTags', state: 'UNCONFIRMED', sent: ['new'], seen: ['moe', 'demo'], note: expect.stringContaining('confirmUserTags') },
    ]);
    expect(sim().model(QWEN)!.description).toBe('landed');
  });

  it('with confirmUserTags, the same write is NOT_APPLIED with the per-field report in detail', async () => {
    stack = await startZStackStack({ confirmUserTags: true });
    sim().setUserTagsBehaviour({ onUpdate: 'ignore' });
    const r = dataOf(await stack.gql(CONFIRMED_UPDATE, { input: { id: ID, description: 'landed', tags: ['new'] } })).updateModelDeployment;
    expect(r).toMatchObject({ __typename: 'UpstreamError', outcome: 'NOT_APPLIED' });
    expect(r.message).toContain('userTags');
    expect(r.detail.fields.map((f: any) => [f.field, f.state])).toEqual([['description', 'CONFIRMED'], ['userTags', 'CONTRADICTED']]);
  });

  it('tags that do round-trip are CONFIRMED', async () => {
    stack = await startZStackStack();
    const r = dataOf(await stack.gql(CONFIRMED_UPDATE, { input: { id: ID, tags: ['b', 'a'] } })).updateModelDeployment;
    expect(r.confirmations).toEqual([{ field: 'userTags', state: 'CONFIRMED', sent: ['b', 'a'], seen: ['b', 'a'], note: null }]);
  });

  it('a dry run confirms nothing', async () => {
    stack = await startZStackStack();
    const r = dataOf(await stack.gql(CONFIRMED_UPDATE, { input: { id: ID, description: 'plan', dryRun: true } })).updateModelDeployment;
    expect(r.confirmations).toEqual([]);
  });
});

describe('ZStack counts as Java counts, and writes as the seed does', () => {
  it('a 200-emoji name (400 UTF-16 units) is refused before any upstream call; 127 emoji (254 units) are written', async () => {
    stack = await startZStackStack();
    sim().server.resetCalls();
    const r = dataOf(await stack.gql(UPDATE, { input: { id: ID, name: '😀'.repeat(200) } })).updateModelDeployment;
    expect(r.__typename).toBe('ValidationError');
    expect(r.issues).toEqual([expect.objectContaining({ path: ['name'], rule: 'max_length', message: expect.stringContaining('UTF-16') })]);
    expect(sim().server.calls).toHaveLength(0);
    const ok = dataOf(await stack.gql(UPDATE, { input: { id: ID, name: '😀'.repeat(127) } })).updateModelDeployment;
    expect(ok).toMatchObject({ __typename: 'UpdateModelDeploymentSuccess', deployment: { name: '😀'.repeat(127) } });
  });

  it('UpdateModel is sent as application/json;charset=UTF-8, as the page’s request example', async () => {
    stack = await startZStackStack();
    dataOf(await stack.gql(UPDATE, { input: { id: ID, description: 'é ü 中' } }));
    expect(puts()[0]!.headers['content-type']).toBe('application/json;charset=UTF-8');
    expect(sim().model(QWEN)!.description).toBe('é ü 中');
  });
});

describe('reading is more tolerant than writing (ZStack)', () => {
  it('stored models that break write rules, or carry a garbled field, are listed and readable, and so are their neighbours', async () => {
    stack = await startZStackStack();
    const long = 'c'.repeat(32);
    const garbled = 'd'.repeat(32);
    sim().addModel({ uuid: long, name: 'n'.repeat(300), vendor: '', size: -5n, recommendedGpuNum: [0] });
    sim().addModel({ uuid: garbled, name: 'garbled', isLatestVersion: 'yes', minGpuMemory: 'lots' } as never, { unchecked: true });
    sim().addModel({ uuid: 'NOT-A-UUID', name: 'unaddressable' }, { unchecked: true });
    const list = dataOf(await stack.gql(`{ modelDeployments(first: 100) { totalCount failures { backend } edges { node { id name ... on ZStackModel { size isLatestVersion minGpuMemory } } } } }`)).modelDeployments;
    expect(list.failures).toEqual([]);
    expect(list.totalCount).toBe(8);
    const byId = Object.fromEntries(list.edges.map((e: any) => [e.node.id, e.node]));
    expect(byId[`zstack:${long}`]).toMatchObject({ name: 'n'.repeat(300) });
    expect(String(byId[`zstack:${long}`].size)).toBe('-5');
    expect(byId[`zstack:${garbled}`]).toMatchObject({ name: 'garbled', isLatestVersion: null, minGpuMemory: null });
    expect(byId[ID]).toMatchObject({ name: 'example' });
    const one = dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { name ... on ZStackModel { size } } }`, { id: `zstack:${long}` })).modelDeployment;
    expect([one.name, String(one.size)]).toEqual(['n'.repeat(300), '-5']);
  });

  it('a Long written as a JSON string (beyond 2^53) is read exactly', async () => {
    stack = await startZStackStack();
    const r0 = dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id: ID }));
    expect(r0.modelDeployment.id).toBe(ID);
    sim().server.inject({
      fault: { kind: 'status', status: 200, body: { inventories: [{ uuid: QWEN, name: 'example', size: '9223372036854775807', minGpuMemory: 4295991296 }] } },
      method: 'GET',
      pathIncludes: `/ai/models/${QWEN}`,
      times: 1,
    });
    const d = dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { ... on ZStackModel { size minGpuMemory } } }`, { id: ID })).modelDeployment;
    // (How BigInt is written for values below 2^53 is the scalar's business; the value is exact.)
    expect([String(d.size), String(d.minGpuMemory)]).toEqual(['9223372036854775807', '4295991296']);
  });
});

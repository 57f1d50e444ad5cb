/** The Northflank adapter through GraphQL over HTTP, against its simulator. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStack, dataOf, type Stack } from './helpers.js';
import type { NorthflankSimulator } from '../adapters/northflank/simulator.js';

const PHASE = 1000;
const DS = 'northflank:default-project/deepseek-v3-deployment';
const DS_PATH = '/v1/projects/default-project/llm-model-deployments/deepseek-v3-deployment';

const startNorthflankStack = (): Promise<Stack> => startStack({ vendors: ['northflank'], phaseMs: PHASE });

const DETAIL = `
  __typename id backend vendor nativeId name description tags status vendorStatus statusMessage version createdAt updatedAt
  model { name revision engine path }
  resources { gpuType gpuCount storageBytes }
  ... on NorthflankModelDeployment {
    llmModelDeploymentId projectId entityId entityType creatorId
    dns { base zone }
    ports { id name internalPort protocol public dns domains disableNfDomain }
    deploymentConfiguration { id createdAt }
    spec {
      type
      configuration {
        name engine revision
        nodeConfiguration {
          gpu { enabled configuration { gpuType gpuCount timesliced } }
          storage { accessMode storageClass storageSize shmSize }
        }
        architecture {
          type
          workerConfig {
            replicas
            parallelismConfig { tensorParallelism pipelineParallelism expertParallelism }
            sequenceLengthConfig { maxModelLength maxInputLength maxOutputLength }
            batchingConfig { maxNumSeqs maxNumBatchedTokens }
            enableChunkedPrefill enablePrefixCaching enforceEager enableAsyncScheduling
            gpuMemoryUtilization trustRemoteCode dataType kvCacheDataType quantization
          }
        }
      }
    }
  }`;

const UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) {
    __typename
    ... on UpdateModelDeploymentSuccess {
      dryRun
      requests { method path body }
      changes { field before after }
      deployment { id version status vendorStatus name description tags
        ... on NorthflankModelDeployment { ports { name internalPort protocol } spec { configuration { revision nodeConfiguration { storage { storageSize } } architecture { workerConfig { sequenceLengthConfig { maxModelLength } } } } } } }
    }
    ... on ValidationError { message issues { path rule message } }
    ... on NotFoundError { id notFoundBackend: backend }
    ... on ConflictError { expectedVersion actualVersion }
    ... on UnsupportedFieldError { field vendor reason }
    ... on UpstreamError { backend status vendorCode vendorMessage retryable outcome }
  }
}`;

let stack: Stack;
let sim: NorthflankSimulator;

beforeEach(async () => {
  stack = await startNorthflankStack();
  sim = stack.sims.northflank as unknown as NorthflankSimulator;
  sim.server.resetCalls();
});
afterEach(() => stack.close());

const update = async (input: Record<string, unknown>) => dataOf(await stack.gql(UPDATE, { input: { id: DS, ...input } })).updateModelDeployment;
const posts = () => sim.server.count('POST');

const nfPort = (p: Record<string, unknown>) => ({ northflank: { ports: [{ name: 'api', internalPort: 8000, protocol: 'HTTP', ...p }] } });
const conf = (c: Record<string, unknown>) => ({ northflank: { spec: { configuration: c } } });
const storage = (st: Record<string, unknown>) => conf({ nodeConfiguration: { storage: st } });
const worker = (w: Record<string, unknown>) => conf({ architecture: { workerConfig: w } });
const PORT = ['northflank', 'ports', '0'];
const CONF = ['northflank', 'spec', 'configuration'];
const STORAGE = [...CONF, 'nodeConfiguration', 'storage'];
const WORKER = [...CONF, 'architecture', 'workerConfig'];

describe('reads', () => {
  it('modelDeployment exposes every field of seed 002 as typed GraphQL', async () => {
    const d = dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { ${DETAIL} } }`, { id: DS })).modelDeployment;
    const raw = sim.get('default-project/deepseek-v3-deployment')!;
    expect(d).toEqual({
      __typename: 'NorthflankModelDeployment',
      id: DS,
      backend: 'northflank',
      vendor: 'northflank',
      nativeId: 'default-project/deepseek-v3-deployment',
      name: 'deepseek-v3-deployment',
      description: 'A deployment for DeepSeek V3 model',
      tags: ['llm', 'deepseek', 'production'],
      status: 'READY',
      vendorStatus: 'running',
      statusMessage: null,
      version: raw.updatedAt,
      createdAt: raw.createdAt,
      updatedAt: raw.updatedAt,
      model: { name: 'deepseek-ai/DeepSeek-V3', revision: 'main', engine: 'vllm', path: null },
      resources: { gpuType: 'h200', gpuCount: 8, storageBytes: 6144 * 1024 * 1024 },
      llmModelDeploymentId: 'deepseek-v3-deployment',
      projectId: 'default-project',
      entityId: sim.teamId,
      entityType: 'team',
      creatorId: 'alice',
      dns: raw.dns,
      ports: [{ id: 'p01', name: 'api', internalPort: 8000, protocol: 'HTTP', public: true, dns: 'p01--deepseek-v3-deployment--default-project.code.run', domains: null, disableNfDomain: null }],
      deploymentConfiguration: raw.deploymentConfiguration,
      spec: {
        type: 'custom',
        configuration: {
          name: 'deepseek-ai/DeepSeek-V3',
          engine: 'vllm',
          revision: 'main',
          nodeConfiguration: {
            gpu: { enabled: true, configuration: { gpuType: 'h200', gpuCount: 8, timesliced: false } },
            storage: { accessMode: 'ReadWriteMany', storageClass: 'nvme', storageSize: 6144, shmSize: 16384 },
          },
          architecture: {
            type: 'aggregated',
            workerConfig: {
              replicas: 1,
              parallelismConfig: { tensorParallelism: 8, pipelineParallelism: 1, expertParallelism: 1 },
              sequenceLengthConfig: { maxModelLength: 'auto', maxInputLength: null, maxOutputLength: null },
              batchingConfig: { maxNumSeqs: 256, maxNumBatchedTokens: 8192 },
              enableChunkedPrefill: true,
              enablePrefixCaching: true,
              enforceEager: false,
              enableAsyncScheduling: false,
              gpuMemoryUtilization: 0.9,
              trustRemoteCode: true,
              dataType: 'auto',
              kvCacheDataType: 'fp8',
              quantization: 'fp8',
            },
          },
        },
      },
    });
    expect(sim.server.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET ${DS_PATH}`]);
  });

  it('maxModelLength is an integer when it is one', async () => {
    const q = `query($id: ID!) { modelDeployment(id: $id) { ... on NorthflankModelDeployment { spec { configuration { architecture { workerConfig { sequenceLengthConfig { maxModelLength } } } } } } } }`;
    const d = dataOf(await stack.gql(q, { id: 'northflank:default-project/llama-3-1-70b-instruct' })).modelDeployment;
    expect(d.spec.configuration.architecture.workerConfig.sequenceLengthConfig.maxModelLength).toBe(32768);
  });

  it('port domains are read from the payload when Northflank sends them (seed 002 does not list them)', async () => {
    const raw = sim.get('default-project/deepseek-v3-deployment')!;
    const ports = [{ ...(raw.ports as object[])[0], domains: ['api.models.example.com', 7] }];
    sim.server.inject({ fault: { kind: 'status', status: 200, body: { data: { ...raw, ports } } }, method: 'GET', times: 1 });
    const q = `query($id: ID!) { modelDeployment(id: $id) { ... on NorthflankModelDeployment { ports { name domains } } } }`;
    expect(dataOf(await stack.gql(q, { id: DS })).modelDeployment.ports).toEqual([{ name: 'api', domains: ['api.models.example.com'] }]);
    // The simulator answers in the seed 002 shape: no domains, so null.
    expect(dataOf(await stack.gql(q, { id: DS })).modelDeployment.ports).toEqual([{ name: 'api', domains: null }]);
  });

  it('modelDeployments lists both projects with unified statuses; one list call per project', async () => {
    const r = dataOf(
      await stack.gql(`{ modelDeployments(first: 50, filter: { vendors: ["northflank"] }) { totalCount edges { node { id status vendorStatus } } } }`),
    ).modelDeployments;
    expect(r.totalCount).toBe(8);
    const byId = Object.fromEntries(r.edges.map((e: { node: { id: string; status: string } }) => [e.node.id, e.node.status]));
    expect(byId).toMatchObject({
      [DS]: 'READY',
      'northflank:default-project/qwen2-5-7b-instruct': 'PENDING',
      'northflank:default-project/mistral-7b-instruct': 'FAILED',
      'northflank:default-project/gemma-2-9b-it': 'PAUSED',
      'northflank:ml-research/qwen2-5-72b-instruct-awq': 'STARTING',
      'northflank:ml-research/phi-3-mini-4k-instruct': 'PROVISIONING',
    });
    expect(sim.server.count('GET')).toBe(2);
  });

  it('status follows the simulator clock', async () => {
    const q = `query($id: ID!) { modelDeployment(id: $id) { status vendorStatus } }`;
    const id = 'northflank:default-project/qwen2-5-7b-instruct';
    expect(dataOf(await stack.gql(q, { id })).modelDeployment).toEqual({ status: 'PENDING', vendorStatus: 'pending' });
    stack.clock.advance(3 * PHASE);
    expect(dataOf(await stack.gql(q, { id })).modelDeployment).toEqual({ status: 'READY', vendorStatus: 'running' });
  });

  it('a missing deployment is a NOT_FOUND error after one GET', async () => {
    const r = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id: 'northflank:default-project/no-such-model' });
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', id: 'northflank:default-project/no-such-model' });
    expect(sim.server.count('GET')).toBe(1);
  });

  it.each([
    ['a path-climbing key', 'northflank:default-project/..'],
    ['an encoded slash', 'northflank:default-project/a%2fb'],
    ['an upper-case id', 'northflank:default-project/DeepSeek'],
    ['three segments', 'northflank:a/b/c'],
  ])('%s is refused with VALIDATION before any upstream call', async (_reason, id) => {
    const r = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id });
    expect(r.body.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    expect(sim.server.calls).toHaveLength(0);
  });
});

describe('updateModelDeployment', () => {
  it('common fields and the northflank block become one partial POST; the re-read comes back', async () => {
    stack.clock.advance(1000);
    const r = await update({
      name: 'deepseek v3 prod',
      tags: ['llm', 'prod'],
      northflank: {
        ports: [{ name: 'api', internalPort: 8080, protocol: 'HTTP/2', public: true }],
        spec: { configuration: { nodeConfiguration: { storage: { storageSize: 8192 } }, architecture: { workerConfig: { sequenceLengthConfig: { maxModelLength: 65536 } } } } },
      },
    });
    const body = {
      name: 'deepseek v3 prod',
      tags: ['llm', 'prod'],
      ports: [{ name: 'api', internalPort: 8080, protocol: 'HTTP/2', public: true }],
      spec: { configuration: { nodeConfiguration: { storage: { storageSize: 8192 } }, architecture: { workerConfig: { sequenceLengthConfig: { maxModelLength: 65536 } } } } },
    };
    expect(r.__typename).toBe('UpdateModelDeploymentSuccess');
    expect(r.dryRun).toBe(false);
    expect(r.requests).toEqual([{ method: 'POST', path: DS_PATH, body }]);
    expect(sim.server.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET ${DS_PATH}`, `POST ${DS_PATH}`, `GET ${DS_PATH}`]);
    expect(sim.server.calls[1]!.body).toEqual(body);
    expect(r.deployment).toMatchObject({
      name: 'deepseek v3 prod',
      tags: ['llm', 'prod'],
      status: 'PENDING', // a spec change is a rollout
      version: new Date(stack.clock.now()).toISOString(),
      ports: [{ name: 'api', internalPort: 8080, protocol: 'HTTP/2' }],
      spec: { configuration: { nodeConfiguration: { storage: { storageSize: 8192 } }, architecture: { workerConfig: { sequenceLengthConfig: { maxModelLength: 65536 } } } } },
    });
    expect(r.changes.map((c: { field: string }) => c.field)).toEqual([
      'name',
      'tags',
      'northflank.ports',
      // input objects arrive in the (sorted) schema's field order
      'northflank.spec.configuration.architecture.workerConfig.sequenceLengthConfig.maxModelLength',
      'northflank.spec.configuration.nodeConfiguration.storage.storageSize',
    ]);
  });

  it('maxModelLength "auto" goes through as the string', async () => {
    sim.setStatus('default-project/deepseek-v3-deployment', 'running');
    await update({ northflank: { spec: { configuration: { architecture: { workerConfig: { sequenceLengthConfig: { maxModelLength: 4096 } } } } } } });
    const r = await update({ northflank: { spec: { configuration: { architecture: { workerConfig: { sequenceLengthConfig: { maxModelLength: 'auto' } } } } } } });
    expect(r.requests[0].body).toEqual({ spec: { configuration: { architecture: { workerConfig: { sequenceLengthConfig: { maxModelLength: 'auto' } } } } } });
    expect(r.deployment.spec.configuration.architecture.workerConfig.sequenceLengthConfig.maxModelLength).toBe('auto');
  });

  it('a description-only update is no rollout', async () => {
    const r = await update({ description: 'words only' });
    expect(r).toMatchObject({ __typename: 'UpdateModelDeploymentSuccess', deployment: { description: 'words only', status: 'READY' } });
  });

  it('dryRun returns the exact request and sends nothing but the read', async () => {
    const input = { description: 'planned', northflank: { spec: { configuration: { nodeConfiguration: { storage: { storageSize: 8192 } } } } } };
    const r = await update({ ...input, dryRun: true });
    expect(r.__typename).toBe('UpdateModelDeploymentSuccess');
    expect(r.dryRun).toBe(true);
    expect(r.requests).toEqual([
      { method: 'POST', path: DS_PATH, body: { description: 'planned', spec: { configuration: { nodeConfiguration: { storage: { storageSize: 8192 } } } } } },
    ]);
    expect(r.changes).toEqual([
      { field: 'description', before: 'A deployment for DeepSeek V3 model', after: 'planned' },
      { field: 'northflank.spec.configuration.nodeConfiguration.storage.storageSize', before: 6144, after: 8192 },
    ]);
    expect(r.deployment).toMatchObject({ description: 'A deployment for DeepSeek V3 model', status: 'READY', spec: { configuration: { nodeConfiguration: { storage: { storageSize: 6144 } } } } });
    expect(sim.server.calls.map((c) => ({ method: c.method, path: c.path, body: c.body }))).toEqual([{ method: 'GET', path: DS_PATH, body: undefined }]);
    expect(sim.server.calls.filter((c) => c.method !== 'GET')).toEqual([]);
    expect(sim.get('default-project/deepseek-v3-deployment')).toMatchObject({ description: 'A deployment for DeepSeek V3 model', status: 'running' });
  });

  // Every rule of seeds 000/001 (contract.ts), one row each; mapping.test.ts has the unit versions.
  // The description pattern ^[\s\S]*$ matches every string, so it has no row.
  it.each([
    ['a name of 2 characters (min 3)', { name: 'ab' }, ['name'], 'min_length'],
    ['a name of 101 characters (max 100)', { name: 'a'.repeat(101) }, ['name'], 'max_length'],
    ['a name with an underscore', { name: 'deep_seek' }, ['name'], 'pattern'],
    ['a name with two spaces in a row', { name: 'deep  seek' }, ['name'], 'pattern'],
    ['a name with a leading hyphen', { name: '-deepseek' }, ['name'], 'pattern'],
    ['a description of 1025 characters (max 1024)', { description: 'x'.repeat(1025) }, ['description'], 'max_length'],
    ['a tag of 2 characters (min 3)', { tags: ['ok-tag', 'ab'] }, ['tags', '1'], 'min_length'],
    ['a tag of 101 characters (max 100)', { tags: ['a'.repeat(101)] }, ['tags', '0'], 'max_length'],
    ['a tag with a space', { tags: ['ok-tag', 'two words'] }, ['tags', '1'], 'pattern'],
    ['a tag with a trailing hyphen', { tags: ['tag-'] }, ['tags', '0'], 'pattern'],
    ['a port name of 9 characters (max 8)', nfPort({ name: 'abcdefghi' }), [...PORT, 'name'], 'max_length'],
    ['an empty port name (min 1)', nfPort({ name: '' }), [...PORT, 'name'], 'min_length'],
    ['a port name starting with a digit', nfPort({ name: '8080' }), [...PORT, 'name'], 'pattern'],
    ['a port name with a double hyphen', nfPort({ name: 'a--b' }), [...PORT, 'name'], 'pattern'],
    ['a port without name', { northflank: { ports: [{ internalPort: 80, protocol: 'HTTP' }] } }, [...PORT, 'name'], 'required'],
    ['internalPort 0 (seed 001 min 1)', nfPort({ internalPort: 0 }), [...PORT, 'internalPort'], 'min'],
    ['internalPort 65536 (seed 001 max 65535)', nfPort({ internalPort: 65536 }), [...PORT, 'internalPort'], 'max'],
    ['internalPort 70000', nfPort({ internalPort: 70000 }), [...PORT, 'internalPort'], 'max'],
    ['a port without internalPort', { northflank: { ports: [{ name: 'api', protocol: 'HTTP' }] } }, [...PORT, 'internalPort'], 'required'],
    ['protocol HTTPS', nfPort({ protocol: 'HTTPS' }), [...PORT, 'protocol'], 'enum'],
    ['protocol in lower case', nfPort({ protocol: 'http' }), [...PORT, 'protocol'], 'enum'],
    ['a port without protocol', { northflank: { ports: [{ name: 'api', internalPort: 80 }] } }, [...PORT, 'protocol'], 'required'],
    ['engine sglang', conf({ engine: 'sglang' }), [...CONF, 'engine'], 'enum'],
    ['accessMode ReadWriteOnce', storage({ accessMode: 'ReadWriteOnce' }), [...STORAGE, 'accessMode'], 'enum'],
    ['storageClass of 2 characters (min 3)', storage({ storageClass: 'ab' }), [...STORAGE, 'storageClass'], 'min_length'],
    ['storageClass of 40 characters (max 39)', storage({ storageClass: 'a'.repeat(40) }), [...STORAGE, 'storageClass'], 'max_length'],
    ['storageClass with an underscore', storage({ storageClass: 'fast_ssd' }), [...STORAGE, 'storageClass'], 'pattern'],
    ['storageClass starting with a digit', storage({ storageClass: '1nvme' }), [...STORAGE, 'storageClass'], 'pattern'],
    ['architecture type disaggregated', conf({ architecture: { type: 'disaggregated' } }), [...CONF, 'architecture', 'type'], 'enum'],
    ['dataType float32', worker({ dataType: 'float32' }), [...WORKER, 'dataType'], 'enum'],
    ['kvCacheDataType fp16', worker({ kvCacheDataType: 'fp16' }), [...WORKER, 'kvCacheDataType'], 'enum'],
    ['quantization bnb', worker({ quantization: 'bnb' }), [...WORKER, 'quantization'], 'enum'],
    ['maxModelLength "max"', worker({ sequenceLengthConfig: { maxModelLength: 'max' } }), [...WORKER, 'sequenceLengthConfig', 'maxModelLength'], 'union'],
    ['maxModelLength "4096" (a number as a string)', worker({ sequenceLengthConfig: { maxModelLength: '4096' } }), [...WORKER, 'sequenceLengthConfig', 'maxModelLength'], 'union'],
  ])('%s → ValidationError naming the field and rule, nothing sent', async (_reason, input, path, rule) => {
    const r = await update(input);
    expect(r.__typename).toBe('ValidationError');
    expect(r.issues).toContainEqual({ path, rule, message: expect.any(String) });
    expect(r.issues.map((i: { path: string[] }) => i.path)).toEqual(r.issues.map(() => path));
    expect(r.message).toContain(`Invalid ${path.join('.')}: `);
    expect(sim.server.calls).toEqual([]);
  });

  it('a stale expectedVersion is a ConflictError; nothing is written', async () => {
    const current = sim.get('default-project/deepseek-v3-deployment')!.updatedAt;
    const r = await update({ description: 'x', expectedVersion: '2020-01-01T00:00:00.000Z' });
    expect(r).toEqual({ __typename: 'ConflictError', expectedVersion: '2020-01-01T00:00:00.000Z', actualVersion: current });
    expect(posts()).toBe(0);
    const ok = await update({ description: 'x', expectedVersion: current });
    expect(ok.__typename).toBe('UpdateModelDeploymentSuccess');
  });

  it('an unknown deployment is a NotFoundError', async () => {
    const r = dataOf(await stack.gql(UPDATE, { input: { id: 'northflank:default-project/gone', description: 'x' } })).updateModelDeployment;
    expect(r).toEqual({ __typename: 'NotFoundError', id: 'northflank:default-project/gone', notFoundBackend: 'northflank' });
    expect(posts()).toBe(0);
  });

  it('a vendor error on the write is an UpstreamError with the vendor code, NOT_APPLIED', async () => {
    sim.server.inject({ fault: { kind: 'status', status: 409, body: { error: { status: 409, message: 'The AI model is being deleted', id: 'conflict' } } }, method: 'POST', times: 1 });
    const r = await update({ description: 'x' });
    expect(r).toEqual({
      __typename: 'UpstreamError',
      backend: 'northflank',
      status: 409,
      vendorCode: 'conflict',
      vendorMessage: 'The AI model is being deleted',
      retryable: false,
      outcome: 'NOT_APPLIED',
    });
    expect(posts()).toBe(1);
  });

  it('a write whose connection was reset is re-read, not retried: UNKNOWN while the re-read does not show it', async () => {
    sim.server.inject({ fault: { kind: 'reset' }, method: 'POST', times: 1 });
    const r = await update({ description: 'x' });
    expect(r).toMatchObject({ __typename: 'UpstreamError', backend: 'northflank', status: null, outcome: 'UNKNOWN' });
    expect(sim.server.calls.map((c) => c.method)).toEqual(['GET', 'POST', 'GET']);
  });
});

describe('a wrong Northflank token in the backend config', () => {
  const WRONG = 'wrong-token-5c2e9a17d4b8';
  let bad: Stack;
  let badSim: NorthflankSimulator;
  beforeEach(async () => {
    bad = await startStack({ vendors: ['northflank'], phaseMs: PHASE, backendOverrides: { northflank: { token: WRONG } } });
    badSim = bad.sims.northflank as unknown as NorthflankSimulator;
    badSim.server.resetCalls();
  });
  afterEach(() => bad.close());

  /** Neither the configured (wrong) token nor the one the vendor would accept is in an answer. */
  const expectNoToken = (body: unknown) => {
    const text = JSON.stringify(body);
    expect(text).not.toContain(WRONG);
    expect(text).not.toContain(badSim.token);
  };

  it.each([
    ['the vendor refuses it', false],
    ['the vendor quotes the token it was sent back in its 401', true],
  ])('%s: a query and a mutation fail with UPSTREAM_AUTH naming the backend, health is down, no token in any answer', async (_reason, quoted) => {
    if (quoted) {
      const error = { status: 401, message: `Invalid API token ${WRONG}`, id: 'unauthorized', details: [{ path: 'authorization', message: `Bearer ${WRONG} is not valid` }] };
      badSim.server.inject({ kind: 'status', status: 401, body: { error } });
    }
    const q = await bad.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id: DS });
    expect(q.body.data).toEqual({ modelDeployment: null });
    expect(q.body.errors).toEqual([
      expect.objectContaining({
        path: ['modelDeployment'],
        extensions: expect.objectContaining({ code: 'UPSTREAM_AUTH', backend: 'northflank', status: 401, vendorCode: 'unauthorized', retryable: false }),
      }),
    ]);
    expectNoToken(q.body);

    // A mutation answers with the typed error (its union member), naming the backend the same way.
    const m = await bad.gql(
      `mutation($input: UpdateModelDeploymentInput!) { updateModelDeployment(input: $input) { __typename ... on Error { code message } ... on UpstreamError { backend status vendorCode vendorMessage retryable detail } } }`,
      { input: { id: DS, description: 'x' } },
    );
    expect(m.body.errors).toBeUndefined();
    expect(m.body.data.updateModelDeployment).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_AUTH', backend: 'northflank', status: 401, vendorCode: 'unauthorized', retryable: false });
    expectNoToken(m.body);

    const l = await bad.gql(`{ modelDeployments { totalCount failures { backend code message } } backends { id health { ok message } } }`);
    expect(l.body.data.modelDeployments).toMatchObject({ totalCount: 0, failures: [{ backend: 'northflank', code: 'UPSTREAM_AUTH' }] });
    expect(l.body.data.backends).toEqual([{ id: 'northflank', health: { ok: false, message: expect.stringContaining('401') } }]);
    expect(l.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'UPSTREAM_AUTH', backend: 'northflank' }) })]);
    expectNoToken(l.body);

    // Reads only, each sent once with the configured token and refused; nothing was written.
    const list = (p: string, perPage: number) => `GET /v1/projects/${p}/llm-model-deployments?per_page=${perPage} 401`;
    expect(badSim.server.calls.map((c) => `${c.method} ${c.path}${c.query} ${c.status}`).sort()).toEqual(
      [`GET ${DS_PATH} 401`, `GET ${DS_PATH} 401`, list('default-project', 100), list('ml-research', 100), list('default-project', 1)].sort(),
    );
    expect(new Set(badSim.server.calls.map((c) => c.headers.authorization))).toEqual(new Set([`Bearer ${WRONG}`]));
  });
});

describe('one upstream read per deployment per request (DataLoader)', () => {
  const LIST_CALLS = ['default-project', 'ml-research'].map((p) => `GET /v1/projects/${p}/llm-model-deployments?per_page=100`);
  const callsSeen = () => sim.server.calls.map((c) => `${c.method} ${c.path}${c.query}`).sort();
  const NESTED = `edges { node { id name tags status ... on NorthflankModelDeployment { ports { id name internalPort } spec { configuration { name nodeConfiguration { storage { storageSize } } architecture { workerConfig { sequenceLengthConfig { maxModelLength } } } } } } } }`;

  it('a list with nested fields (ports, spec configuration) costs only the list calls', async () => {
    const r = dataOf(await stack.gql(`{ modelDeployments(first: 50) { totalCount ${NESTED} } }`)).modelDeployments;
    expect(r.totalCount).toBe(8);
    expect(r.edges.find((e: { node: { id: string } }) => e.node.id === DS).node).toMatchObject({
      ports: [{ id: 'p01', name: 'api', internalPort: 8000 }],
      spec: { configuration: { name: 'deepseek-ai/DeepSeek-V3', nodeConfiguration: { storage: { storageSize: 6144 } } } },
    });
    expect(callsSeen()).toEqual(LIST_CALLS);
  });

  it.each([
    ['list first', `query($id: ID!) { modelDeployments(first: 50) { ${NESTED} } one: modelDeployment(id: $id) { id name ... on NorthflankModelDeployment { ports { name } } } }`],
    ['single read first', `query($id: ID!) { one: modelDeployment(id: $id) { id name ... on NorthflankModelDeployment { ports { name } } } modelDeployments(first: 50) { ${NESTED} } }`],
    ['node and modelDeployment beside the list', `query($id: ID!) { n: node(id: $id) { id } one: modelDeployment(id: $id) { id name ... on NorthflankModelDeployment { ports { name } } } modelDeployments(first: 50) { ${NESTED} } }`],
  ])('a list and a read of one of its items in one query (%s) cost no item GET', async (_order, query) => {
    const d = dataOf(await stack.gql(query, { id: DS }));
    expect(d.one).toEqual({ id: DS, name: 'deepseek-v3-deployment', ports: [{ name: 'api' }] });
    expect(d.modelDeployments.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(DS);
    expect(callsSeen()).toEqual(LIST_CALLS);
  });

  it('a read of an item the filtered list leaves out waits for the list, then costs one item GET', async () => {
    const q = `query($id: ID!) { modelDeployments(filter: { statuses: [PENDING] }) { edges { node { id } } } one: modelDeployment(id: $id) { id status } }`;
    const d = dataOf(await stack.gql(q, { id: DS }));
    expect(d.modelDeployments.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(DS);
    expect(d.one).toEqual({ id: DS, status: 'READY' });
    expect(callsSeen()).toEqual([...LIST_CALLS, `GET ${DS_PATH}`].sort());
  });

  it('a list that fails leaves the read beside it to its own GET', async () => {
    sim.server.inject({ fault: { kind: 'status', status: 403 }, pathIncludes: '/ml-research/' });
    const r = await stack.gql(`query($id: ID!) { modelDeployments { totalCount failures { backend code } } one: modelDeployment(id: $id) { id } }`, { id: DS });
    expect(r.body.data).toEqual({ modelDeployments: { totalCount: 0, failures: [{ backend: 'northflank', code: 'UPSTREAM_AUTH' }] }, one: { id: DS } });
    expect(callsSeen()).toEqual([...LIST_CALLS, `GET ${DS_PATH}`].sort());
  });

  it('two reads of the same id, and a list in a later request, each cost what they should', async () => {
    dataOf(await stack.gql(`query($id: ID!) { a: modelDeployment(id: $id) { id } b: modelDeployment(id: $id) { name } }`, { id: DS }));
    expect(callsSeen()).toEqual([`GET ${DS_PATH}`]);
    sim.server.resetCalls();
    dataOf(await stack.gql(`{ modelDeployments { totalCount } }`));
    // The next request reads afresh: no list from before is waited for or reused.
    dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id: DS }));
    expect(callsSeen()).toEqual([...LIST_CALLS, `GET ${DS_PATH}`].sort());
  });
});

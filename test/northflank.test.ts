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
    ports { id name internalPort protocol public dns disableNfDomain }
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
      ports: [{ id: 'p01', name: 'api', internalPort: 8000, protocol: 'HTTP', public: true, dns: 'p01--deepseek-v3-deployment--default-project.code.run', disableNfDomain: null }],
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

  it('dryRun returns the request and sends nothing', async () => {
    const r = await update({ description: 'planned', dryRun: true });
    expect(r).toMatchObject({ dryRun: true, requests: [{ method: 'POST', path: DS_PATH, body: { description: 'planned' } }], deployment: { description: 'A deployment for DeepSeek V3 model' } });
    expect(r.changes).toEqual([{ field: 'description', before: 'A deployment for DeepSeek V3 model', after: 'planned' }]);
    expect(posts()).toBe(0);
  });

  it.each([
    ['internalPort 70000 (seed 001)', { northflank: { ports: [{ name: 'p', internalPort: 70000, protocol: 'HTTP' }] } }, ['northflank', 'ports', '0', 'internalPort'], 'max'],
    ['protocol HTTPS', { northflank: { ports: [{ name: 'api', internalPort: 80, protocol: 'HTTPS' }] } }, ['northflank', 'ports', '0', 'protocol'], 'enum'],
    ['a port without protocol', { northflank: { ports: [{ name: 'api', internalPort: 80 }] } }, ['northflank', 'ports', '0', 'protocol'], 'required'],
    ['a name of 2 characters', { name: 'ab' }, ['name'], 'min_length'],
    ['a tag with a space', { tags: ['ok-tag', 'two words'] }, ['tags', '1'], 'pattern'],
    ['quantization bnb', { northflank: { spec: { configuration: { architecture: { workerConfig: { quantization: 'bnb' } } } } } }, ['northflank', 'spec', 'configuration', 'architecture', 'workerConfig', 'quantization'], 'enum'],
    ['maxModelLength "max"', { northflank: { spec: { configuration: { architecture: { workerConfig: { sequenceLengthConfig: { maxModelLength: 'max' } } } } } } }, ['northflank', 'spec', 'configuration', 'architecture', 'workerConfig', 'sequenceLengthConfig', 'maxModelLength'], 'union'],
    ['storageClass of 40 characters', { northflank: { spec: { configuration: { nodeConfiguration: { storage: { storageClass: 'a'.repeat(40) } } } } } }, ['northflank', 'spec', 'configuration', 'nodeConfiguration', 'storage', 'storageClass'], 'max_length'],
  ])('%s → ValidationError naming the field, nothing sent', async (_reason, input, path, rule) => {
    const r = await update(input);
    expect(r.__typename).toBe('ValidationError');
    expect(r.issues).toContainEqual(expect.objectContaining({ path, rule }));
    expect(sim.server.calls).toHaveLength(0);
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

  it('the token never reaches GraphQL output, even when the vendor refuses it', async () => {
    sim.server.inject({ fault: { kind: 'status', status: 401 }, times: 1 });
    const r = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id: DS });
    expect(r.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_AUTH');
    expect(JSON.stringify(r.body)).not.toContain(sim.token);
  });
});

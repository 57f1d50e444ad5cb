import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { checkListReply, readDeployment, UpdateBodySchema, type NorthflankDeployment } from './contract.js';
import { fromVendor, planChanges, showsUpdate, statusFromVendor, toVendorPatch } from './mapping.js';
import { validatePatch } from './adapter.js';

const deepseek: NorthflankDeployment = {
  name: 'deepseek-v3-deployment',
  description: 'A deployment for DeepSeek V3 model',
  tags: ['llm'],
  spec: {
    type: 'custom',
    configuration: {
      name: 'deepseek-ai/DeepSeek-V3',
      engine: 'vllm',
      revision: 'main',
      nodeConfiguration: {
        gpu: { enabled: true, configuration: { gpuType: 'h200', gpuCount: 8 } },
        storage: { storageClass: 'nvme', storageSize: 6144 },
      },
      architecture: { type: 'aggregated', workerConfig: { sequenceLengthConfig: { maxModelLength: 'auto' } } },
    },
  },
  id: 'deepseek-v3-deployment',
  projectId: 'default-project',
  entityId: 'team-1',
  entityType: 'team',
  creatorId: 'alice',
  dns: { base: 'deepseek-v3-deployment--default-project.code.run', zone: 'code.run' },
  ports: [{ id: 'p01', name: 'api', internalPort: 8000, protocol: 'HTTP', public: true }],
  status: 'running',
  createdAt: '2025-11-03T10:12:44.000Z',
  updatedAt: '2025-12-18T16:40:02.000Z',
};

describe('status table (DESIGN.md)', () => {
  it.each([
    ['pending', 'PENDING', 'accepted, nothing scheduled yet'],
    ['provisioning', 'PROVISIONING', 'nodes and storage being prepared'],
    ['starting', 'STARTING', 'the engine is loading the model'],
    ['running', 'READY', 'serving'],
    ['paused', 'PAUSED', 'scaled to zero by the user'],
    ['crashed', 'FAILED', 'the engine exited'],
    ['deleting', 'DELETING', 'delete accepted, still shown'],
    ['scaling', 'UNKNOWN', 'a word not in seed 002'],
    ['RUNNING', 'UNKNOWN', 'words are case-sensitive'],
    ['constructor', 'UNKNOWN', 'an Object.prototype key is not a status'],
    ['', 'UNKNOWN', 'empty word'],
  ])('%s → %s (%s)', (word, expected) => {
    expect(statusFromVendor(word)).toBe(expected);
  });
  it('null → UNKNOWN', () => expect(statusFromVendor(null)).toBe('UNKNOWN'));
});

describe('fromVendor', () => {
  it('maps every unified field of a full resource', () => {
    const d = fromVendor(deepseek, 'nf');
    expect(d).toEqual({
      id: 'nf:default-project/deepseek-v3-deployment',
      backend: 'nf',
      vendor: 'northflank',
      nativeId: 'default-project/deepseek-v3-deployment',
      name: 'deepseek-v3-deployment',
      description: 'A deployment for DeepSeek V3 model',
      tags: ['llm'],
      status: 'READY',
      vendorStatus: 'running',
      statusMessage: null,
      version: '2025-12-18T16:40:02.000Z',
      createdAt: new Date('2025-11-03T10:12:44.000Z'),
      updatedAt: new Date('2025-12-18T16:40:02.000Z'),
      model: { name: 'deepseek-ai/DeepSeek-V3', revision: 'main', engine: 'vllm', path: null },
      resources: { gpuType: 'h200', gpuCount: 8, gpuCounts: null, gpuMemoryBytes: null, memoryBytes: null, storageBytes: 6144n * 1024n * 1024n },
      raw: deepseek,
    });
  });

  it.each([
    ['the seed 002 example (no spec.configuration details, no dates)', { name: 'x-model', id: 'x', projectId: 'p1', status: 'pending' }, { model: null, resources: null, version: null, createdAt: null, tags: [], description: null }],
    ['configuration without nodeConfiguration', { name: 'x-model', id: 'x', projectId: 'p1', status: 'pending', spec: { type: 'custom', configuration: { name: 'm' } } }, { model: { name: 'm', revision: null, engine: null, path: null }, resources: null }],
    ['storage without size, GPU without count', { name: 'x-model', id: 'x', projectId: 'p1', status: 'running', spec: { type: 'custom', configuration: { nodeConfiguration: { gpu: { enabled: false }, storage: {} } } } }, { resources: { gpuType: null, gpuCount: null, gpuCounts: null, gpuMemoryBytes: null, memoryBytes: null, storageBytes: null } }],
    ['a storage size beyond 2^31 MB stays exact as bigint', { name: 'x-model', id: 'x', projectId: 'p1', status: 'running', spec: { type: 'custom', configuration: { nodeConfiguration: { storage: { storageSize: 2 ** 33 } } } } }, { resources: expect.objectContaining({ storageBytes: 2n ** 33n * 1048576n }) }],
    ['an unparseable date becomes null, the version keeps the word', { name: 'x-model', id: 'x', projectId: 'p1', status: 'running', updatedAt: 'yesterday' }, { updatedAt: null, version: 'yesterday' }],
    ['an unknown status keeps the vendor word', { name: 'x-model', id: 'x', projectId: 'p1', status: 'hibernating' }, { status: 'UNKNOWN', vendorStatus: 'hibernating' }],
  ])('%s', (_reason, raw, expected) => {
    expect(fromVendor(raw as NorthflankDeployment, 'nf')).toMatchObject(expected);
  });
});

describe('toVendorPatch', () => {
  it.each([
    ['only the common fields set', { name: 'new-name' }, { name: 'new-name' }],
    ['nulls from GraphQL are dropped', { name: null, description: 'd', tags: null, vendor: null }, { description: 'd' }],
    ['an empty tag list is sent (it clears the tags)', { tags: [] }, { tags: [] }],
    ['an empty description is sent', { description: '' }, { description: '' }],
    [
      'the vendor block adds ports and spec',
      { vendor: { ports: [{ name: 'api', internalPort: 8000, protocol: 'HTTP' }], spec: { configuration: { revision: 'v2' } } } },
      { ports: [{ name: 'api', internalPort: 8000, protocol: 'HTTP' }], spec: { configuration: { revision: 'v2' } } },
    ],
    [
      'an explicit shmSize null is kept; bigints become numbers, exactly',
      { vendor: { spec: { configuration: { nodeConfiguration: { storage: { storageSize: 3000000000n, shmSize: null } } } } } },
      { spec: { configuration: { nodeConfiguration: { storage: { storageSize: 3000000000, shmSize: null } } } } },
    ],
    ['a vendor block cannot override common fields', { name: 'a-name', vendor: { name: 'other' } }, { name: 'a-name' }],
    ['nothing set → empty body', {}, {}],
    [
      'maxModelLength "auto" and integer pass through',
      { vendor: { spec: { configuration: { architecture: { workerConfig: { sequenceLengthConfig: { maxModelLength: 'auto', maxInputLength: 1024 } } } } } } },
      { spec: { configuration: { architecture: { workerConfig: { sequenceLengthConfig: { maxModelLength: 'auto', maxInputLength: 1024 } } } } } },
    ],
  ])('%s', (_reason, patch, body) => {
    expect(toVendorPatch(patch as never)).toEqual(body);
  });
});

const port = { name: 'api', internalPort: 8000, protocol: 'HTTP' };
const wc = (workerConfig: Record<string, unknown>) => ({ vendor: { spec: { configuration: { architecture: { workerConfig } } } } });
const storage = (s: Record<string, unknown>) => ({ vendor: { spec: { configuration: { nodeConfiguration: { storage: s } } } } });
const WC = ['northflank', 'spec', 'configuration', 'architecture', 'workerConfig'];
const ST = ['northflank', 'spec', 'configuration', 'nodeConfiguration', 'storage'];

describe('update rules of seeds 000/001 (validatePatch)', () => {
  it.each([
    ['name of 3 characters', { name: 'abc' }],
    ['name of 100 characters', { name: 'a'.repeat(100) }],
    ['name with single spaces and hyphens', { name: 'DeepSeek V3-prod 2' }],
    ['description of 1024 characters, any characters', { description: 'é\n'.repeat(512) }],
    ['empty description', { description: '' }],
    ['tags of 3 and 100 characters', { tags: ['abc', 'a'.repeat(100)] }],
    ['tag with hyphens', { tags: ['team-a-1'] }],
    ['port with every field', { vendor: { ports: [{ ...port, public: true, domains: ['api.models.example.com'], disableNfDomain: true }] } }],
    ['port name of 1 character', { vendor: { ports: [{ ...port, name: 'p' }] } }],
    ['port name of 8 characters', { vendor: { ports: [{ ...port, name: 'abcd-efg' }] } }],
    ['internalPort 1', { vendor: { ports: [{ ...port, internalPort: 1 }] } }],
    ['internalPort 65535', { vendor: { ports: [{ ...port, internalPort: 65535 }] } }],
    ['each protocol', { vendor: { ports: ['HTTP', 'HTTP/2', 'TCP', 'UDP'].map((protocol, i) => ({ ...port, name: `p${i}x`, protocol })) } }],
    ['engine vllm', { vendor: { spec: { configuration: { engine: 'vllm' } } } }],
    ['accessMode ReadWriteMany, storageClass nvme', storage({ accessMode: 'ReadWriteMany', storageClass: 'nvme', storageSize: 6144 })],
    ['storageClass of 39 characters', storage({ storageClass: 'a'.repeat(39) })],
    ['shmSize integer', storage({ shmSize: 1024 })],
    ['shmSize null (number | null in Northflank\u2019s types)', storage({ shmSize: null })],
    ['storageSize 3000000000 (beyond 32 bits)', storage({ storageSize: 3000000000 })],
    ['storageSize 0', storage({ storageSize: 0 })],
    ['storageSize as a bigint at the 64-bit limit', storage({ storageSize: 2n ** 63n - 1n })],
    ['a description of 512 emoji (1024 UTF-16 units)', { description: '\u{1F600}'.repeat(512) }],
    ['architecture aggregated', { vendor: { spec: { configuration: { architecture: { type: 'aggregated' } } } } }],
    ['maxModelLength "auto"', wc({ sequenceLengthConfig: { maxModelLength: 'auto' } })],
    ['maxModelLength integer', wc({ sequenceLengthConfig: { maxModelLength: 32768 } })],
    ['each dataType', wc({ dataType: 'bfloat16' })],
    ['dataType auto', wc({ dataType: 'auto' })],
    ['kvCacheDataType fp8_e4m3', wc({ kvCacheDataType: 'fp8_e4m3' })],
    ['quantization int4', wc({ quantization: 'int4' })],
    ['gpuMemoryUtilization is a float', wc({ gpuMemoryUtilization: 0.85 })],
    ['gpu block', { vendor: { spec: { configuration: { nodeConfiguration: { gpu: { enabled: true, configuration: { gpuType: 'h100', gpuCount: 2, timesliced: false } } } } } } }],
    ['an empty vendor block', { vendor: {} }],
  ])('accepts %s', (_reason, patch) => {
    expect(() => validatePatch(patch as never)).not.toThrow();
  });

  it.each([
    ['name of 2 characters', { name: 'ab' }, ['name'], 'min_length'],
    ['name of 101 characters', { name: 'a'.repeat(101) }, ['name'], 'max_length'],
    ['name with an underscore', { name: 'deep_seek' }, ['name'], 'pattern'],
    ['name with a leading hyphen', { name: '-deepseek' }, ['name'], 'pattern'],
    ['name with two spaces in a row', { name: 'deep  seek' }, ['name'], 'pattern'],
    ['description of 1025 characters', { description: 'x'.repeat(1025) }, ['description'], 'max_length'],
    ['tag of 2 characters', { tags: ['ok-tag', 'ab'] }, ['tags', 1], 'min_length'],
    ['tag of 101 characters', { tags: ['a'.repeat(101)] }, ['tags', 0], 'max_length'],
    ['tag with a space', { tags: ['two words'] }, ['tags', 0], 'pattern'],
    ['tag with a trailing hyphen', { tags: ['tag-'] }, ['tags', 0], 'pattern'],
    ['internalPort 70000 (seed 001 max)', { vendor: { ports: [{ ...port, internalPort: 70000 }] } }, ['northflank', 'ports', 0, 'internalPort'], 'max'],
    ['internalPort 0 (seed 001 min)', { vendor: { ports: [{ ...port, internalPort: 0 }] } }, ['northflank', 'ports', 0, 'internalPort'], 'min'],
    ['internalPort 80.5', { vendor: { ports: [{ ...port, internalPort: 80.5 }] } }, ['northflank', 'ports', 0, 'internalPort'], 'type'],
    ['port without internalPort', { vendor: { ports: [{ name: 'api', protocol: 'HTTP' }] } }, ['northflank', 'ports', 0, 'internalPort'], 'required'],
    ['port without name', { vendor: { ports: [{ internalPort: 80, protocol: 'HTTP' }] } }, ['northflank', 'ports', 0, 'name'], 'required'],
    ['port without protocol', { vendor: { ports: [{ name: 'api', internalPort: 80 }] } }, ['northflank', 'ports', 0, 'protocol'], 'required'],
    ['port name of 9 characters', { vendor: { ports: [{ ...port, name: 'abcdefghi' }] } }, ['northflank', 'ports', 0, 'name'], 'max_length'],
    ['port name starting with a digit', { vendor: { ports: [{ ...port, name: '8080' }] } }, ['northflank', 'ports', 0, 'name'], 'pattern'],
    ['empty port name', { vendor: { ports: [{ ...port, name: '' }] } }, ['northflank', 'ports', 0, 'name'], 'min_length'],
    ['protocol https', { vendor: { ports: [{ ...port, protocol: 'HTTPS' }] } }, ['northflank', 'ports', 0, 'protocol'], 'enum'],
    ['protocol in lower case', { vendor: { ports: [{ ...port, protocol: 'http' }] } }, ['northflank', 'ports', 0, 'protocol'], 'enum'],
    ['engine sglang', { vendor: { spec: { configuration: { engine: 'sglang' } } } }, ['northflank', 'spec', 'configuration', 'engine'], 'enum'],
    ['accessMode ReadWriteOnce', storage({ accessMode: 'ReadWriteOnce' }), [...ST, 'accessMode'], 'enum'],
    ['storageClass of 2 characters', storage({ storageClass: 'ab' }), [...ST, 'storageClass'], 'min_length'],
    ['storageClass of 40 characters', storage({ storageClass: 'a'.repeat(40) }), [...ST, 'storageClass'], 'max_length'],
    ['storageClass with an underscore', storage({ storageClass: 'fast_ssd' }), [...ST, 'storageClass'], 'pattern'],
    ['storageSize not an integer', storage({ storageSize: 10.5 }), [...ST, 'storageSize'], 'type'],
    ['storageSize -5 (a size is not negative)', storage({ storageSize: -5 }), [...ST, 'storageSize'], 'min'],
    ['shmSize -1', storage({ shmSize: -1 }), [...ST, 'shmSize'], 'min'],
    ['storageSize beyond 64 bits', storage({ storageSize: 2n ** 63n }), [...ST, 'storageSize'], 'max'],
    ['a description of 600 emoji: 600 code points but 1200 UTF-16 units', { description: '\u{1F600}'.repeat(600) }, ['description'], 'max_length'],
    ['architecture disaggregated', { vendor: { spec: { configuration: { architecture: { type: 'disaggregated' } } } } }, ['northflank', 'spec', 'configuration', 'architecture', 'type'], 'enum'],
    ['maxModelLength "max"', wc({ sequenceLengthConfig: { maxModelLength: 'max' } }), [...WC, 'sequenceLengthConfig', 'maxModelLength'], 'type'],
    ['maxModelLength "4096" (a string number)', wc({ sequenceLengthConfig: { maxModelLength: '4096' } }), [...WC, 'sequenceLengthConfig', 'maxModelLength'], 'type'],
    ['dataType float32', wc({ dataType: 'float32' }), [...WC, 'dataType'], 'enum'],
    ['kvCacheDataType fp16', wc({ kvCacheDataType: 'fp16' }), [...WC, 'kvCacheDataType'], 'enum'],
    ['quantization bitsandbytes', wc({ quantization: 'bitsandbytes' }), [...WC, 'quantization'], 'enum'],
    ['replicas not an integer', wc({ replicas: 1.5 }), [...WC, 'replicas'], 'type'],
    ['unknown key in the vendor block', { vendor: { replicas: 2 } }, ['northflank'], 'unknown_field'],
    ['unknown key deep in spec', { vendor: { spec: { type: 'custom' } } }, ['northflank', 'spec'], 'unknown_field'],
  ])('refuses %s', (_reason, patch, path, rule) => {
    let error: unknown;
    try {
      validatePatch(patch as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual(issues.map(() => path));
    expect(issues.map((i) => i.rule)).toContain(rule);
  });

  it('reports every broken rule at once', () => {
    try {
      validatePatch({ name: 'x', vendor: { ports: [{ ...port, internalPort: 0 }] } } as never);
      expect.unreachable();
    } catch (e) {
      expect((e as ValidationError).issues.map((i) => i.path)).toEqual([['name'], ['northflank', 'ports', 0, 'internalPort']]);
    }
  });

  it('the full update body schema refuses unknown top-level keys (what the simulator applies)', () => {
    expect(UpdateBodySchema.safeParse({ name: 'abc', status: 'running' }).success).toBe(false);
    expect(UpdateBodySchema.safeParse({ name: 'abc', spec: { configuration: {} } }).success).toBe(true);
  });
});

describe('planChanges', () => {
  it.each([
    ['a new name', { name: 'renamed' }, [{ field: 'name', before: 'deepseek-v3-deployment', after: 'renamed' }]],
    ['the same name is no change', { name: 'deepseek-v3-deployment' }, []],
    ['tags replaced', { tags: ['a-b', 'c-d'] }, [{ field: 'tags', before: ['llm'], after: ['a-b', 'c-d'] }]],
    [
      'one spec leaf per changed value, unchanged leaves left out',
      { spec: { configuration: { revision: 'main', nodeConfiguration: { storage: { storageClass: 'nvme', storageSize: 8192 } } } } },
      [{ field: 'northflank.spec.configuration.nodeConfiguration.storage.storageSize', before: 6144, after: 8192 }],
    ],
    ['a leaf not set before', { spec: { configuration: { architecture: { workerConfig: { replicas: 2 } } } } }, [{ field: 'northflank.spec.configuration.architecture.workerConfig.replicas', before: null, after: 2 }]],
    ['an empty object sets nothing', { spec: { configuration: {} } }, []],
    [
      'ports as a whole list',
      { ports: [{ name: 'api', internalPort: 8080, protocol: 'HTTP' }] },
      [{ field: 'northflank.ports', before: [{ name: 'api', internalPort: 8000, protocol: 'HTTP', public: true, disableNfDomain: undefined }], after: [{ name: 'api', internalPort: 8080, protocol: 'HTTP', public: undefined, disableNfDomain: undefined }] }],
    ],
  ])('%s', (_reason, body, changes) => {
    expect(planChanges(deepseek, body as never)).toEqual(changes);
  });
});

describe('showsUpdate (re-read after a lost answer)', () => {
  it.each([
    ['name applied', { name: 'deepseek-v3-deployment' }, true],
    ['name not applied', { name: 'other-name' }, false],
    ['spec leaf applied', { spec: { configuration: { nodeConfiguration: { storage: { storageSize: 6144 } } } } }, true],
    ['spec leaf not applied', { spec: { configuration: { nodeConfiguration: { storage: { storageSize: 1 } } } } }, false],
    ['ports applied; domains are not in the GET shape and not compared', { ports: [{ name: 'api', internalPort: 8000, protocol: 'HTTP', domains: ['a.models.example.com'] }] }, true],
    ['port number not applied', { ports: [{ name: 'api', internalPort: 9000, protocol: 'HTTP' }] }, false],
    ['port count differs', { ports: [] }, false],
    ['tags applied', { tags: ['llm'] }, true],
  ])('%s', (_reason, body, expected) => {
    expect(showsUpdate(deepseek, body as never)).toBe(expected);
  });
});

describe('reply checks (contract.ts): reading is more tolerant than writing', () => {
  const base = { id: 'a', projectId: 'p', name: 'abc', status: 'running' };
  it.each([
    ['a full resource', deepseek, 'readable'],
    ['the seed 002 minimum the adapter needs', base, 'readable'],
    ['a status word seed 002 does not list is kept', { ...base, status: 'stopped' }, 'readable'],
    ['a negative storageSize is kept', { ...base, spec: { type: 'custom', configuration: { nodeConfiguration: { storage: { storageSize: -5 } } } } }, 'readable'],
    ['no name', { id: 'a', projectId: 'p', status: 'running' }, 'readable'],
    ['a string', 'nope', 'unreadable'],
    ['no id', { projectId: 'p', name: 'abc', status: 'running' }, 'unreadable'],
    ['no projectId', { id: 'a', name: 'abc', status: 'running' }, 'unreadable'],
  ])('%s', (_reason, value, expected) => {
    expect(typeof readDeployment(value) === 'string' ? 'unreadable' : 'readable').toBe(expected);
  });

  it.each([
    ['status as a number', { ...base, status: 3 }, 'status'],
    ['tags not strings', { ...base, tags: [1] }, 'tags'],
    ['storageSize a string', { ...base, spec: { configuration: { nodeConfiguration: { storage: { storageSize: '6G' } } } } }, 'storageSize'],
  ])('a detail of the wrong type reads as absent: %s', (_reason, value, field) => {
    const d = readDeployment(value) as NorthflankDeployment;
    expect(typeof d).toBe('object');
    expect(JSON.stringify(d)).not.toContain(`"${field}":`);
  });

  it('keeps a negative size and an unknown word as they are', () => {
    const d = readDeployment({ ...base, status: 'stopped', spec: { configuration: { nodeConfiguration: { storage: { storageSize: -5 } } } } }) as NorthflankDeployment;
    expect(d.status).toBe('stopped');
    expect(d.spec?.configuration?.nodeConfiguration?.storage?.storageSize).toBe(-5);
  });

  it.each([
    ['hasNextPage without cursor', { data: { llmModelDeployments: [] }, pagination: { hasNextPage: true, count: 0 } }, 'says hasNextPage without a cursor'],
    ['no pagination', { data: { llmModelDeployments: [] } }, 'pagination'],
    ['items not a list', { data: { llmModelDeployments: {} }, pagination: { hasNextPage: false, count: 0 } }, 'data.llmModelDeployments'],
  ])('list reply: %s', (_reason, body, problem) => {
    expect(checkListReply(body)).toEqual(expect.stringContaining(problem));
  });

  it('a list with one unreadable item keeps its neighbours and names the bad one', () => {
    const r = checkListReply({ data: { llmModelDeployments: [deepseek, {}, base] }, pagination: { hasNextPage: false, count: 3 } });
    expect(typeof r).toBe('object');
    if (typeof r === 'string') return;
    expect(r.items.map((d) => d.id)).toEqual([deepseek.id, 'a']);
    expect(r.unreadable).toEqual([{ index: 1, problem: expect.stringContaining('id') }]);
  });
});

describe('64-bit values on the wire', () => {
  it('a storageSize beyond 2^53 is written as its exact digits in the JSON body', async () => {
    const { stringifyJson } = await import('../../src/http/client.js');
    const body = toVendorPatch({ vendor: { spec: { configuration: { nodeConfiguration: { storage: { storageSize: 2n ** 62n + 1n, shmSize: null } } } } } } as never);
    expect(stringifyJson(body)).toBe('{"spec":{"configuration":{"nodeConfiguration":{"storage":{"storageSize":4611686018427387905,"shmSize":null}}}}}');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorDetail, parseZStackError, sha512Hex } from './client.js';
import {
  ErrorCodeSchema,
  ModelInventorySchema,
  formatGsonDate,
  parseGsonDate,
  parseJsonLossless,
  UpdateModelBodySchema,
  wrapUpdateModelBody,
  type ModelInventory,
} from './contract.js';
import { changesOf, confirmWrite, fromVendor, STATUS_TABLE, toVendorPatch } from './mapping.js';

/** Seed 004's response example, as the wire carries it. */
const PAGE_EXAMPLE = `{ "inventory": { "uuid": "1bb3ef7d600d4d30b21b8ffd299c37b5", "name": "example", "description": "test model", "installPath": "/usr/local/test-model", "parameters": "test parameters", "modelCenterUuid": "ebf96ce1de2c46fa8af9d503c29bb93d", "logo": "BASE64data", "vendor": "ZStack", "modelId": "test-model-id", "introduction": "This is a md5 format string", "size": 1024000, "version": "CustomizeVersion", "type": "System", "minGpuMemory": 4295991296, "recommendedGpuMemory": 4295991296, "versionSemver": "1.0.0", "isLatestVersion": true, "artifactChecksum": "This is a sha256 format string", "artifactSizeBytes": 1024000, "architectureType": "Qwen3MoeForCausalLM", "frameworkVersion": "PyTorch 2.0.1+cu118", "requiredAccelerator": "cuda:12.1", "extraGpuMemRequest": 4294967296, "SAMPLE_SIZE": 1000 } }`;

const inventoryOf = (text: string): ModelInventory => {
  return ModelInventorySchema.parse((parseJsonLossless(text) as { inventory: unknown }).inventory);
};
const example = () => inventoryOf(PAGE_EXAMPLE);

describe('status table (DESIGN.md: ZStack models have no status)', () => {
  it.each<[keyof typeof STATUS_TABLE, string, string]>([
    ['present', 'READY', 'a model in the repository is READY'],
    ['gone', 'DELETED', 'a uuid the query no longer finds is gone'],
  ])('%s → %s (%s)', (word, status) => {
    expect(STATUS_TABLE[word]).toBe(status);
  });
});

describe('parseJsonLossless', () => {
  it.each([
    ['a Long beyond 2^53 stays exact', '{"size": 9007199254740993}', { size: '9007199254740993' }],
    ['Long.MAX_VALUE stays exact', '{"a":1,"artifactSizeBytes":9223372036854775807}', { a: 1, artifactSizeBytes: '9223372036854775807' }],
    ['nested in an inventories list', '{"inventories":[{"extraGpuMemRequest":4294967296 }]}', { inventories: [{ extraGpuMemRequest: '4294967296' }] }],
    ['other numbers stay numbers', '{"SAMPLE_SIZE": 1000, "recommendedGpuNum": [1,2]}', { SAMPLE_SIZE: 1000, recommendedGpuNum: [1, 2] }],
    ['a Long key inside a string is left alone', '{"description":"x\\",\\"size\\": 12","size":5}', { description: 'x","size": 12', size: '5' }],
    ['null Longs stay null', '{"minGpuMemory": null}', { minGpuMemory: null }],
  ])('%s', (_why, text, expected) => {
    expect(parseJsonLossless(text)).toEqual(expected);
  });

  it('throws on garbled JSON like JSON.parse', () => {
    expect(() => parseJsonLossless('{"inventories": [<<garbled>>')).toThrow(SyntaxError);
  });
});

describe('Gson dates (CONVENTIONS.md 3.3)', () => {
  it.each([
    ['the doc example', 'Jan 6, 2017 3:51:16 AM', '2017-01-06T03:51:16.000Z'],
    ['PM', 'Dec 3, 2025 10:12:44 PM', '2025-12-03T22:12:44.000Z'],
    ['12 AM is midnight', 'Mar 1, 2024 12:00:00 AM', '2024-03-01T00:00:00.000Z'],
    ['12 PM is noon', 'Mar 1, 2024 12:30:00 PM', '2024-03-01T12:30:00.000Z'],
    ['JDK 20+ narrow no-break space', 'Jan 6, 2017, 3:51:16\u202fAM', '2017-01-06T03:51:16.000Z'],
    ['ISO-8601 accepted too', '2025-01-02T03:04:05Z', '2025-01-02T03:04:05.000Z'],
  ])('parses %s', (_why, text, iso) => {
    expect(parseGsonDate(text)?.toISOString()).toBe(iso);
  });

  it.each([['garbage', 'yesterday'], ['empty', ''], ['null', null], ['bad month', 'Foo 6, 2017 3:51:16 AM']])('gives null for %s', (_why, v) => {
    expect(parseGsonDate(v)).toBeNull();
  });

  it('formats what it parses', () => {
    const t = Date.parse('2026-01-15T21:05:09Z');
    expect(formatGsonDate(t)).toBe('Jan 15, 2026 9:05:09 PM');
    expect(parseGsonDate(formatGsonDate(t))?.getTime()).toBe(t);
  });
});

describe('ModelInventory check', () => {
  it('accepts the page example and keeps its Longs as exact strings', () => {
    const inv = example();
    expect(inv).toMatchObject({ minGpuMemory: '4295991296', extraGpuMemRequest: '4294967296', size: '1024000', SAMPLE_SIZE: 1000 });
  });

  it.each([
    ['no uuid', { name: 'x' }],
    ['an upper-case uuid', { uuid: 'A'.repeat(32), name: 'x' }],
    ['not an object', 'model'],
  ])('cannot read a model with %s (it has no key)', (_why, value) => {
    expect(ModelInventorySchema.safeParse(value).success).toBe(false);
  });

  // Reading is more tolerant than writing: a value of the wrong type degrades to null, never the model.
  it.each([
    ['no name', { name: 42 }, 'name', ''],
    ['a Long as text', { size: 'big' }, 'size', null],
    ['a fractional Long', { minGpuMemory: 1.5 }, 'minGpuMemory', null],
    ['recommendedGpuNum not a list', { recommendedGpuNum: '1,2' }, 'recommendedGpuNum', null],
    ['modelServiceRefs of strings', { modelServiceRefs: ['a'] }, 'modelServiceRefs', []],
    ['isLatestVersion as a word', { isLatestVersion: 'yes' }, 'isLatestVersion', null],
    ['a name beyond every write rule', { name: 'n'.repeat(5000) }, 'name', 'n'.repeat(5000)],
    ['a negative Long', { size: -5 }, 'size', '-5'],
  ])('reads a model with %s', (_why, extra, field, expected) => {
    const c = ModelInventorySchema.safeParse({ uuid: 'a'.repeat(32), name: 'x', ...extra });
    expect(c.success).toBe(true);
    expect((c.data as Record<string, unknown>)[field]).toEqual(expected);
  });

  it.each([
    ['a safe JS number', 42, '42'],
    ['a string below 2^53', '42', '42'],
    ['a string beyond 2^53', '9223372036854775807', '9223372036854775807'],
    ['a bigint', 9223372036854775807n, '9223372036854775807'],
  ])('keeps a Long given as %s exact, as a decimal string', (_why, size, expected) => {
    expect(ModelInventorySchema.parse({ uuid: 'a'.repeat(32), name: 'x', size }).size).toBe(expected);
  });
});

describe('fromVendor', () => {
  const d = fromVendor({ ...example(), createDate: 'Dec 1, 2025 9:30:05 AM', lastOpDate: 'Dec 3, 2025 10:12:44 AM', recommendedGpuNum: [1, 2] }, 'zs', ['moe']);
  it.each([
    ['id is <backend>:<uuid>', d.id, 'zs:1bb3ef7d600d4d30b21b8ffd299c37b5'],
    ['nativeId is the uuid', d.nativeId, '1bb3ef7d600d4d30b21b8ffd299c37b5'],
    ['status READY while present', d.status, 'READY'],
    ['no vendor status word', d.vendorStatus, null],
    ['tags are the user tags', d.tags, ['moe']],
    ['version is lastOpDate ISO and a digest of the inventory (versionSemver never moves on UpdateModel)', d.version, expect.stringMatching(/^2025-12-03T10:12:44\.000Z~[0-9a-f]{12}$/)],
    ['createdAt from Gson createDate', d.createdAt?.toISOString(), '2025-12-01T09:30:05.000Z'],
    ['updatedAt from Gson lastOpDate', d.updatedAt?.toISOString(), '2025-12-03T10:12:44.000Z'],
    ['model name is modelId', d.model?.name, 'test-model-id'],
    ['model path is installPath', d.model?.path, '/usr/local/test-model'],
    ['model revision is versionSemver', d.model?.revision, '1.0.0'],
    ['no engine', d.model?.engine, null],
    ['gpuMemoryBytes is minGpuMemory as bigint', d.resources?.gpuMemoryBytes, 4295991296n],
    ['gpuCounts is recommendedGpuNum', d.resources?.gpuCounts, [1, 2]],
    ['gpuType is requiredAccelerator', d.resources?.gpuType, 'cuda:12.1'],
  ])('%s', (_why, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it.each([
    ['version starts with lastOpDate ISO', { versionSemver: null, lastOpDate: 'Jan 6, 2017 3:51:16 AM' }, 'version', expect.stringMatching(/^2017-01-06T03:51:16\.000Z~[0-9a-f]{12}$/)],
    ['model name falls back to name', { modelId: null }, 'model', { name: 'example', revision: '1.0.0', engine: null, path: '/usr/local/test-model' }],
    ['a Long beyond 2^53 is an exact bigint', { minGpuMemory: '9007199254740993' }, 'resources', expect.objectContaining({ gpuMemoryBytes: 9007199254740993n })],
  ])('%s', (_why, over, field, expected) => {
    const x = fromVendor({ ...example(), ...over } as ModelInventory, 'zs');
    expect(x[field as keyof typeof x]).toEqual(expected);
  });

  it('version moves with any field ZStack shows, even within the same second', () => {
    const base = fromVendor(example(), 'zs').version;
    expect(fromVendor(example(), 'zs').version).toBe(base);
    expect(fromVendor({ ...example(), description: 'changed' } as ModelInventory, 'zs').version).not.toBe(base);
    expect(fromVendor({ ...example(), name: 'renamed' } as ModelInventory, 'zs').version).not.toBe(base);
  });
});

describe('toVendorPatch', () => {
  it.each([
    ['common fields map to name/description/userTags', { name: 'n', description: 'd', tags: ['a'] }, { name: 'n', description: 'd', userTags: ['a'] }],
    ['nulls from GraphQL are dropped', { vendor: { name: null, installPath: '/p', clearDefaultModelService: null } }, { installPath: '/p' }],
    ['false is kept', { vendor: { clearDefaultModelService: false } }, { clearDefaultModelService: false }],
    ['an empty tag list is kept (clears tags)', { tags: [] }, { userTags: [] }],
    ['same value in both places is fine', { name: 'n', vendor: { name: 'n' } }, { name: 'n' }],
    [
      'every field, in the order of the page',
      {
        tags: ['u'],
        vendor: {
          systemTags: ['s'],
          clearDefaultModelService: true,
          modelId: 'm',
          gpuConstraintDescription: 'g',
          recommendedGpuNum: '1',
          modelClassifications: ['c'],
          modelCenterUuid: 'a'.repeat(32),
          parameters: 'p',
          vendor: 'v',
          description: 'd',
          installPath: '/i',
          name: 'n',
        },
      },
      {
        name: 'n',
        installPath: '/i',
        description: 'd',
        vendor: 'v',
        parameters: 'p',
        modelCenterUuid: 'a'.repeat(32),
        modelClassifications: ['c'],
        recommendedGpuNum: '1',
        gpuConstraintDescription: 'g',
        modelId: 'm',
        clearDefaultModelService: true,
        systemTags: ['s'],
        userTags: ['u'],
      },
    ],
  ])('%s', (_why, patch, body) => {
    const r = toVendorPatch(patch as never);
    expect(r.body).toEqual(body);
    expect(Object.keys(r.body)).toEqual(Object.keys(body));
    expect(r.conflicts).toEqual([]);
  });

  it('reports a conflict between a common field and the zstack block', () => {
    const r = toVendorPatch({ tags: ['a'], vendor: { userTags: ['b'] } } as never);
    expect(r.conflicts).toEqual([{ field: 'userTags', path: ['zstack', 'userTags'], message: 'tags and zstack.userTags set different values' }]);
  });

  it('remembers where each field came from', () => {
    expect(toVendorPatch({ name: 'n', vendor: { modelId: 'm' } } as never).origins).toEqual({ name: ['name'], modelId: ['zstack', 'modelId'] });
  });

  it('wraps as the RestServer wants (CONVENTIONS.md 0.1)', () => {
    expect(wrapUpdateModelBody({ name: 'n', userTags: ['u'], systemTags: ['s'] })).toEqual({ updateModel: { name: 'n' }, systemTags: ['s'], userTags: ['u'] });
    expect(wrapUpdateModelBody({ description: 'd' })).toEqual({ updateModel: { description: 'd' } });
  });
});

describe('UpdateModel body rules (seed 004 + CONVENTIONS.md 3.6 assumptions)', () => {
  it.each([
    ['every field of the page example', { name: 'n', installPath: '/p', description: 'd', vendor: 'v', parameters: 'p', modelCenterUuid: 'ebf96ce1de2c46fa8af9d503c29bb93d', modelClassifications: ['LLM'], recommendedGpuNum: '1,2,4', gpuConstraintDescription: 'g', modelId: 'm', defaultModelServiceUuid: '8c1f2a3b4d5e6f708192a3b4c5d6e7f8', systemTags: ['s'], userTags: ['u'] }],
    ['an empty body (all optional)', {}],
    ['an empty description (clearing it)', { description: '' }],
    ['a 255-char name', { name: 'x'.repeat(255) }],
    ['clearDefaultModelService alone', { clearDefaultModelService: true }],
    ['a single GPU count', { recommendedGpuNum: '8' }],
  ])('accepts %s', (_why, body) => {
    expect(UpdateModelBodySchema.safeParse(body).success).toBe(true);
  });

  it.each([
    ['an empty name', { name: '' }, 'name', 'too_small'],
    ['a 256-char name', { name: 'x'.repeat(256) }, 'name', 'too_big'],
    ['a 2049-char description', { description: 'x'.repeat(2049) }, 'description', 'too_big'],
    ['an empty installPath', { installPath: '' }, 'installPath', 'too_small'],
    ['an empty modelId', { modelId: '' }, 'modelId', 'too_small'],
    ['a dashed modelCenterUuid', { modelCenterUuid: 'ebf96ce1-de2c-46fa-8af9-d503c29bb93d' }, 'modelCenterUuid', 'invalid_format'],
    ['an upper-case defaultModelServiceUuid', { defaultModelServiceUuid: 'A'.repeat(32) }, 'defaultModelServiceUuid', 'invalid_format'],
    ['recommendedGpuNum as a number', { recommendedGpuNum: 2 }, 'recommendedGpuNum', 'invalid_type'],
    ['recommendedGpuNum with a zero', { recommendedGpuNum: '0,2' }, 'recommendedGpuNum', 'invalid_format'],
    ['recommendedGpuNum with spaces', { recommendedGpuNum: '1, 2' }, 'recommendedGpuNum', 'invalid_format'],
    ['clearDefaultModelService as a string', { clearDefaultModelService: 'true' }, 'clearDefaultModelService', 'invalid_type'],
    ['modelClassifications as a string', { modelClassifications: 'LLM' }, 'modelClassifications', 'invalid_type'],
    ['an empty user tag', { userTags: [''] }, 'userTags.0', 'too_small'],
    ['an unknown field', { engine: 'vllm' }, '', 'unrecognized_keys'],
    ['setting and clearing the default model service', { defaultModelServiceUuid: 'a'.repeat(32), clearDefaultModelService: true }, 'clearDefaultModelService', 'custom'],
  ])('refuses %s', (_why, body, field, code) => {
    const r = UpdateModelBodySchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path.join('.')).toBe(field);
    expect(r.error!.issues[0]!.code).toBe(code);
  });
});

describe('after an update: each field sent, as the re-read shows it (confirmWrite)', () => {
  const inv = { ...example(), recommendedGpuNum: [1, 2] };
  const reading = (tags: string[] | null, confirmsTags = false) => ({ tags, readsTags: true, confirmsTags });
  it.each<[string, Record<string, unknown>, ReturnType<typeof reading> | { tags: null; readsTags: false; confirmsTags: false }, Record<string, string>]>([
    ['a field that took', { description: 'test model' }, reading(['moe']), { description: 'CONFIRMED' }],
    ['a field that did not take', { description: 'new' }, reading(['moe']), { description: 'CONTRADICTED' }],
    ['recommendedGpuNum compared as a list', { recommendedGpuNum: '1,2' }, reading(null), { recommendedGpuNum: 'CONFIRMED' }],
    ['tags compared as a set', { userTags: ['b', 'a'] }, reading(['a', 'b']), { userTags: 'CONFIRMED' }],
    ['tags that did not come back: an assumption, not a failure', { userTags: ['c'] }, reading(['a']), { userTags: 'UNCONFIRMED' }],
    ['tags that did not come back, with confirmUserTags', { userTags: ['c'] }, reading(['a'], true), { userTags: 'CONTRADICTED' }],
    ['tags that could not be read', { userTags: ['c'] }, reading(null, true), { userTags: 'UNCONFIRMED' }],
    ['tags never read (readUserTags: false)', { userTags: ['c'] }, { tags: null, readsTags: false, confirmsTags: false }, { userTags: 'UNCONFIRMED' }],
    ['fields the inventory lacks', { modelClassifications: ['x'], systemTags: ['s'] }, reading([]), { modelClassifications: 'UNCONFIRMED', systemTags: 'UNCONFIRMED' }],
  ])('%s', (_why, body, tags, states) => {
    expect(Object.fromEntries(confirmWrite(body, inv, tags).map((f) => [f.field, f.state]))).toEqual(states);
  });

  it('lists before/after per field', () => {
    const d = fromVendor(inv, 'zs', ['moe']);
    expect(changesOf({ description: 'd', userTags: ['x'], recommendedGpuNum: '4' }, d)).toEqual([
      { field: 'description', before: 'test model', after: 'd' },
      { field: 'userTags', before: ['moe'], after: ['x'] },
      { field: 'recommendedGpuNum', before: [1, 2], after: [4] },
    ]);
  });
});

describe('ErrorCode (CONVENTIONS.md 3.5)', () => {
  const body = {
    error: {
      code: 'SYS.1006',
      description: 'Operation failed',
      details: 'cannot update model',
      opaque: { any: 'thing' },
      cause: { code: 'SYS.1000', description: 'internal', details: 'db', cause: { code: 'SYS.1001', description: 'timeout' } },
    },
  };
  it('parses the recursive shape', () => {
    expect(ErrorCodeSchema.safeParse(body.error).success).toBe(true);
  });

  it.each([
    ['an ErrorCode with its cause chain (opaque dropped)', JSON.stringify(body), {
      vendorCode: 'SYS.1006',
      message: 'SYS.1006 Operation failed: cannot update model',
      detail: { code: 'SYS.1006', description: 'Operation failed', details: 'cannot update model', elaboration: null, cause: { code: 'SYS.1000', description: 'internal', details: 'db', elaboration: null, cause: { code: 'SYS.1001', description: 'timeout', details: null, elaboration: null, cause: null } } },
    }],
    ['plain text 400', "missing header 'Authorization'", { message: "missing header 'Authorization'" }],
    ['plain text 500 exception', 'java.lang.NullPointerException', { message: 'java.lang.NullPointerException' }],
    ['empty body', '', undefined],
  ])('reads %s', (_why, text, facts) => {
    expect(parseZStackError(503, text)).toEqual(facts);
  });

  it('scrubs secrets from vendor text', () => {
    const secret = 'aaaabbbbccccddddeeeeffff00001111';
    const f = parseZStackError(503, JSON.stringify({ error: { code: 'ID.1001', details: `session ${secret} expired` } }), (s) => s.split(secret).join('[redacted]'));
    expect(JSON.stringify(f)).not.toContain(secret);
    expect(errorDetail({ code: 'X', details: secret }, (s) => s.replace(secret, '*')).details).toBe('*');
  });

  it('hashes passwords as lower-case SHA-512 hex (CONVENTIONS.md 3.2)', () => {
    expect(sha512Hex('password')).toBe(
      'b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86',
    );
  });
});

describe('fixtures', () => {
  it('every seed model reads with no field degraded, and fits the seed transcription', async () => {
    const { checkBody } = await import('./seed/validators.js');
    const fixtures = parseJsonLossless(readFileSync(new URL('./fixtures/models.json', import.meta.url), 'utf8')) as { inventory: unknown }[];
    expect(fixtures.length).toBeGreaterThanOrEqual(6);
    for (const f of fixtures) {
      const read = ModelInventorySchema.parse(f.inventory) as Record<string, unknown>;
      for (const [k, v] of Object.entries(f.inventory as Record<string, unknown>)) if (k !== 'modelServiceRefs') expect(read[k], k).toEqual(typeof v === 'number' && ['size', 'minGpuMemory', 'recommendedGpuMemory', 'artifactSizeBytes', 'extraGpuMemRequest'].includes(k) ? String(v) : v);
      expect(checkBody('ModelInventory', f.inventory).message).toBe('');
    }
  });
});

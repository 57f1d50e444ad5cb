import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSeedSchemas } from './seed-validator.js';

describe('seed schema problems', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-seed-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, schema: unknown) => writeFileSync(join(dir, name), JSON.stringify(schema));
  write('good.schema.json', { $id: 't/good', type: 'object', properties: { name: { type: 'string', maxLength: 3, 'x-source': 'seed 000' } }, additionalProperties: false });
  // Not JSON Schema: `type` must name a type.
  write('bad-meta.schema.json', { $id: 't/bad-meta', type: 'strng' });
  // Valid against the meta-schema, refused by strict mode: an unknown keyword.
  write('bad-strict.schema.json', { $id: 't/bad-strict', type: 'object', properties: {}, colour: 'red' });
  const folder = pathToFileURL(`${dir}/`);

  it('names each file that is not valid JSON Schema or does not compile, under either reading', () => {
    const problems = loadSeedSchemas(folder, ['good.schema.json', 'bad-meta.schema.json', 'bad-strict.schema.json']).schemaProblems();
    expect(problems.filter((p) => p.startsWith('t/bad-meta:'))).toHaveLength(2);
    expect(problems.filter((p) => p.startsWith('t/bad-strict:'))).toHaveLength(2);
    expect(problems.filter((p) => p.startsWith('t/good:'))).toEqual([]);
  });

  it('finds nothing in valid files, which check values as before', () => {
    const seed = loadSeedSchemas(folder, ['good.schema.json']);
    expect(seed.schemaProblems()).toEqual([]);
    expect(seed.check('t/good', { name: 'abc' })).toEqual([]);
    expect(seed.check('t/good', { name: 'abcd' })).toEqual([expect.objectContaining({ path: ['name'], keyword: 'maxLength' })]);
    expect(seed.check('t/good', { other: 1 })).toEqual([expect.objectContaining({ path: ['other'], keyword: 'additionalProperties' })]);
  });
});

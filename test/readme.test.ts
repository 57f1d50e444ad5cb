/** Every GraphQL example in the README is valid against the schema, so the docs cannot drift. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, validate } from 'graphql';
import { buildSchema } from '../src/graphql/schema.js';
import { builtInVendors } from '../adapters/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
const curlQueries = [...readme.matchAll(/-d '(\{"query":.*?\})'/g)].map((m) => JSON.parse(m[1]!).query as string);
const { schema } = buildSchema(builtInVendors);

describe('README examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(curlQueries.length).toBeGreaterThanOrEqual(2);
  });
  it.each([...blocks, ...curlQueries].map((b) => [b.split('\n')[0]!.slice(0, 60), b]))('%s', (_title, source) => {
    expect(validate(schema, parse(source)).map((e) => e.message)).toEqual([]);
  });
});

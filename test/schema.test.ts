import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printBuiltInSchema } from '../src/graphql/print-schema.js';

describe('schema/schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema` to update it)', () => {
    const committed = readFileSync(new URL('../schema/schema.graphql', import.meta.url), 'utf8');
    const built = printBuiltInSchema();
    if (committed !== built) {
      expect.fail('schema/schema.graphql is stale: run `npm run schema` and commit the result');
    }
    expect(committed).toBe(built);
  });
});

import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { builtInVendors } from '../../adapters/index.js';
import { buildSchema } from './schema.js';

/** The SDL of the built-in schema, as committed in schema/schema.graphql. */
export function printBuiltInSchema(): string {
  return `${printSchema(buildSchema(builtInVendors).schema)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = new URL('../../schema/schema.graphql', import.meta.url);
  mkdirSync(new URL('.', out), { recursive: true });
  writeFileSync(out, printBuiltInSchema());
  console.log(`wrote ${fileURLToPath(out)}`);
}

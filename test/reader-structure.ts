/**
 * The structure of a hot-path reader (src/domain/reader.ts) and of the zod schema it mirrors, as
 * lines such as `.spec?.configuration?.name?: string`, so a test can require them to be equal: a
 * key the generated replies never hold (a field one side has and the other lacks) still shows.
 */
import type { z } from 'zod';
import * as R from '../src/domain/reader.js';

const LEAVES = new Map<unknown, string>([
  [R.string, 'string'],
  [R.boolean, 'boolean'],
  [R.wholeNumber, 'number'],
]);

export function readerStructure(read: R.Reader<unknown>, path = '', out: string[] = []): string[] {
  const parts = read.parts;
  if (!parts) out.push(`${path}: ${LEAVES.get(read) ?? 'an unknown reader'}`);
  else if ('nullable' in parts) readerStructure(parts.nullable, `${path} | null`, out);
  else if ('array' in parts) readerStructure(parts.array, `${path}[]`, out);
  else {
    out.push(`${path}: loose object`);
    for (const [key, field] of Object.entries(parts.object)) readerStructure(field.read, `${path}.${key}${field.lenient ? '?' : ''}`, out);
  }
  return out;
}

type Any = z.ZodType & { def: { type: string; catchall?: { def: { type: string } } } };

export function schemaStructure(schema: z.ZodType, path = '', out: string[] = []): string[] {
  const s = schema as Any & Record<string, unknown>;
  const t = s.def.type;
  if (t === 'nullable') schemaStructure((s as unknown as z.ZodNullable).unwrap() as z.ZodType, `${path} | null`, out);
  else if (t === 'array') schemaStructure((s as unknown as z.ZodArray).element as z.ZodType, `${path}[]`, out);
  else if (t === 'object') {
    out.push(`${path}: ${s.def.catchall?.def.type === 'unknown' ? 'loose object' : 'object of another kind'}`);
    for (const [key, field] of Object.entries((s as unknown as z.ZodObject).shape)) {
      const f = field as Any;
      // `schema.optional().catch(undefined)`, the lenient field.
      const lenient = f.def.type === 'catch' && ((f as unknown as z.ZodCatch).unwrap() as Any).def.type === 'optional';
      const inner = lenient ? ((f as unknown as z.ZodCatch).unwrap() as z.ZodOptional).unwrap() : f;
      schemaStructure(inner as z.ZodType, `${path}.${key}${lenient ? '?' : ''}`, out);
    }
  } else out.push(`${path}: ${t}`);
  return out;
}

import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * The seed transcription (bodies.schema.json, operations.json) compiled with ajv. This file is
 * the simulator's only reading of the contract: it imports nothing of the adapter.
 *
 * Lengths count UTF-16 code units, as ZStack does (Java `String.length()`): ajv's `unicode: false`.
 */

const read = (name: string): unknown => JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8'));

export const bodiesSchema = read('bodies.schema.json') as { $id: string; $defs: Record<string, unknown> };

export interface SeedOperation {
  method: string;
  path: string;
  auth?: boolean;
  assumption?: string;
  params?: Record<string, unknown>;
  contentType?: string;
  request?: string;
  wrappedRequest?: string;
  responses: Record<string, string | null>;
  countResponse?: string;
  source: string;
}

export const seedOperations = read('operations.json') as {
  base: string;
  operations: Record<string, SeedOperation>;
  errorCodes: Record<string, string>;
};

/**
 * The schemas are not checked against the JSON Schema meta-schema here: that check costs more than
 * everything else the simulator does to start, and the files do not change at run time. It runs in
 * the tests instead (transcriptionProblems), which also compile every body and parameter schema.
 */
function makeAjv(checkSchemas: boolean): Ajv {
  const ajv = new Ajv({
    // `unicode: false` is ajv's (deprecated but supported) switch to String#length; ajv warns about it once.
    unicode: false,
    allErrors: true,
    strict: true,
    // allOf parts and `not` carry keywords without repeating `type`.
    strictTypes: false,
    validateSchema: checkSchemas,
    logger: { log: () => {}, warn: (...args: unknown[]) => void (String(args[0]).includes('option unicode') ? undefined : console.warn(...args)), error: console.error },
  });
  // ajv-formats is CommonJS; its ESM default is the module object whose `default` is the plugin.
  addFormats.default(ajv);
  ajv.addVocabulary(['x-assumption']);
  ajv.addSchema(bodiesSchema);
  return ajv;
}

const ajv = makeAjv(false);

const compiled = new Map<string, ValidateFunction>();

/** The validator of one body schema of bodies.schema.json (`$defs` name). */
export function bodyValidator(name: string): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    if (!(name in bodiesSchema.$defs)) throw new Error(`no body schema ${name} in bodies.schema.json`);
    v = ajv.getSchema(`${bodiesSchema.$id}#/$defs/${name}`)!;
    compiled.set(name, v);
  }
  return v;
}

const absolute = (schema: unknown): unknown =>
  JSON.parse(JSON.stringify(schema).replaceAll('"bodies.schema.json#', `"${bodiesSchema.$id}#`));

/** The validator of a path parameter of an operation of operations.json. */
export function paramValidator(operation: string, param: string): ValidateFunction {
  const key = `${operation}.${param}`;
  let v = compiled.get(key);
  if (!v) {
    const schema = seedOperations.operations[operation]?.params?.[param];
    if (!schema) throw new Error(`no parameter ${param} of ${operation} in operations.json`);
    v = ajv.compile(absolute(schema) as object);
    compiled.set(key, v);
  }
  return v;
}

/**
 * What is wrong with the transcription: bodies.schema.json or a parameter schema of operations.json
 * not valid against the meta-schema, or a schema that does not compile (strict mode). Empty when
 * nothing is.
 */
export function transcriptionProblems(): string[] {
  let checking: Ajv;
  try {
    checking = makeAjv(true);
  } catch (err) {
    return [`bodies.schema.json: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  const attempt = (what: string, f: () => unknown) => {
    try {
      f();
    } catch (err) {
      problems.push(`${what}: ${(err as Error).message}`);
    }
  };
  for (const name of Object.keys(bodiesSchema.$defs)) attempt(`bodies.schema.json#/$defs/${name}`, () => checking.getSchema(`${bodiesSchema.$id}#/$defs/${name}`));
  for (const [operation, op] of Object.entries(seedOperations.operations)) {
    for (const [param, schema] of Object.entries(op.params ?? {})) attempt(`operations.json ${operation}.${param}`, () => checking.compile(absolute(schema) as object));
  }
  return problems;
}

export interface SeedCheck {
  ok: boolean;
  /** The first failing field (top-level body key), when there is one. */
  field: string | null;
  message: string;
  errors: ErrorObject[];
}

/** Validates `value` against a body schema; on failure names the field the way ZStack's SYS.1007 does. */
export function checkBody(name: string, value: unknown): SeedCheck {
  const v = bodyValidator(name);
  if (v(value)) return { ok: true, field: null, message: '', errors: [] };
  const errors = v.errors ?? [];
  const first = errors.find((e) => e.instancePath !== '' || e.keyword === 'additionalProperties') ?? errors[0];
  const segments = (first?.instancePath ?? '').split('/').filter(Boolean);
  const notSetAndClear = (bodiesSchema.$defs.notSetAndClear as { not: { required: string[] } }).not.required[0]!;
  const field =
    first?.keyword === 'not'
      ? notSetAndClear
      : first?.keyword === 'additionalProperties' && segments.length <= 1
      ? String((first.params as { additionalProperty?: string }).additionalProperty ?? segments[0] ?? '')
      : (segments.find((s) => s !== 'updateModel') ?? null);
  return { ok: false, field: field || null, message: first ? `${first.instancePath || '/'} ${first.message ?? 'is invalid'}` : 'is invalid', errors };
}

/** The Java `Long` fields of ModelInventory, read from the schema (those that refer to `long`). */
export function longFields(): string[] {
  const props = (bodiesSchema.$defs.ModelInventory as { properties: Record<string, { $ref?: string }> }).properties;
  return Object.entries(props)
    .filter(([, s]) => s.$ref === '#/$defs/long')
    .map(([k]) => k);
}

/** The UpdateModel body fields the page lists (flat body keys, tags included). */
export function updateModelKeys(): string[] {
  const req = bodiesSchema.$defs.UpdateModelRequest as { allOf: { properties?: Record<string, unknown> }[] };
  return Object.keys(req.allOf.find((s) => s.properties)!.properties!);
}

import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Validation from a vendor folder's JSON Schema transcription of its seed pages (adapters/<v>/seed/),
 * for the simulators: they never use an adapter's zod schemas.
 *
 * String lengths: where a vendor does not say how it counts, a value must pass under both readings,
 * Unicode code points (JSON Schema's own rule) and UTF-16 code units (JavaScript and Java strings),
 * so two compiled validators run and both must accept.
 */

// ajv-formats is CommonJS with `exports.default`; under ESM the default import is the module object.
const addFormats = addFormatsModule.default;

export interface SeedIssue {
  /** Path into the validated value, e.g. `["ports", 0, "internalPort"]`. */
  path: (string | number)[];
  /** JSON Schema keyword that failed: type, pattern, maxLength, minimum, enum, required, additionalProperties … */
  keyword: string;
  message: string;
}

export interface SeedValidator {
  /** Issues of `value` against schema `$id`; empty when both readings accept it. */
  check(id: string, value: unknown): SeedIssue[];
  /** The raw schema by `$id`. */
  schema(id: string): Record<string, unknown>;
  /** What is wrong with the schema files: not valid against the meta-schema, or not compiling (strict mode) under either reading. Empty when nothing is. */
  schemaProblems(): string[];
}

/**
 * The schemas are not checked against the JSON Schema meta-schema here: that check costs more than
 * everything else a simulator does to start, and the files do not change at run time. It runs in
 * the tests instead (SeedValidator.schemaProblems), which also compile every schema.
 */
function makeAjv(countCodePoints: boolean, checkSchemas = false): Ajv {
  // `unicode: false` counts UTF-16 code units (deprecated option, still honoured by ajv 8); logger off
  // keeps the deprecation notice out of test output.
  const ajv = new Ajv({ allErrors: true, strict: true, logger: false, validateSchema: checkSchemas, ...(countCodePoints ? {} : { unicode: false }) });
  addFormats(ajv);
  // Annotations of the transcriptions: where a rule comes from, what is assumed, the route table.
  for (const keyword of ['x-source', 'x-assumption', 'x-routes', 'x-team-form', 'x-note']) ajv.addKeyword({ keyword });
  return ajv;
}

function issuesOf(errors: ErrorObject[] | null | undefined): SeedIssue[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (e.keyword === 'additionalProperties') path.push((e.params as { additionalProperty: string }).additionalProperty);
    if (e.keyword === 'required') path.push((e.params as { missingProperty: string }).missingProperty);
    return { path, keyword: e.keyword, message: e.message ?? e.keyword };
  });
}

/**
 * Loads the given schema files (JSON, each with an `$id`) from a folder URL. The validators are
 * made on the first check (a simulator that is never sent a body to check never builds them).
 */
export function loadSeedSchemas(folder: URL, files: string[]): SeedValidator {
  const schemas = files.map((f) => JSON.parse(readFileSync(new URL(f, folder), 'utf8')) as Record<string, unknown> & { $id: string });
  let readings: [Ajv, Ajv] | null = null;
  const ajvs = () => {
    if (!readings) {
      const byCodePoint = makeAjv(true);
      const byUnit = makeAjv(false);
      for (const s of schemas) {
        byCodePoint.addSchema(s);
        byUnit.addSchema(s);
      }
      readings = [byCodePoint, byUnit];
    }
    return readings;
  };
  const compiled = new Map<string, [ValidateFunction, ValidateFunction]>();
  const get = (id: string) => {
    let pair = compiled.get(id);
    if (!pair) {
      const [byCodePoint, byUnit] = ajvs();
      const a = byCodePoint.getSchema(id);
      const b = byUnit.getSchema(id);
      if (!a || !b) throw new Error(`no seed schema ${id}`);
      pair = [a, b];
      compiled.set(id, pair);
    }
    return pair;
  };
  return {
    check(id, value) {
      const [a, b] = get(id);
      if (!a(value)) return issuesOf(a.errors);
      if (!b(value)) return issuesOf(b.errors);
      return [];
    },
    schema(id) {
      const s = schemas.find((x) => x.$id === id);
      if (!s) throw new Error(`no seed schema ${id}`);
      return s;
    },
    schemaProblems() {
      const problems: string[] = [];
      for (const countCodePoints of [true, false]) {
        const ajv = makeAjv(countCodePoints, true);
        const added = schemas.filter((s) => {
          try {
            ajv.addSchema(s);
            return true;
          } catch (err) {
            problems.push(`${s.$id}: ${(err as Error).message}`);
            return false;
          }
        });
        for (const s of added) {
          try {
            ajv.getSchema(s.$id);
          } catch (err) {
            problems.push(`${s.$id}: ${(err as Error).message}`);
          }
        }
      }
      return problems;
    },
  };
}

/**
 * Readers for the vendor replies on the hot path (every item of a list): each mirrors one zod
 * schema of an adapter's contract.ts, which stays the definition of the shape, and gives what
 * `schema.safeParse(v)` gives when it succeeds — the same value, with the same keys in the same
 * order — or FAIL where it fails. A property test per reader (adapters/<vendor>/reader.test.ts)
 * holds it to its schema, structure and generated replies both.
 *
 * zod builds two objects per field it checks, about 9 µs for one Northflank AI model; a reader
 * builds only the result. Each object and array reader is compiled for its shape (as zod's own
 * object parser is), so that its checks and stores are specialised to the keys it knows: written
 * as one generic loop, the same work cost 7 µs.
 *
 * The combinators cover what the lenient read schemas use: `z.looseObject` (unknown keys kept,
 * `__proto__` dropped), `schema.optional().catch(undefined)` (a wrong-typed value reads as
 * absent), strings, booleans, whole numbers, nullable values and arrays.
 */

/** What a reader returns where the schema would report an issue. */
export const FAIL: unique symbol = Symbol('unreadable');
/** A reader; `parts` tells what it is made of, for the tests that compare it with its schema. */
export type Reader<T> = ((v: unknown) => T | typeof FAIL) & { parts?: ReaderParts };
export type ReaderParts = { object: Record<string, Field<unknown>> } | { array: Reader<unknown> } | { nullable: Reader<unknown> };

/** A field of a loose object: required (as its reader says), or lenient. */
export interface Field<T> {
  read: Reader<T>;
  lenient: boolean;
}

/** The test a reader makes, as an expression over `x`, where it is simple enough to inline. */
const inline = new WeakMap<Reader<unknown>, string>();

function leaf<T>(test: string): Reader<T> {
  const read = new Function('FAIL', `return (x) => (${test} ? x : FAIL);`)(FAIL) as Reader<T>;
  inline.set(read, test);
  return read;
}

/** `z.string()` */
export const string = leaf<string>(`typeof x === 'string'`);
/** `z.boolean()` */
export const boolean = leaf<boolean>(`typeof x === 'boolean'`);
/** `z.number().refine(Number.isInteger)`: a number that is whole (so finite, as z.number() wants). */
export const wholeNumber = leaf<number>(`typeof x === 'number' && Number.isInteger(x)`);

/** Compiles `body` (over `v`) with `refs` in scope under their names. */
function compile<T>(refs: Map<unknown, string>, body: string): Reader<T> {
  return new Function(...refs.values(), `return (v) => {\n${body}\n};`)(...refs.keys()) as Reader<T>;
}

/** Code that reads `x` with `read` into `x`, or runs `onFail` (a statement) where it fails. */
function readInto(read: Reader<unknown>, refs: Map<unknown, string>, onFail: string): string {
  const test = inline.get(read);
  if (test !== undefined) return `if (!(${test})) ${onFail}`;
  if (!refs.has(read)) refs.set(read, `r${refs.size}`);
  return `x = ${refs.get(read)}(x); if (x === FAIL) ${onFail}`;
}

/** `schema.nullable()` */
export function nullable<T>(read: Reader<T>): Reader<T | null> {
  const test = inline.get(read);
  const reader = test !== undefined ? leaf<T | null>(`(x === null || (${test}))`) : (v: unknown) => (v === null ? null : read(v));
  return Object.assign(reader, { parts: { nullable: read as Reader<unknown> } });
}

/**
 * `z.array(schema)`: the items read, or FAIL when one fails. The input itself when every item
 * reads as itself (as it does for a vendor's JSON that keeps its contract): a copy is made only
 * from the first item that reads as something else.
 */
export function array<T>(read: Reader<T>): Reader<T[]> {
  const refs = new Map<unknown, string>([[FAIL, 'FAIL']]);
  const item = readInto(read, refs, 'return FAIL;');
  const reader = compile<T[]>(
    refs,
    `if (!Array.isArray(v)) return FAIL;
    let out = null;
    let x;
    for (let i = 0; i < v.length; i++) {
      x = v[i];
      ${item}
      if (out !== null) out[i] = x;
      else if (x !== v[i] || !(i in v)) {
        out = new Array(v.length);
        for (let j = 0; j < i; j++) out[j] = v[j];
        out[i] = x;
      }
    }
    return out === null ? v : out;`,
  );
  return Object.assign(reader, { parts: { array: read as Reader<unknown> } });
}

/**
 * `schema.optional().catch(undefined)`: absent stays absent; present, the value read, or
 * undefined (the key kept) when it cannot be read.
 */
export function lenient<T>(read: Reader<T>): Field<T | undefined> {
  return { read, lenient: true };
}

/** A required field: absent or unreadable, the whole object is. */
export function required<T>(read: Reader<T>): Field<T> {
  return { read, lenient: false };
}

/**
 * `z.looseObject(shape)`: an object that is not an array; the shape's keys first, in shape
 * order, then every other key of the input in its own order (values as they are), except
 * `__proto__` (which would replace the result's prototype).
 *
 * That is the input itself when it is a plain object whose fields all read as themselves and
 * whose keys already come in that order, as a vendor's JSON that keeps its contract does: then
 * nothing is allocated (a list of fifty items is read without a copy of each). Otherwise a copy.
 */
export function looseObject(shape: Record<string, Field<unknown>>): Reader<Record<string, unknown>> {
  const keys = Object.keys(shape);
  if (keys.includes('__proto__')) throw new Error('a reader cannot have a `__proto__` field (zod does not read it either)');
  const refs = new Map<unknown, string>([[FAIL, 'FAIL'], [Object.prototype, 'PLAIN']]);
  const reads = keys.map((key, i) => {
    const k = JSON.stringify(key);
    const { read, lenient } = shape[key]!;
    return lenient
      ? `const p${i} = ${k} in v; let f${i}; if (p${i}) { x = v[${k}]; ${readInto(read, refs, 'x = undefined;')} f${i} = x; if (x !== v[${k}]) same = false; }`
      : `if (!(${k} in v)) return FAIL; x = v[${k}]; ${readInto(read, refs, 'return FAIL;')} const f${i} = x; if (x !== v[${k}]) same = false;`;
  });
  const stores = keys.map((key, i) => (shape[key]!.lenient ? `if (p${i}) out[${JSON.stringify(key)}] = f${i};` : `out[${JSON.stringify(key)}] = f${i};`));
  const reader = compile<Record<string, unknown>>(
    refs,
    `if (typeof v !== 'object' || v === null || Array.isArray(v)) return FAIL;
    let x;
    let same = Object.getPrototypeOf(v) === PLAIN;
    ${reads.join('\n    ')}
    if (same) {
      // The shape's keys first, in its order, then the others; no own __proto__.
      let at = -1;
      let other = false;
      for (const key in v) {
        switch (key) {
          ${keys.map((k, i) => `case ${JSON.stringify(k)}: if (other || at >= ${i}) same = false; at = ${i}; break;`).join('\n          ')}
          case '__proto__': same = false; break;
          default: other = true;
        }
        if (!same) break;
      }
      if (same) return v;
    }
    const out = {};
    ${stores.join('\n    ')}
    for (const key in v) {
      switch (key) {
        ${[...keys, '__proto__'].map((k) => `case ${JSON.stringify(k)}:`).join(' ')}
          continue;
      }
      out[key] = v[key];
    }
    return out;`,
  );
  return Object.assign(reader, { parts: { object: shape } });
}

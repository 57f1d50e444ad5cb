/**
 * Hostile update inputs shaped by a seed JSON Schema (adapters/<vendor>/seed/*.schema.json): mostly
 * near the rules (boundary lengths under both ways of counting, boundary and 64-bit integers,
 * enum values and near misses), with unicode, astral, combining and control characters, lone
 * surrogates, nulls, wrong types and unknown keys mixed in.
 */
import fc from 'fast-check';

type Schema = Record<string, unknown>;

/**
 * fast-check's 'binary' string unit (any code point but a lone surrogate) as fast-check builds it —
 * mapToConstant over the same two ranges is this fc.nat mapped the same way, so it draws the same
 * characters from the same seed — but with its reverse mapping computed: fast-check's own
 * tabulates all 1,112,064 characters (1.7 s of CPU) the first time a string of it is made, only
 * to find which of its "dangerous strings" (`__proto__`, `constructor` …) the unit can build.
 */
export const binaryUnit: fc.Arbitrary<string> = fc.nat({ max: 0x10ffff - 0x800 }).map(
  (i) => String.fromCodePoint(i < 0xd800 ? i : i + 0x800),
  (v) => {
    const cp = typeof v === 'string' ? v.codePointAt(0) : undefined;
    if (cp === undefined || (cp >= 0xd800 && cp <= 0xdfff) || String.fromCodePoint(cp) !== v) throw new Error('not one code point');
    return cp < 0xd800 ? cp : cp - 0x800;
  },
);

const EMOJI = '\u{1F600}';
const HOSTILE_STRINGS = [
  '', ' ', '\u0000', '\t', '\n', '\r\n', '\u0007', '\u001f', '\u007f', '\u0085', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u202e',
  'e\u0301', 'a\u0308\u0301', '\u0301', EMOJI, `${EMOJI}${EMOJI}`, '\u{1F469}\u200d\u{1F4BB}', '\ud800', '\udfff', 'x\ud83d', '\u{10FFFF}',
  'İ', 'ß', 'ﬀ', '٣', '..', '/', '%2e', 'a b', 'a  b', 'a-', '-a', 'a--b', 'A', 'ab', 'abc', 'a_b', 'a.b', 'auto', 'Auto', '4096',
  'constructor', 'toString', 'null', 'true',
];
const BOUNDARY_INTS = [
  0, -0, 1, -1, -5, 2, 7, 8, 255, 256, 1023, 1024, 65535, 65536, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 3_000_000_000, 2 ** 32,
  Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 2 ** 53 + 2, 2 ** 60, 2 ** 63 - 1024, 2 ** 63, -(2 ** 63), -(2 ** 63) - 2048, 2 ** 64, 1e20, 1e300, -1e300,
];
const ODD_NUMBERS = [0.5, -0.5, 1.5, 1e-300, Number.EPSILON, 0.1 + 0.2, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity];
const UNKNOWN_KEYS = ['status', 'type', 'id', 'extra', 'Name', 'name ', 'spec', 'constructor', 'toString', 'valueOf', '$ref', '', '\u0000', EMOJI];

/** Any JSON-ish value: the wrong type for wherever it lands. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(...BOUNDARY_INTS, ...ODD_NUMBERS),
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constant([]),
  fc.constant({}),
  fc.constant([null]),
  fc.constant({ a: 1 }),
);

/** Strings with every kind of character, including lone surrogates. */
const wildString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: binaryUnit, maxLength: 12 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 3 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 4 }),
);

/** Puts `key` on `obj` as an own data property (even `__proto__`-like names stay plain keys). */
function put(obj: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function resolve(schema: Schema, root: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const target = ref.replace(/^#\//, '').split('/').reduce<unknown>((o, k) => (o as Schema)[k], root) as Schema;
  const { $ref: _r, ...rest } = schema;
  return { ...resolve(target, root), ...rest };
}

/** How often a generated value leaves the rules: `shaped` is the weight of a value of the schema's shape against each odd one. */
export interface Noise {
  shaped: number;
  /** An object gets an unknown key once in `unknownKeyFreq`. */
  unknownKeyFreq: number;
}
export const NOISY: Noise = { shaped: 12, unknownKeyFreq: 8 };
export const QUIET: Noise = { shaped: 400, unknownKeyFreq: 200 };

function stringArb(s: Schema, noise: Noise): fc.Arbitrary<string> {
  const min = (s.minLength as number | undefined) ?? 0;
  const max = s.maxLength as number | undefined;
  const pattern = typeof s.pattern === 'string' ? new RegExp(s.pattern) : null;
  const valid = pattern ? fc.stringMatching(pattern).map((v) => (max !== undefined ? v.slice(0, max) : v)) : fc.string({ unit: 'grapheme', maxLength: 20 });
  const options: fc.Arbitrary<string>[] = [valid, valid, wildString];
  const validWeight = noise === NOISY ? 2 : 60;
  if (Array.isArray(s.enum)) return fc.oneof({ weight: validWeight, arbitrary: fc.constantFrom(...(s.enum as string[])) }, wildString, fc.constantFrom(...(s.enum as string[])).map((v) => v.toUpperCase()));
  if (Array.isArray(s.enum)) options.push(fc.constantFrom(...(s.enum as string[])), fc.constantFrom(...(s.enum as string[])).map((v) => v.toUpperCase()));
  // Boundary lengths of a unit the pattern accepts ("a"), and of astral and combining characters.
  const lengths = [min - 1, min, min + 1, ...(max !== undefined ? [max - 1, max, max + 1, Math.floor(max / 2), Math.floor(max / 2) + 1] : [])].filter((n) => n >= 0);
  if (lengths.length) {
    options.push(
      fc.constantFrom(...lengths).map((n) => 'a'.repeat(n)),
      fc.constantFrom(...lengths).map((n) => EMOJI.repeat(n)),
      fc.constantFrom(...lengths).map((n) => 'e\u0301'.repeat(Math.ceil(n / 2)).slice(0, n)),
      fc.constantFrom(...lengths).map((n) => `${'a'.repeat(Math.max(0, n - 1))}${EMOJI}`),
      fc.constantFrom(...lengths).map((n) => `${'a'.repeat(Math.max(0, n - 2))}\u0000\n`),
    );
  }
  return fc.oneof({ weight: validWeight, arbitrary: valid }, ...options.map((arbitrary) => ({ weight: 1, arbitrary })));
}

function intArb(s: Schema, noise: Noise): fc.Arbitrary<number> {
  const near = [s.minimum, s.maximum, s.exclusiveMaximum].filter((v): v is number => typeof v === 'number').flatMap((v) => [v - 1, v, v + 1]);
  const low = typeof s.minimum === 'number' ? Math.max(s.minimum, -1e6) : -1e6;
  const high = typeof s.maximum === 'number' ? Math.min(s.maximum, 1e9) : 1e9;
  return fc.oneof(
    { weight: noise === NOISY ? 1 : 40, arbitrary: fc.integer({ min: low, max: high }) },
    { weight: 1, arbitrary: fc.constantFrom(...BOUNDARY_INTS, ...near) },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.integer({ min: -10, max: 10 }) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_NUMBERS) },
    { weight: 1, arbitrary: fc.double() },
  );
}

/**
 * An arbitrary for values of `schema`: usually of its shape, sometimes null, another type, or with
 * unknown keys. `depth` bounds nesting.
 */
export function fromSchema(schema: Schema, root: Schema = schema, noise: Noise = NOISY, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema, root);
  let shaped: fc.Arbitrary<unknown>;
  if (Array.isArray(s.anyOf)) {
    shaped = fc.oneof(...(s.anyOf as Schema[]).map((b) => fromSchema(b, root, noise, depth)));
  } else if (s.type === 'object') {
    const props = Object.entries((s.properties ?? {}) as Record<string, Schema>);
    const required = new Set((s.required ?? []) as string[]);
    // A required field is left out once in `shaped` times; an optional one half the time.
    const fields = props.map(([k, v]) =>
      fc
        .oneof(
          { weight: required.has(k) ? noise.shaped : 1, arbitrary: fromSchema(v, root, noise, depth + 1) },
          { weight: 1, arbitrary: fc.constant(undefined) },
        )
        .map((x) => [k, x] as const),
    );
    const extra = fc.oneof(
      { weight: noise.unknownKeyFreq - 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.constantFrom(...UNKNOWN_KEYS), fc.string({ maxLength: 6 })), anyValue) },
    );
    shaped = fc.tuple(fc.tuple(...fields), extra).map(([entries, unknown]) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of entries) if (v !== undefined) put(out, k, v);
      if (unknown && !(unknown[0] in out)) put(out, unknown[0], unknown[1]);
      return out;
    });
  } else if (s.type === 'array') {
    shaped = fc.array(fromSchema((s.items ?? {}) as Schema, root, noise, depth + 1), { maxLength: depth > 1 ? 2 : 4 });
  } else if (s.type === 'string') {
    shaped = stringArb(s, noise);
  } else if (s.type === 'integer') {
    shaped = intArb(s, noise);
  } else if (s.type === 'number') {
    shaped = fc.oneof({ weight: noise === NOISY ? 1 : 20, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, fc.double(), fc.constantFrom(...ODD_NUMBERS, ...BOUNDARY_INTS));
  } else if (s.type === 'boolean') {
    shaped = fc.boolean();
  } else if (s.type === 'null') {
    shaped = fc.constant(null);
  } else {
    shaped = anyValue;
  }
  return fc.oneof({ weight: noise.shaped, arbitrary: shaped }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: anyValue });
}

/** A deep copy that keeps every own key as a plain data property (`__proto__` included). */
function copy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copy);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) put(out, key, copy((value as Record<string, unknown>)[key]));
  return out;
}

/** Every place in a value where a mutation can land: its objects' keys and its arrays' indexes. */
function places(value: unknown, out: { holder: Record<string, unknown> | unknown[]; key: string | number }[] = []) {
  if (Array.isArray(value)) value.forEach((v, i) => (out.push({ holder: value, key: i }), places(v, out)));
  else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) {
      out.push({ holder: value as Record<string, unknown>, key });
      places((value as Record<string, unknown>)[key], out);
    }
  }
  return out;
}

export type Mutation = 'delete' | 'null' | 'wrong type' | 'extra key' | 'odd string' | 'odd number';
const MUTATIONS: Mutation[] = ['delete', 'null', 'wrong type', 'extra key', 'odd string', 'odd number'];
const EXTRA_KEYS = ['__proto__', 'constructor', 'toString', 'extra', 'id', 'status', '0', ''];

/**
 * `value`s with one to three mutations at random places: a key deleted, a value set to null or to
 * another type, an unknown key added (`__proto__` among them, as JSON.parse makes it: an own key),
 * a string out of its enum or pattern, a number that is not whole. Says which mutations it made.
 */
export function mutated(value: fc.Arbitrary<unknown>): fc.Arbitrary<{ value: unknown; mutations: Mutation[] }> {
  const step = fc.tuple(fc.nat(), fc.constantFrom(...MUTATIONS), anyValue, fc.constantFrom(...EXTRA_KEYS), wildString, fc.constantFrom(...ODD_NUMBERS));
  return fc.tuple(value, fc.array(step, { minLength: 1, maxLength: 3 })).map(([original, steps]) => {
    const root = { value: copy(original) };
    const mutations: Mutation[] = [];
    for (const [pick, mutation, shared, extraKey, oddString, oddNumber] of steps) {
      // anyValue's objects are shared constants: mutated trees get copies of them.
      const other = copy(shared);
      const all = places(root);
      if (all.length === 0) break;
      const { holder, key } = all[pick % all.length]!;
      const at = (holder as Record<string | number, unknown>)[key];
      if (mutation === 'delete') {
        if (Array.isArray(holder)) holder.splice(key as number, 1);
        else delete holder[key as string];
      } else if (mutation === 'null') (holder as Record<string | number, unknown>)[key] = null;
      else if (mutation === 'wrong type') (holder as Record<string | number, unknown>)[key] = other;
      else if (mutation === 'extra key') {
        const target = typeof at === 'object' && at !== null && !Array.isArray(at) ? (at as Record<string, unknown>) : Array.isArray(holder) ? null : holder;
        if (target) put(target, extraKey, other);
      } else if (mutation === 'odd string') (holder as Record<string | number, unknown>)[key] = typeof at === 'string' ? at.toUpperCase() + oddString : oddString;
      else (holder as Record<string | number, unknown>)[key] = oddNumber;
      mutations.push(mutation);
    }
    return { value: root.value, mutations };
  });
}

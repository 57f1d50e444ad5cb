/**
 * Two independent readings of seed 004 must agree: the adapter's zod rules (contract.ts, through
 * updateBodyOf) and the JSON Schema transcription the simulator validates with (seed/, ajv). For
 * generated update inputs, the adapter refuses before any upstream call exactly when the seed's
 * schema refuses the body those inputs stand for, and sends exactly that body otherwise.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { binaryUnit } from '../../test/seed-arbitrary.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterInstance } from '../../src/domain/adapter.js';
import { createManualClock } from '../../src/domain/clock.js';
import { ValidationError } from '../../src/domain/errors.js';
import type { UpdatePatch } from '../../src/domain/patch.js';
import { createHttpClient } from '../../src/http/client.js';
import { updateBodyOf, zstackAdapter, ZStackConfigSchema } from './adapter.js';
import { checkBody, updateModelKeys } from './seed/validators.js';
import { createZStackSimulator, type ZStackSimulator } from './simulator.js';

const FIELDS = updateModelKeys();
const UNKNOWN_KEYS = ['tags', 'uuid', 'Name', 'updateModel', 'constructor', 'toString', 'size', ''];
const COMMON = { name: 'name', description: 'description', tags: 'userTags' } as const;

/** Characters that count differently by code point and by UTF-16 unit, or that are easy to mishandle. */
const CHARS = ['a', '😀', '𝔸', 'é', 'e\u0301', '\u0000', '\n', '\u007f', '\u200b', '中', '\ud800', '\udfff', ',', ' '];
const BOUNDARIES = [0, 1, 2, 127, 128, 254, 255, 256, 1023, 1024, 1025, 2047, 2048, 2049, 32768, 65535, 65536];

const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: binaryUnit, maxLength: 24 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-composite', maxLength: 24 }) },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(...CHARS), maxLength: 24 }) },
  // Boundary lengths, built of one character: 127 emoji are 254 UTF-16 units, 128 are 256.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...BOUNDARIES), fc.constantFrom(...CHARS)).map(([n, ch]) => ch.repeat(Math.max(0, Math.round(n / ch.length)))) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...BOUNDARIES), fc.constantFrom(...CHARS), fc.constantFrom(...CHARS)).map(([n, a, b]) => a.repeat(n) + b) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{32}$/) },
  { weight: 1, arbitrary: fc.constantFrom('A'.repeat(32), 'a'.repeat(31), 'a'.repeat(33), '1bb3ef7d-600d-4d30-b21b-8ffd299c37b5', 'g'.repeat(32)) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9,]{0,12}$/) },
  { weight: 1, arbitrary: fc.constantFrom('1,2,4', '1', '9999', '10000', '0', '01', '1,,2', '1,2,', ' 1', '1\n') },
);

const integer = fc.oneof(fc.integer(), fc.constantFrom(-5, 0, 2 ** 31, 3_000_000_000, 2 ** 53 + 1, -(2 ** 53) - 1, 1e21), fc.double({ noNaN: true }));

const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: text },
  { weight: 1, arbitrary: integer },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.array(text, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.oneof(text, integer, fc.constant(null), fc.boolean()), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom({}, { name: 'x' }, [[]]) },
);

/** A value shaped like the field's rules most of the time; of the right type but any content, or of any type, otherwise. */
const makeFieldValue = (field: string): fc.Arbitrary<unknown> => {
  const typed =
    field === 'clearDefaultModelService'
      ? fc.boolean()
      : field === 'modelClassifications' || field === 'systemTags' || field === 'userTags'
        ? fc.array(text, { maxLength: 3 })
        : text;
  const nonEmpty = fc.string({ unit: fc.oneof(fc.constantFrom(...CHARS), fc.string({ unit: binaryUnit, minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 40 });
  const likely =
    field === 'modelCenterUuid' || field === 'defaultModelServiceUuid'
      ? fc.stringMatching(/^[0-9a-f]{32}$/)
      : field === 'recommendedGpuNum'
        ? fc.stringMatching(/^[1-9][0-9]{0,3}(,[1-9][0-9]{0,3}){0,3}$/)
        : field === 'clearDefaultModelService'
          ? fc.boolean()
          : field === 'modelClassifications' || field === 'systemTags' || field === 'userTags'
            ? fc.array(nonEmpty, { maxLength: 3 })
            : nonEmpty;
  return fc.oneof({ weight: 10, arbitrary: likely }, { weight: 2, arbitrary: typed }, { weight: 1, arbitrary: value });
};

// Built once: arbitraries are costly to construct, cheap to draw from.
const FIELD_VALUES = new Map(FIELDS.map((f) => [f, makeFieldValue(f)]));
const fieldValue = (field: string): fc.Arbitrary<unknown> => FIELD_VALUES.get(field)!;

/**
 * An fc.record made once per `id` (what its fields are): the same arbitrary draws the same values,
 * and making one costs more than drawing from it.
 */
const RECORDS = new Map<string, fc.Arbitrary<Record<string, unknown>>>();
function recordOf(id: unknown[], fields: () => Array<[key: string, arbitrary: fc.Arbitrary<unknown>]>): fc.Arbitrary<Record<string, unknown>> {
  const key = JSON.stringify(id);
  let r = RECORDS.get(key);
  if (!r) RECORDS.set(key, (r = fc.record(Object.fromEntries(fields()))));
  return r;
}

/** A few UpdateModel fields, now and then with a key the page does not list. */
const block = fc
  .tuple(fc.subarray(FIELDS, { maxLength: 4 }), fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_KEYS) }))
  .chain(([keys, unknown]) => recordOf(['block', keys, unknown], () => [...keys.map((k): [string, fc.Arbitrary<unknown>] => [k, fieldValue(k)]), ...(unknown === null ? [] : [[unknown, value] as [string, fc.Arbitrary<unknown>]])]));

const common = fc
  .subarray(['name', 'description', 'tags'] as const)
  .chain((keys) => recordOf(['common', keys], () => keys.map((k): [string, fc.Arbitrary<unknown>] => [k, fieldValue(COMMON[k])])));

/** A patch, and the UpdateModel body it stands for (common fields under their UpdateModel names). */
const input = fc
  .tuple(common, block)
  .map(([c, b]) => {
    const patch: Record<string, unknown> = { vendor: b };
    const body: Record<string, unknown> = { ...b };
    for (const [field, bodyField] of Object.entries(COMMON)) {
      // A field given both ways is a conflict the page cannot express; those stay one-sided.
      if (!(field in c) || bodyField in b) continue;
      patch[field] = c[field as keyof typeof c];
      body[bodyField] = c[field as keyof typeof c];
    }
    return { patch: patch as UpdatePatch, body };
  })
  // An update that sets nothing is refused by the gateway (the page allows it): not compared.
  .filter(({ body }) => Object.keys(body).length > 0);

function adapterVerdict(patch: UpdatePatch): { ok: true; body: unknown } | { ok: false; error: ValidationError } {
  try {
    return { ok: true, body: updateBodyOf(patch).body };
  } catch (err) {
    if (err instanceof ValidationError) return { ok: false, error: err };
    throw err;
  }
}

describe('the adapter refuses exactly what seed 004 refuses (differential, fast-check)', () => {
  it('over 10,000 generated update inputs: zero disagreements, and an accepted input sends exactly its body', () => {
    let refused = 0;
    let accepted = 0;
    fc.assert(
      fc.property(input, ({ patch, body }) => {
        const seed = checkBody('UpdateModelRequest', body);
        const verdict = adapterVerdict(patch);
        if (seed.ok !== verdict.ok) {
          const why = verdict.ok ? `seed refuses (${seed.message}), adapter accepts` : `seed accepts, adapter refuses (${verdict.error.message})`;
          throw new Error(`disagreement: ${why}`);
        }
        if (verdict.ok) {
          accepted++;
          // expect's deep equality only when node's stricter one finds a difference: it then fails with its diff.
          if (!isDeepStrictEqual(verdict.body, body)) expect(verdict.body).toEqual(body);
        } else refused++;
      }),
      { numRuns: 10_000, seed: 20261207 },
    );
    // Both sides of the property were exercised in earnest.
    expect(accepted).toBeGreaterThan(1_000);
    expect(refused).toBeGreaterThan(1_000);
  }, 180_000);

  it.each([
    ['200 emoji (400 UTF-16 units)', '😀'.repeat(200), false],
    ['128 emoji (256 units)', '😀'.repeat(128), false],
    ['127 emoji (254 units)', '😀'.repeat(127), true],
    ['255 ASCII', 'a'.repeat(255), true],
    ['255 combining pairs (510 units)', 'e\u0301'.repeat(255), false],
  ])('a name of %s: both readings agree', (_why, name, ok) => {
    expect(checkBody('UpdateModelRequest', { name }).ok).toBe(ok);
    expect(adapterVerdict({ name }).ok).toBe(ok);
  });
});

describe('through the adapter against the simulator (which validates with the seed schema only)', () => {
  let sim: ZStackSimulator;
  let adapter: AdapterInstance<string>;
  const UUID = '1bb3ef7d600d4d30b21b8ffd299c37b5';

  beforeAll(async () => {
    const clock = createManualClock();
    sim = await createZStackSimulator({ clock });
    const logger = pino({ level: 'silent' });
    const config = ZStackConfigSchema.parse({ id: 'zs', ...sim.backendConfig });
    adapter = zstackAdapter.create(config, { backendId: 'zs', logger, clock, http: (o) => createHttpClient({ ...o, backend: 'zs', logger, retryBaseDelayMs: 5 }) });
  });
  afterAll(async () => {
    await adapter.close?.();
    await sim.close();
  });

  it('a refused input makes no upstream call; an accepted one is accepted by the simulator and lands', async () => {
    // 100 inputs of seed 7: 62 are sent and 38 refused (each side many times; the floors below).
    const samples = fc.sample(input, { numRuns: 100, seed: 7 });
    let sent = 0;
    let refused = 0;
    for (const { patch } of samples) {
      sim.server.resetCalls();
      const verdict = adapterVerdict(patch);
      if (!verdict.ok) {
        await expect(adapter.update(UUID, patch)).rejects.toBeInstanceOf(ValidationError);
        expect(sim.server.calls).toHaveLength(0);
        refused++;
        continue;
      }
      const result = await adapter.update(UUID, patch);
      sent++;
      const puts = sim.server.calls.filter((c) => c.method === 'PUT' && c.path.includes('/ai/models/'));
      expect(puts.map((c) => c.status)).toEqual([200]);
      expect(result.fields?.every((f) => f.state !== 'CONTRADICTED')).toBe(true);
    }
    expect(sent).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  }, 120_000);
});

/**
 * The hot-path reader of an AI model (contract.ts `readDeploymentFast`, src/domain/reader.ts) is
 * held to the one definition of the shape, contract.ts `DeploymentSchema`: on generated replies —
 * shaped by seed 002's transcription (seed/deployment.schema.json), and the same mutated (keys
 * deleted, nulls, wrong types, unknown keys with `__proto__` among them, strings out of their enum,
 * numbers that are not whole) — it accepts exactly what zod accepts and gives the same value, with
 * the same keys in the same order.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FAIL } from '../../src/domain/reader.js';
import { readerStructure, schemaStructure } from '../../test/reader-structure.js';
import { fromSchema, mutated, NOISY, QUIET, type Mutation } from '../../test/seed-arbitrary.js';
import { checkGetReply, checkListReply, DeploymentSchema, readDeployment, readDeploymentFast } from './contract.js';
import deploymentSchema from './seed/deployment.schema.json' with { type: 'json' };

/** Every key path of a value in iteration order, with what is there (undefined included). */
function layout(v: unknown, path = '', out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x, i) => layout(x, `${path}[${i}]`, out));
  else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) layout((v as Record<string, unknown>)[k], `${path}.${JSON.stringify(k)}`, out);
  else out.push(`${path}=${typeof v}:${Object.is(v, -0) ? '-0' : String(v)}`);
  return out;
}

/** Disagreement of the reader with zod on `v` (null when none), with zod's verdict and, when it accepts, the layout of its value. */
function compared(v: unknown): { disagreement: string | null; accepted: boolean; layout?: string[] } {
  const z = DeploymentSchema.safeParse(v);
  const fast = readDeploymentFast(v);
  if ((fast === FAIL) !== !z.success) return { disagreement: `zod ${z.success ? 'accepts' : 'refuses'}, the reader ${fast === FAIL ? 'refuses' : 'accepts'}`, accepted: z.success };
  if (!z.success) return { disagreement: null, accepted: false };
  const zod = layout(z.data);
  const [a, b] = [zod.join('\n'), layout(fast).join('\n')];
  return { disagreement: a === b ? null : `values differ:\nzod:    ${a}\nreader: ${b}`, accepted: true, layout: zod };
}

/** expect(a).toEqual(b), its matcher (and diff) run only when node's stricter deep equality finds a difference. */
function same(a: unknown, b: unknown) {
  if (!isDeepStrictEqual(a, b)) expect(a).toEqual(b);
}

/** Disagreement of the reader with zod on `v`, or null. */
const disagreement = (v: unknown): string | null => compared(v).disagreement;

const shaped = fc.oneof(fromSchema(deploymentSchema as never, undefined, QUIET), fromSchema(deploymentSchema as never, undefined, NOISY));

describe('Northflank: the hot-path reader reads exactly as DeploymentSchema', () => {
  it('has the schema\'s structure: the same keys, in the same order, lenient where it is', () => {
    expect(readerStructure(readDeploymentFast)).toEqual(schemaStructure(DeploymentSchema));
  });

  it('generated replies: the same verdict and the same value', () => {
    let accepted = 0;
    let refused = 0;
    let caught = 0;
    fc.assert(
      fc.property(shaped, (v) => {
        const c = compared(v);
        if (c.disagreement) throw new Error(`${c.disagreement}\non ${JSON.stringify(v)?.slice(0, 400)}`);
        if (!c.accepted) refused++;
        else {
          accepted++;
          // A detail of the wrong type read as absent: its key is there, undefined.
          if (c.layout!.some((l) => l.endsWith('=undefined:undefined'))) caught++;
        }
      }),
      // About 77% accepted (1,150), 23% refused (350) and 32% with a detail caught (480): each
      // count many times its floor below.
      { numRuns: 1_500 },
    );
    // Neither side is trivially exercised.
    expect(accepted).toBeGreaterThan(1_000);
    expect(refused).toBeGreaterThan(100);
    expect(caught).toBeGreaterThan(100);
  });

  it('mutated replies: the same verdict and the same value', () => {
    const seen = new Map<Mutation, number>();
    let refused = 0;
    fc.assert(
      fc.property(mutated(fromSchema(deploymentSchema as never, undefined, QUIET)), ({ value, mutations }) => {
        const c = compared(value);
        if (c.disagreement) throw new Error(`${c.disagreement}\nafter ${mutations.join(', ')} on ${JSON.stringify(value)?.slice(0, 400)}`);
        for (const m of mutations) seen.set(m, (seen.get(m) ?? 0) + 1);
        if (!c.accepted) refused++;
      }),
      // Two mutations a value on average: some 420 of each kind, and 250 refused, over their floors below.
      { numRuns: 1_250 },
    );
    for (const m of ['delete', 'null', 'wrong type', 'extra key', 'odd string', 'odd number'] as const) expect(seen.get(m) ?? 0).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(100);
  });

  it('reads a reply that keeps the contract as it is (no copy), and copies one it must change or reorder', () => {
    let kept = 0;
    let copied = 0;
    fc.assert(
      fc.property(fc.oneof(shaped, mutated(shaped).map((m) => m.value)), (v) => {
        const fast = readDeploymentFast(v);
        if (fast === FAIL) return;
        if (fast === v) kept++;
        else copied++;
      }),
      { numRuns: 1_000 },
    );
    expect(kept).toBeGreaterThan(100);
    expect(copied).toBeGreaterThan(100);
    // In the contract's order, nothing to change: the value itself.
    const inOrder = JSON.parse('{"name":"n","tags":["x"],"id":"a","projectId":"p","status":"ACTIVE","extra":1}');
    expect(readDeploymentFast(inOrder)).toBe(inOrder);
    // An unknown key before a known one: zod's order (known keys first), so a copy.
    const reordered = JSON.parse('{"extra":1,"id":"a","projectId":"p"}');
    const read = readDeploymentFast(reordered);
    expect(read).not.toBe(reordered);
    expect(Object.keys(read as object)).toEqual(['id', 'projectId', 'extra']);
    // A tag of the wrong type: the list reads as absent, so the item is a copy; the input is untouched.
    const wrongTag = JSON.parse('{"id":"a","projectId":"p","tags":[1]}');
    const fixed = readDeploymentFast(wrongTag) as Record<string, unknown>;
    expect(fixed).not.toBe(wrongTag);
    expect(fixed.tags).toBeUndefined();
    expect(wrongTag.tags).toEqual([1]);
  });

  it('values as JSON.parse gives them: an own `__proto__` key is dropped as zod drops it, neighbours kept', () => {
    const v = JSON.parse('{"id":"a","projectId":"p","__proto__":{"x":1},"extra":2,"dns":{"base":"b","zone":"z","__proto__":[]},"ports":[{"__proto__":1,"id":"p1"}]}');
    expect(disagreement(v)).toBeNull();
    const d = readDeploymentFast(v);
    expect(d).not.toBe(FAIL);
    expect(Object.keys(d as object)).toEqual(['id', 'projectId', 'dns', 'ports', 'extra']);
    expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
  });

  it('readDeployment and checkListReply answer as zod alone would, the reason of an unreadable item included', () => {
    const describe = (v: unknown) => {
      const r = DeploymentSchema.safeParse(v);
      if (r.success) return r.data;
      const i = r.error.issues[0]!;
      return `${i.path.length ? i.path.join('.') : 'the value'}: ${i.message}`;
    };
    fc.assert(
      fc.property(fc.array(fc.oneof(shaped, mutated(shaped).map((m) => m.value)), { maxLength: 6 }), (items) => {
        const expected = items.map(describe);
        items.forEach((v, i) => same(layout(readDeployment(v)), layout(expected[i])));
        const list = checkListReply({ data: { llmModelDeployments: items }, pagination: { hasNextPage: false } });
        expect(typeof list).toBe('object');
        if (typeof list === 'string') return;
        same(layout(list.items), layout(expected.filter((e) => typeof e !== 'string')));
        expect(list.unreadable).toEqual(expected.flatMap((e, index) => (typeof e === 'string' ? [{ index, problem: e }] : [])));
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['a resource under data', { data: { id: 'a', projectId: 'p' } }, { data: { id: 'a', projectId: 'p' } }],
    ['an array around it', [{ data: { id: 'a', projectId: 'p' } }], 'has no data object'],
    ['null', null, 'has no data object'],
    ['a string', 'x', 'has no data object'],
    ['no data', {}, 'has no data object'],
    ['data null', { data: null }, 'has no data object'],
    ['data a string', { data: 'x' }, 'has no data object'],
    ['data an array', { data: [] }, 'data the value: Invalid input: expected object, received array'],
    ['data without an id', { data: {} }, 'data id: Invalid input: expected string, received undefined'],
  ])('GET reply envelope: %s', (_reason, body, expected) => {
    expect(checkGetReply(body)).toEqual(expected);
  });
});

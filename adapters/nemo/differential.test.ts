/**
 * Differential property test: for generated update inputs, the gateway refuses before any upstream
 * call exactly when the JSON Schema transcription of seed 003 (seed/update-request.schema.json,
 * checked with ajv as the simulator does) refuses the body. Pure validation, no HTTP; the same
 * comparison through GraphQL over HTTP is in test/nemo.test.ts.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GatewayError } from '../../src/domain/errors.js';
import type { Backend } from '../../src/domain/backend.js';
import { toPatch } from '../../src/graphql/mutations.js';
import { fromSchema, NOISY, QUIET } from '../../test/seed-arbitrary.js';
import { bodyOf } from './adapter.js';
import { checkSeed } from './simulator.js';
import updateSchema from './seed/update-request.schema.json' with { type: 'json' };

const VENDOR_BLOCKS = ['nemo', 'northflank', 'zstack'];
const backend = { id: 'nemo', vendor: 'nemo' } as Backend;
/** GraphQL input field ↔ body field of the `nemo` block. */
const INPUT_FIELD: Record<string, string> = { config: 'config', config_version: 'configVersion' };

/** The update input of GraphQL that stands for this body: its fields in the `nemo` block, other keys as they are. */
export function inputFor(body: Record<string, unknown>) {
  const input: Record<string, unknown> = { id: 'nemo:research-team-alpha/llama-3.1-8b' };
  const block: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    // name, description and tags are fields of the common input (NeMo cannot change them).
    if (k === 'name' || k === 'description' || k === 'tags') input[k] = v;
    else Object.defineProperty(block, INPUT_FIELD[k] ?? k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  input.nemo = block;
  return input;
}

/** Whether the gateway refuses the input before any upstream call (mutations.toPatch, then the adapter's checks). */
export function gatewayRefuses(body: Record<string, unknown>): { refused: boolean; why?: string } {
  try {
    bodyOf(toPatch(inputFor(body) as never, backend, VENDOR_BLOCKS));
    return { refused: false };
  } catch (e) {
    if (e instanceof GatewayError) return { refused: true, why: e.message };
    throw e;
  }
}

const seedRefuses = (body: unknown) => checkSeed('nemo/update-request', body);

const show = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x))
    .replace(/[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .slice(0, 300);

describe('NeMo: the gateway refuses exactly what the seed schema refuses', () => {
  it('4,000 generated update inputs, zero disagreements, every rule of the seed schema refusing many of them', () => {
    const schema = { ...updateSchema, properties: { ...updateSchema.properties, name: { type: 'string' }, description: { type: 'string' } } };
    const body = fc
      .oneof(fromSchema(schema as never, undefined, NOISY), fromSchema(updateSchema as never, undefined, QUIET))
      .filter((b): b is Record<string, unknown> => typeof b === 'object' && b !== null && !Array.isArray(b));
    const disagreements: string[] = [];
    let refused = 0;
    /** Inputs the seed schema refuses, by rule (`config pattern` …). */
    const byRule = new Map<string, number>();
    fc.assert(
      fc.property(body, (b) => {
        const gateway = gatewayRefuses(b);
        const seed = seedRefuses(b);
        if (gateway.refused) refused++;
        for (const rule of new Set(seed.map((i) => (i.keyword === 'additionalProperties' ? 'additionalProperties' : `${i.path.join('.')} ${i.keyword}`)))) byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
        if (gateway.refused !== seed.length > 0) {
          disagreements.push(`${show(b)} gateway: ${gateway.refused ? `refused (${gateway.why})` : 'accepted'}; seed: ${seed.length ? JSON.stringify(seed[0]) : 'accepted'}`);
        }
      }),
      // The first 4,000 of seed 20261207: the rarest rule (config "." or "..") refuses some 40 of them.
      { numRuns: 4_000, seed: 20261207 },
    );
    expect(disagreements.slice(0, 10)).toEqual([]);
    // Both outcomes are well represented (over a thousand each), and so is every rule.
    expect(refused).toBeGreaterThan(1000);
    expect(refused).toBeLessThan(3000);
    const RULES = ['additionalProperties', 'config required', 'config type', 'config pattern', 'config maxLength', 'config not', 'config_version type', 'config_version minimum', 'config_version exclusiveMaximum'];
    expect(RULES.filter((r) => (byRule.get(r) ?? 0) < 20), JSON.stringify(Object.fromEntries(byRule))).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['a config name', { config: 'llama-config-v2' }, false],
    ['config_version 1', { config: 'a', config_version: 1 }, false],
    ['config_version 0 (would mean "latest")', { config: 'a', config_version: 0 }, true],
    ['config_version beyond 2^53', { config: 'a', config_version: 2 ** 60 }, false],
    ['config_version 2^63', { config: 'a', config_version: 2 ** 63 }, true],
    ['config_version as a string', { config: 'a', config_version: '3' }, true],
    ['config_version null', { config: 'a', config_version: null }, true],
    ['config ".."', { config: '..' }, true],
    ['config with an astral character', { config: 'a\u{1F600}' }, true],
    ['config of 255 characters', { config: 'c'.repeat(255) }, false],
    ['config of 256 characters', { config: 'c'.repeat(256) }, true],
    ['an unknown field', { config: 'a', replicas: 2 }, true],
    ['no config', {}, true],
  ])('agree on %s', (_what, body, refused) => {
    expect(gatewayRefuses(body).refused).toBe(refused);
    expect(seedRefuses(body).length > 0).toBe(refused);
  });
});

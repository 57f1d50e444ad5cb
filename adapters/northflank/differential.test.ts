/**
 * Differential property test: for generated update inputs, the gateway refuses before any upstream
 * call exactly when the JSON Schema transcription of the seed pages (seed/update-request.schema.json,
 * checked with ajv as the simulator does) refuses the body. Pure validation, no HTTP; the same
 * comparison through GraphQL over HTTP is in test/northflank.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GatewayError } from '../../src/domain/errors.js';
import type { Backend } from '../../src/domain/backend.js';
import { toPatch } from '../../src/graphql/mutations.js';
import { buildSchema } from '../../src/graphql/schema.js';
import { fromSchema, NOISY, QUIET } from '../../test/seed-arbitrary.js';
import { northflankAdapter, validatePatch } from './adapter.js';
import { northflankGraphQL } from './graphql.js';
import { checkSeed } from './simulator.js';
import updateSchema from './seed/update-request.schema.json' with { type: 'json' };

const VENDOR_BLOCKS = ['nemo', 'northflank', 'zstack'];
const backend = { id: 'northflank', vendor: 'northflank' } as Backend;

/** The update input of GraphQL that stands for this body: common fields beside the `northflank` block. */
export function inputFor(body: Record<string, unknown>) {
  const input: Record<string, unknown> = { id: 'northflank:default-project/deepseek-v3-deployment' };
  const block: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'name' || k === 'description' || k === 'tags') input[k] = v;
    else Object.defineProperty(block, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  input.northflank = block;
  return input;
}

/** Whether the gateway refuses the input before any upstream call (mutations.toPatch, then the adapter's checks). */
export function gatewayRefuses(body: Record<string, unknown>): { refused: boolean; why?: string } {
  try {
    validatePatch(toPatch(inputFor(body) as never, backend, VENDOR_BLOCKS) as never);
    return { refused: false };
  } catch (e) {
    if (e instanceof GatewayError) return { refused: true, why: e.message };
    throw e;
  }
}

const seedRefuses = (body: unknown) => checkSeed('northflank/update-request', body);

beforeAll(() => {
  // Registers the adapter's nullable paths (shmSize), as the running gateway does.
  buildSchema([{ adapter: northflankAdapter, graphql: northflankGraphQL }]);
});

const show = (v: unknown) =>
  JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x))
    .replace(/[\u0000-\u001f\u007f-\u009f\ud800-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .slice(0, 300);

describe('Northflank: the gateway refuses exactly what the seed schema refuses', () => {
  it('10,000 generated update inputs, zero disagreements', () => {
    const body = fc.oneof(fromSchema(updateSchema as never, undefined, NOISY), fromSchema(updateSchema as never, undefined, QUIET)).filter((b): b is Record<string, unknown> => typeof b === 'object' && b !== null && !Array.isArray(b));
    const disagreements: string[] = [];
    let refused = 0;
    fc.assert(
      fc.property(body, (b) => {
        const gateway = gatewayRefuses(b);
        const seed = seedRefuses(b);
        if (gateway.refused) refused++;
        if (gateway.refused !== seed.length > 0) {
          disagreements.push(`${show(b)} gateway: ${gateway.refused ? `refused (${gateway.why})` : 'accepted'}; seed: ${seed.length ? JSON.stringify(seed[0]) : 'accepted'}`);
        }
      }),
      { numRuns: 10_000, seed: 20261207 },
    );
    expect(disagreements.slice(0, 10)).toEqual([]);
    // Both outcomes are well represented, so the comparison means something.
    expect(refused).toBeGreaterThan(1000);
    expect(refused).toBeLessThan(9000);
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['a 600-emoji description (600 code points, 1200 UTF-16 units)', { description: '\u{1F600}'.repeat(600) }, true],
    ['a 512-emoji description (1024 UTF-16 units)', { description: '\u{1F600}'.repeat(512) }, false],
    ['storageSize 3000000000', { spec: { configuration: { nodeConfiguration: { storage: { storageSize: 3_000_000_000 } } } } }, false],
    ['storageSize -5', { spec: { configuration: { nodeConfiguration: { storage: { storageSize: -5 } } } } }, true],
    ['shmSize null', { spec: { configuration: { nodeConfiguration: { storage: { shmSize: null } } } } }, false],
    ['storageSize null', { spec: { configuration: { nodeConfiguration: { storage: { storageSize: null } } } } }, true],
    ['replicas 2^63', { spec: { configuration: { architecture: { workerConfig: { replicas: 2 ** 63 } } } } }, true],
    ['replicas -(2^63)', { spec: { configuration: { architecture: { workerConfig: { replicas: -(2 ** 63) } } } } }, false],
    ['an unknown key', { status: 'running' }, true],
    ['a combining mark in a name', { name: 'e\u0301e' }, true],
    ['a control character in a description', { description: 'a\u0000b' }, false],
  ])('agree on %s', (_what, body, refused) => {
    expect(gatewayRefuses(body).refused).toBe(refused);
    expect(seedRefuses(body).length > 0).toBe(refused);
  });
});

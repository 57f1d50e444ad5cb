/** Per-field write confirmation on every built-in vendor, through GraphQL over HTTP against the simulators. */
import { afterEach, describe, expect, it } from 'vitest';
import { builtInVendors } from '../adapters/index.js';
import type { UpdatePatch } from '../src/domain/patch.js';
import { conformanceOf, dataOf, startStack, type Stack } from './helpers.js';

const UPDATE = `mutation($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) {
    __typename
    ... on UpdateModelDeploymentSuccess { dryRun requests { body } confirmations { field state sent seen note } }
    ... on Error { message }
  }
}`;

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const toInput = (id: string, patch: UpdatePatch, vendor: string) => {
  const { vendor: block, ...common } = patch;
  return { id, ...common, ...(block ? { [vendor]: block } : {}) };
};

describe.each(builtInVendors.map((m) => m.vendor))('%s: after a write, each field sent is confirmed by the re-read', (vendor) => {
  it('the conformance update lands with every field CONFIRMED or UNCONFIRMED, none CONTRADICTED', async () => {
    stack = await startStack({ vendors: [vendor] });
    const conf = conformanceOf(vendor);
    const id = `${vendor}:${conf.existingKey}`;
    const r = dataOf(await stack.gql(UPDATE, { input: toInput(id, conf.validPatch, vendor) })).updateModelDeployment;
    expect(r.__typename, r.message).toBe('UpdateModelDeploymentSuccess');
    expect(r.confirmations.length).toBeGreaterThan(0);
    expect(r.confirmations.filter((f: any) => f.state === 'CONTRADICTED')).toEqual([]);
    expect(r.confirmations.some((f: any) => f.state === 'CONFIRMED')).toBe(true);
    // Every top-level key sent is reported.
    const sent = new Set<string>(r.requests.flatMap((q: { body: Record<string, unknown> | null }) => Object.keys(q.body ?? {})));
    for (const key of sent) expect(r.confirmations.some((f: { field: string }) => f.field === key || f.field.startsWith(`${key}.`)), key).toBe(true);
  });
});

describe('northflank: the vendor-neutral comparison walks the body', () => {
  it('reports nested fields by their path in the body', async () => {
    stack = await startStack({ vendors: ['northflank'] });
    const id = `northflank:${conformanceOf('northflank').existingKey}`;
    const r = dataOf(
      await stack.gql(UPDATE, {
        input: { id, description: 'nested', northflank: { spec: { configuration: { nodeConfiguration: { storage: { storageSize: 4096 } } } } } },
      }),
    ).updateModelDeployment;
    expect(r.__typename, r.message).toBe('UpdateModelDeploymentSuccess');
    expect(r.confirmations).toContainEqual(expect.objectContaining({ field: 'description', state: 'CONFIRMED', seen: 'nested' }));
    expect(r.confirmations).toContainEqual(expect.objectContaining({ field: 'spec.configuration.nodeConfiguration.storage.storageSize', state: 'CONFIRMED', seen: 4096 }));
  });
});

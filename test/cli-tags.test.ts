/** `--tag` adds a tag and keeps the others, whichever way the deployments are selected. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, startStack, type Stack } from './helpers.js';
import { run } from './cli-run.js';

const tagsOf = async (stack: Stack, id: string): Promise<string[]> =>
  dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { tags } }`, { id })).modelDeployment.tags;

// One deployment per vendor that carries tags of its own; NeMo cannot change tags at all.
const TARGETS = [
  { vendor: 'northflank', id: 'northflank:default-project/gemma-2-9b-it', writable: true },
  { vendor: 'zstack', id: 'zstack:5d2e7a9c41f04b6e8a3d1c0b9f8e7d6c', writable: true },
  { vendor: 'nemo', id: 'nemo:prod-inference/nv-embedqa-e5-v5', writable: false },
];

describe('deployments update --tag keeps the existing tags', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  describe.each(TARGETS)('$vendor', ({ id, writable }) => {
    it('through explicit ids', async () => {
      const before = await tagsOf(stack, id);
      const r = await run(stack.url, ['deployments', 'update', id, '--tag', 't-one', '--yes', '--json']);
      const after = await tagsOf(stack, id);
      if (!writable) {
        expect(r.code).toBe(1);
        expect(JSON.parse(r.stdout).plan.items[0].result.__typename).toBe('UnsupportedFieldError');
        expect(after).toEqual(before);
        return;
      }
      expect(r.code, r.stderr).toBe(0);
      expect(before.length).toBeGreaterThan(0);
      expect(after).toEqual([...before, 't-one']);
      // The plan shown was the full list too.
      expect(JSON.parse(r.stdout).plan.items[0].result.changes).toEqual([{ field: expect.stringMatching(/^(tags|userTags)$/), before, after: [...before, 't-one'] }]);
    });

    it('through --where', async () => {
      const before = await tagsOf(stack, id);
      const [backend] = id.split(':');
      // NeMo deployments carry no tags to select by: its whole backend is selected.
      const where = before.length ? ['--where', `backend=${backend}`, '--where', `tag=${before[0]}`] : ['--where', `backend=${backend}`];
      const r = await run(stack.url, ['deployments', 'update', ...where, '--tag', 't-two', '--yes', '--json']);
      const after = await tagsOf(stack, id);
      if (!writable) {
        expect(r.code).toBe(1);
        const { plan } = JSON.parse(r.stdout);
        expect(plan.items.length).toBeGreaterThan(0);
        expect(plan.items.every((i: any) => i.result.__typename === 'UnsupportedFieldError')).toBe(true);
        expect(after).toEqual(before);
        return;
      }
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).result.items.map((i: any) => i.id)).toContain(id);
      expect(after).toEqual([...before, 't-two']);
    });
  });
});

/**
 * A config's `adapters:` modules: the adapter alone (its deployments served as
 * GenericModelDeployment), or the adapter with its GraphQL part (served as its own type).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startStack, dataOf, type Stack } from './helpers.js';
import { createToySimulator } from './fixtures/toy/simulator.js';
import { loadExternalAdapters } from '../src/gateway.js';
import { parseConfig } from '../src/config.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const query = (own: string) => `{
  backends { id deploymentType }
  modelDeployment(id: "toybox:alpha") { __typename id name ${own} }
}`;

describe.each([
  ['the adapter alone', 'toy/adapter.ts', 'GenericModelDeployment', '', {}],
  ['the adapter with its GraphQL part', 'toy-vendor.ts', 'ToyItem', '... on ToyItem { rev state }', { rev: 1, state: 'up' }],
])('an adapters: module with %s', (_what, file, typeName, own, ownFields) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ vendors: [], extraSims: { toybox: await createToySimulator() }, config: { adapters: [fixture(file)] } });
  });
  afterAll(() => stack?.close());

  it(`serves its deployments as ${typeName}`, async () => {
    const data = dataOf(await stack.gql(query(own)));
    expect(data.backends).toEqual([{ id: 'toybox', deploymentType: typeName }]);
    expect(data.modelDeployment).toEqual({ __typename: typeName, id: 'toybox:alpha', name: 'Alpha model', ...ownFields });
  });
});

it.each([
  ['whose GraphQL part is malformed', 'toy-vendor-bad-graphql.ts', /graphql\.typeName must be a GraphQL type name[\s\S]*graphql\.registerTypes must be a function/],
  ['whose adapter carries its GraphQL types itself', 'toy-adapter-old-shape.ts', /registerTypes belongs to the module's `graphql` export/],
])('a module %s is refused, naming what is wrong', async (_what, file, words) => {
  const config = parseConfig({ adapters: [fixture(file)], backends: [{ id: 'toybox', vendor: 'toy', baseUrl: 'http://127.0.0.1:1' }] }, {});
  await expect(loadExternalAdapters(config)).rejects.toThrow(words);
});

/**
 * graphql-jit is a lane too. An operation runs on graphql-js its first JIT_AFTER_RUNS times and
 * compiled after that (src/gateway.ts): a corpus of operations — every vendor's types, fragments on
 * abstract types, lists and pages, custom scalars, directives, variables good and bad, errors in
 * fields, typed mutation results, several operations in one document — each sent until it has run compiled twice over
 * HTTP must get the same answer every time, and the compiled lane must really have answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, dataOf, type Stack } from './helpers.js';
import { JIT_AFTER_RUNS } from '../src/gateway.js';

let stack: Stack;
let ids: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack();
  const list = dataOf(await stack.gql('{ modelDeployments(first: 100) { edges { node { id vendor } } } }'));
  for (const { node } of list.modelDeployments.edges) ids[node.vendor] ??= node.id;
  expect(Object.keys(ids).sort()).toEqual(['nemo', 'northflank', 'zstack']);
});
afterAll(() => stack?.close());

const DEPLOYMENT = `id backend vendor nativeId name description status statusMessage tags createdAt updatedAt
  model { __typename } resources { __typename }
  ... on NorthflankModelDeployment { creatorId dns { __typename } }
  ... on NemoModelDeployment { config configVersion entityVersion modelProviderId versions { entityVersion status } }
  ... on ZStackModelDeployment { __typename }`;

interface Op {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
}

function corpus(): Op[] {
  const ops: Op[] = [
    { name: 'backends', query: '{ backends { id vendor health { ok } } }' },
    { name: 'typename', query: '{ __typename }' },
    { name: 'list page', query: `{ modelDeployments(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${DEPLOYMENT} } } } }` },
    { name: 'list last', query: '{ modelDeployments(last: 2) { edges { node { id } } pageInfo { hasPreviousPage } } }' },
    { name: 'list filtered', query: 'query($f: ModelDeploymentFilter) { modelDeployments(filter: $f) { totalCount edges { node { id status } } } }', variables: { f: { vendors: ['nemo', 'zstack'], statuses: ['READY', 'FAILED'] } } },
    { name: 'list bad page', query: '{ modelDeployments(first: -1) { totalCount } }' },
    { name: 'not found', query: '{ modelDeployment(id: "northflank:default-project/nope") { id } }' },
    { name: 'bad id', query: '{ modelDeployment(id: "nowhere:x") { id } }' },
    { name: 'node', query: `query($id: ID!) { node(id: $id) { __typename ... on ModelDeployment { id name } } }`, variables: { id: ids.zstack } },
    { name: 'variables missing', query: 'query($id: ID!) { modelDeployment(id: $id) { id } }' },
    { name: 'variables wrong type', query: 'query($id: ID!) { modelDeployment(id: $id) { id } }', variables: { id: { a: 1 } } },
    { name: 'variables null for non-null', query: 'query($id: ID!) { modelDeployment(id: $id) { id } }', variables: { id: null } },
    { name: 'enum variable refused', query: 'query($s: [DeploymentStatus!]) { modelDeployments(filter: { statuses: $s }) { totalCount } }', variables: { s: ['NOT_A_STATUS'] } },
    { name: 'int variable as string', query: 'query($n: Int) { modelDeployments(first: $n) { totalCount } }', variables: { n: '3' } },
    { name: 'input with unknown field', query: 'mutation($input: UpdateModelDeploymentInput!) { updateModelDeployment(input: $input) { __typename } }', variables: { input: { id: 'zstack:x', colour: 'red' } } },
    { name: 'several variable errors', query: 'query($a: ID!, $b: Int!, $c: [String!]!) { modelDeployment(id: $a) { id } }', variables: { b: 1.5, c: [null] } },
    { name: 'directives', query: 'query($with: Boolean!) { modelDeployments(first: 2) { edges { node { id name @include(if: $with) status @skip(if: $with) } } } }', variables: { with: true } },
    { name: 'two operations, the second', query: 'query A { backends { id } } query B { viewer { __typename } }' },
    { name: 'mutation validation', query: 'mutation { updateModelDeployment(input: { id: "zstack:../x", name: "y" }) { __typename ... on ValidationError { code message issues { path rule } } } }' },
    { name: 'mutation not found', query: 'mutation { updateModelDeployment(input: { id: "northflank:default-project/missing-one", name: "y", dryRun: true }) { __typename ... on Error { code message } } }' },
  ];
  for (const [vendor, id] of Object.entries(ids)) {
    ops.push({ name: `${vendor} one`, query: `query($id: ID!) { modelDeployment(id: $id) { ${DEPLOYMENT} raw } }`, variables: { id } });
    ops.push({
      name: `${vendor} dry run`,
      query: 'mutation($input: UpdateModelDeploymentInput!) { updateModelDeployment(input: $input) { __typename ... on UpdateModelDeploymentSuccess { dryRun requests { method path body } deployment { id name } } ... on Error { code message } } }',
      variables: { input: { id, description: 'checked by the JIT lane test', dryRun: true } },
    });
  }
  return ops;
}

describe('graphql-jit and graphql-js answer alike', () => {
  it('each operation gets the same answer on graphql-js (its first runs) and compiled (later ones)', async () => {
    const ops = corpus();
    expect(ops.length).toBeGreaterThanOrEqual(20);
    const compiledBefore = stack.gateway.compiledOperations();
    let executed = 0;
    for (const op of ops) {
      const operationName = op.name.startsWith('two operations') ? 'B' : undefined;
      const send = () => stack.gql(op.query, { ...op.variables }, { headers: {} }).then((r) => ({ status: r.status, body: r.body }));
      const sendNamed = async () => {
        if (!operationName) return send();
        const res = await fetch(stack.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: op.query, operationName }) });
        return { status: res.status, body: await res.json() };
      };
      const first = await sendNamed();
      for (let run = 2; run <= JIT_AFTER_RUNS + 2; run++) expect({ op: op.name, run, ...(await sendNamed()) }).toEqual({ op: op.name, run, ...first });
      if (first.body.data !== undefined) executed++;
    }
    // Every operation that ran was compiled after JIT_AFTER_RUNS runs (and so were those whose variables
    // were refused at execution); none refused at validation was.
    expect(executed).toBeGreaterThanOrEqual(15);
    const compiled = stack.gateway.compiledOperations() - compiledBefore;
    expect(compiled).toBeGreaterThanOrEqual(executed);
    expect(compiled).toBeLessThan(ops.length);
  });

  it('an operation is compiled only once it has run JIT_AFTER_RUNS times', async () => {
    const before = stack.gateway.compiledOperations();
    for (let run = 1; run <= JIT_AFTER_RUNS; run++) for (let i = 0; i < 5; i++) dataOf(await stack.gql(`{ often${i}: backends { id } }`));
    expect(stack.gateway.compiledOperations()).toBe(before);
    dataOf(await stack.gql('{ often0: backends { id } }'));
    expect(stack.gateway.compiledOperations()).toBe(before + 1);
  });
});

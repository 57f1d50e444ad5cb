/**
 * Errors of ours are plain domain errors (src/domain/errors.ts); the GraphQL layer gives them their
 * wire form. These pin that form, byte for byte, where it could slip: a query's error, an error
 * that ends a subscription before it starts (no `data`: it must not read as a server fault), an
 * error over WebSocket (locations kept), and the server log (an answer, not a fault).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { NotFoundError, ValidationError } from '../src/domain/errors.js';
import { shownErrorOf, toGraphQLError } from '../src/graphql/errors.js';
import { startStack, type Stack } from './helpers.js';
import { JIT_AFTER_RUNS } from '../src/gateway.js';
import { ws } from './sub-clients.js';

describe('the GraphQL form of a domain error', () => {
  it('a domain error is no GraphQL error; its form carries its message and extensions', () => {
    const err = new NotFoundError('nf:a/b', 'nf');
    expect(err).not.toBeInstanceOf(GraphQLError);
    expect(JSON.stringify(toGraphQLError(err))).toBe('{"message":"Model deployment nf:a/b not found","extensions":{"code":"NOT_FOUND","id":"nf:a/b","backend":"nf"}}');
  });

  it('a GraphQL error that carries one keeps its path and locations, and drops the original', () => {
    const carried = new GraphQLError('Invalid x: bad', { path: ['a', 0], originalError: new ValidationError([{ path: ['x'], rule: 'r', message: 'bad' }]) });
    (carried as { locations?: unknown }).locations = [{ line: 1, column: 3 }];
    const form = toGraphQLError(carried)!;
    expect(form.originalError).toBeUndefined();
    expect(JSON.stringify(form)).toBe('{"message":"Invalid x: bad","locations":[{"line":1,"column":3}],"path":["a",0],"extensions":{"code":"VALIDATION","issues":[{"path":["x"],"rule":"r","message":"bad"}]}}');
  });

  it('anything else has none (it is masked)', () => {
    expect(toGraphQLError(new Error('secret'))).toBeNull();
    expect(toGraphQLError(new GraphQLError('x', { originalError: new TypeError('secret') }))).toBeNull();
    expect(shownErrorOf(new GraphQLError('x'))).toBeNull();
  });
});

describe('through the API', () => {
  const KEY = 'error-form-key-0123456789abcdef';
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      vendors: ['northflank'],
      config: { status: { pollIntervalMs: 60_000 }, auth: { apiKeys: [{ name: 'ops', key: KEY, scopes: ['read'] }] } },
    });
  });
  afterAll(() => stack?.close());

  const post = async (query: string, accept: string) => {
    const res = await fetch(stack.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ query }),
    });
    return { status: res.status, body: await res.text() };
  };

  it.each(['application/json', 'application/graphql-response+json'])('a query error, on graphql-js and compiled (%s)', async (accept) => {
    // The first runs are graphql-js's, the later ones graphql-jit's (src/gateway.ts): one form for both.
    for (let run = 0; run <= JIT_AFTER_RUNS; run++) {
      expect(await post('{ modelDeployment(id: "northflank:default-project/nope") { id } }', accept)).toEqual({
        status: 200,
        body: '{"errors":[{"message":"Model deployment northflank:default-project/nope not found","locations":[{"line":1,"column":3}],"path":["modelDeployment"],"extensions":{"code":"NOT_FOUND","id":"northflank:default-project/nope","backend":"northflank"}}],"data":{"modelDeployment":null}}',
      });
    }
  });

  it.each(['application/json', 'application/graphql-response+json'])('a subscription refused before it starts answers 200, not 500 (%s)', async (accept) => {
    const ids = Array.from({ length: 1001 }, (_, i) => `"northflank:p/m-${i}"`).join(',');
    expect(await post(`subscription { modelDeploymentStatusChanged(ids: [${ids}]) { __typename } }`, accept)).toEqual({
      status: 200,
      body: '{"errors":[{"message":"Invalid ids: at most 1000 ids per subscription (1001 given)","locations":[{"line":1,"column":16}],"path":["modelDeploymentStatusChanged"],"extensions":{"code":"VALIDATION","issues":[{"path":["ids"],"rule":"max_items","message":"at most 1000 ids per subscription (1001 given)"}]}}]}',
    });
  });

  it('over WebSocket, a query error keeps its locations', async () => {
    const c = ws(stack.url, '{ modelDeployment(id: "northflank:default-project/nope") { id } }', {}, { authorization: `Bearer ${KEY}` });
    try {
      const [result] = await c.waitFor((e) => e.length > 0);
      expect(result).toEqual({
        data: { modelDeployment: null },
        errors: [
          {
            message: 'Model deployment northflank:default-project/nope not found',
            locations: [{ line: 1, column: 3 }],
            path: ['modelDeployment'],
            extensions: { code: 'NOT_FOUND', id: 'northflank:default-project/nope', backend: 'northflank' },
          },
        ],
      });
    } finally {
      c.stop();
    }
  });

  it('errors of ours are not logged as faults', async () => {
    await post('{ modelDeployment(id: "northflank:default-project/nope") { id } }', 'application/json');
    expect(stack.logs.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
  });
});

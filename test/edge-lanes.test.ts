/**
 * The fast lane answers exactly as Yoga does. One gateway, two servers: one with the fast lane,
 * one without (every request through Yoga). A corpus of requests — valid and invalid JSON, bad
 * variables, arrays, extensions, every content type and Accept variant, GET and POST, keys,
 * bad Host, oversized bodies — goes to both; status, the headers that matter and the body must
 * be the same, and the fast lane must really have answered a good part of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { startStack, type Stack } from './helpers.js';
import { createToySimulator } from './fixtures/toy/simulator.js';
import { startServer, type RunningServer } from '../src/server/index.js';
import { createFastLane } from '../src/server/fast-lane.js';

const toyModule = fileURLToPath(new URL('./fixtures/toy/adapter.ts', import.meta.url));
const READER = 'lanes-reader-key-0123456789abcdef';

interface Case {
  name: string;
  method: 'GET' | 'POST';
  query?: string;
  headers: Record<string, string>;
  body?: string;
}

const Q = {
  backends: '{ backends { id vendor } }',
  one: '{ modelDeployment(id: "toybox:alpha") { id name status tags } }',
  named: 'query A { backends { id } } query B { modelDeployments { totalCount } }',
  vars: 'query($id: ID!) { modelDeployment(id: $id) { id name } }',
  list: '{ modelDeployments(first: 5) { totalCount edges { node { id name } } } }',
  notFound: '{ modelDeployment(id: "toybox:nope") { id } }',
  badId: '{ modelDeployment(id: "nowhere:x") { id } }',
  invalid: '{ backendz { id } }',
  parse: '{ backends { id ',
  mutation: 'mutation { updateModelDeployment(input: {id: "toybox:../x", name: "y"}) { __typename ... on ValidationError { issues { path rule } } } }',
  deep: `{ modelDeployments { edges { ${Array.from({ length: 14 }).reduce<string>((q) => `node { ... on Node { ${q} } }`, 'id')} } } }`,
  introspection: '{ __schema { queryType { name } } }',
  subscription: 'subscription { modelDeploymentStatusChanged(ids: ["toybox:alpha"], emitCurrent: true) { __typename ... on ModelDeploymentStatusTransition { current initial deployment { id } } } }',
  typename: '{ __typename }',
};

function corpus(): Case[] {
  const cases: Case[] = [];
  const auth = { authorization: `Bearer ${READER}` };
  const post = (name: string, body: string, headers: Record<string, string> = {}) =>
    cases.push({ name, method: 'POST', headers: { 'content-type': 'application/json', ...auth, ...headers }, body });
  const json = (v: unknown) => JSON.stringify(v);

  // Bodies: shapes, variables, operation names, extensions, extra keys.
  for (const [k, q] of Object.entries(Q)) if (k !== 'subscription') post(`query ${k}`, json({ query: q }));
  post('variables object', json({ query: Q.vars, variables: { id: 'toybox:beta' } }));
  post('variables null', json({ query: Q.backends, variables: null }));
  post('variables array', json({ query: Q.backends, variables: [1] }));
  post('variables string', json({ query: Q.vars, variables: '{"id":"toybox:alpha"}' }));
  post('variables number', json({ query: Q.backends, variables: 3 }));
  post('variables missing required', json({ query: Q.vars }));
  post('variables wrong type', json({ query: Q.vars, variables: { id: 5 } }));
  post('variables extra', json({ query: Q.vars, variables: { id: 'toybox:alpha', more: 1 } }));
  post('operationName A', json({ query: Q.named, operationName: 'A' }));
  post('operationName B', json({ query: Q.named, operationName: 'B' }));
  post('operationName missing', json({ query: Q.named }));
  post('operationName unknown', json({ query: Q.named, operationName: 'C' }));
  post('operationName number', json({ query: Q.backends, operationName: 1 }));
  post('operationName null', json({ query: Q.backends, operationName: null }));
  post('extensions object', json({ query: Q.backends, extensions: { trace: true } }));
  post('extensions null', json({ query: Q.backends, extensions: null }));
  post('extensions array', json({ query: Q.backends, extensions: [1] }));
  post('extensions string', json({ query: Q.backends, extensions: 'x' }));
  post('extra key', json({ query: Q.backends, foo: 1 }));
  post('extra key null', json({ query: Q.backends, foo: null }));
  post('query number', json({ query: 1 }));
  post('query null', json({ query: null }));
  post('query missing', json({}));
  post('query empty', json({ query: '' }));
  post('batch array', json([{ query: Q.backends }]));
  post('empty array', '[]');
  post('json null', 'null');
  post('json string', '"{ backends { id } }"');
  post('json number', '42');
  post('invalid json', '{"query": "{ backends { id } }"');
  post('empty body', '');
  post('whitespace body', '   ');
  post('trailing garbage', `${json({ query: Q.backends })}x`);
  post('utf-8 in body', json({ query: '{ modelDeployment(id: "toybox:älpha") { id } }' }));
  post('bom', `\ufeff${json({ query: Q.backends })}`);
  post('duplicate keys', '{"query":"{ __typename }","query":"{ backends { id } }"}');
  post('persisted query', json({ extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } }));
  post('mutation with reader key', json({ query: 'mutation { updateModelDeployment(input: {id: "toybox:alpha", name: "n"}) { __typename } }' }));

  // Content types.
  for (const type of [
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'APPLICATION/JSON',
    'application/json ; charset=utf-8',
    'application/json; charset=latin1',
    'application/jsonfoo',
    'application/json-patch+json',
    'application/graphql-response+json',
    'application/graphql',
    'application/x-www-form-urlencoded',
    'text/plain',
    'text/plain; charset=utf-8',
    'multipart/form-data; boundary=x',
    'application/xml',
  ]) {
    post(`content-type ${type}`, type === 'application/graphql' ? Q.backends : json({ query: Q.backends }), { 'content-type': type });
  }
  post('content-type missing', json({ query: Q.backends }), { 'content-type': '' });

  // Accept variants, for a good query, a failing one and an invalid one.
  for (const accept of [
    '',
    '*/*',
    'application/json',
    'application/graphql-response+json',
    'application/graphql-response+json, application/json',
    'application/json, application/graphql-response+json',
    'application/json;q=0.9, application/graphql-response+json',
    'application/*',
    'application/json; charset=latin1',
    'text/html',
    'application/xml',
    'multipart/mixed',
    'text/event-stream',
    'text/event-stream, application/json',
  ]) {
    for (const q of ['backends', 'notFound', 'invalid'] as const) post(`accept "${accept}" ${q}`, json({ query: Q[q] }), { accept });
  }

  // Keys.
  post('no key', json({ query: Q.backends }), { authorization: '' });
  post('wrong key', json({ query: Q.backends }), { authorization: 'Bearer not-the-key-0000000000000000' });
  post('basic auth', json({ query: Q.backends }), { authorization: 'Basic abc' });
  post('lower-case bearer', json({ query: Q.backends }), { authorization: `bearer ${READER}` });

  // Browser requests, paths and Host.
  post('origin header', json({ query: Q.backends }), { origin: 'https://evil.example' });
  post('x-request-id valid', json({ query: Q.backends }), { 'x-request-id': 'lanes-abc' });
  post('x-request-id invalid', json({ query: Q.backends }), { 'x-request-id': 'bad id' });
  post('malformed host', json({ query: Q.backends }), { host: '[::1' });
  post('oversized body', json({ query: Q.backends, pad: 'x'.repeat(5000) }));
  cases.push({ name: 'POST other path', method: 'POST', query: '', headers: { 'content-type': 'application/json', ...auth }, body: json({ query: Q.backends }) } as Case & { path?: string });

  // GET.
  const get = (name: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
    cases.push({ name, method: 'GET', query: new URLSearchParams(params).toString(), headers: { ...auth, ...headers } });
  get('GET query', { query: Q.backends });
  get('GET query json accept', { query: Q.one }, { accept: 'application/json' });
  get('GET variables', { query: Q.vars, variables: JSON.stringify({ id: 'toybox:alpha' }) });
  get('GET bad variables', { query: Q.vars, variables: '{' });
  get('GET mutation', { query: Q.mutation });
  get('GET no query', {});
  get('GET invalid', { query: Q.invalid });
  get('GET html', {}, { accept: 'text/html' });
  get('GET no key', { query: Q.backends }, { authorization: '' });

  // Subscriptions, on each Accept (the first event is compared).
  for (const accept of ['text/event-stream', 'application/json', '*/*', 'application/graphql-response+json']) {
    post(`subscription accept ${accept}`, json({ query: Q.subscription }), { accept });
  }
  return cases;
}

/** One response, reduced to what must be equal: status, the headers that matter, the body (first SSE event for streams). */
async function answer(baseUrl: string, c: Case): Promise<Record<string, unknown>> {
  const u = new URL(baseUrl);
  const headers: Record<string, string> = { 'x-request-id': 'lanes-fixed-id', ...c.headers };
  for (const k of Object.keys(headers)) if (headers[k] === '') delete headers[k];
  const path = c.name === 'POST other path' ? '/other' : `${u.pathname}${c.query ? `?${c.query}` : ''}`;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method: c.method, headers, setHost: !headers.host, agent: false }, (res) => {
      let body = '';
      const done = () => {
        const picked: Record<string, unknown> = { status: res.statusCode };
        for (const h of ['content-type', 'x-request-id', 'allow', 'accept', 'www-authenticate', 'content-encoding', 'cache-control', 'access-control-allow-origin', 'access-control-allow-credentials', 'vary']) {
          const v = res.headers[h];
          if (v !== undefined) picked[h] = String(v).toLowerCase().replace(/\s+/g, '');
        }
        // A request id the edge made up is random on each side.
        if (/^[0-9a-f-]{36}$/.test(String(picked['x-request-id']))) picked['x-request-id'] = 'generated';
        picked.body = body;
        resolve(picked);
      };
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
        if (String(res.headers['content-type']).includes('text/event-stream')) {
          const event = /event: next\ndata: [^\n]*\n\n/.exec(body);
          if (event) {
            body = event[0];
            res.destroy();
            done();
          }
        }
      });
      res.on('end', done);
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(c.body);
  });
}

describe('the fast lane and Yoga answer alike', () => {
  let stack: Stack;
  let plain: RunningServer;
  let fastAnswers = 0;
  beforeAll(async () => {
    stack = await startStack({
      vendors: [],
      extraSims: { toybox: await createToySimulator() },
      config: { adapters: [toyModule], server: { port: 0, maxRequestBytes: 4096 }, auth: { apiKeys: [{ name: 'reader', key: READER, scopes: ['read'] }] } } as never,
    });
    plain = await startServer(stack.gateway, { port: 0, fastLane: false });
  });
  afterAll(async () => {
    plain?.server.closeAllConnections();
    plain?.server.close();
    await stack?.close();
  });

  it('gives the same status, headers and body for every request of the corpus', async () => {
    const lane = createFastLane(stack.gateway);
    const fast = await startServer(stack.gateway, {
      port: 0,
      fastLane: {
        handle(req, res, body, requestId) {
          const taken = lane.handle(req, res, body, requestId);
          if (taken) fastAnswers++;
          return taken;
        },
      },
    });
    try {
      const cases = corpus();
      expect(cases.length).toBeGreaterThanOrEqual(100);
      const differences: string[] = [];
      for (const c of cases) {
        const [a, b] = [await answer(fast.url, c), await answer(plain.url, c)];
        try {
          expect(a).toEqual(b);
        } catch {
          differences.push(`${c.name}:\n  fast lane: ${JSON.stringify(a)}\n  yoga:      ${JSON.stringify(b)}`);
        }
      }
      expect(differences.join('\n')).toBe('');
      // The comparison means something only if the fast lane took a good share of the corpus.
      expect(fastAnswers).toBeGreaterThanOrEqual(30);
    } finally {
      fast.server.closeAllConnections();
      fast.server.close();
    }
  }, 120_000);
});

import { describe, expect, it } from 'vitest';
import { NotFoundError, UpstreamError, ValidationError } from '../../src/domain/errors.js';
import type { DeploymentStatus } from '../../src/domain/status.js';
import { checkModelDeployment, checkPage, ModelDeploymentSchema, UpdateModelDeploymentRequestSchema, type ModelDeployment } from './contract.js';
import { fromVendor, nemoWordsFor, STATUS_TABLE, toVendorPatch, unifiedStatus } from './mapping.js';
import { inputPathOf, interpretUpdateError, parseNemoError } from './client.js';
import { statusFilterFor } from './adapter.js';

/** The response example of seed 003. */
const example: ModelDeployment = {
  name: 'llama-3.1-8b',
  workspace: 'research-team-alpha',
  created_at: '2024-01-15T09:30:00Z',
  updated_at: '2024-04-20T14:45:00Z',
  entity_version: 3,
  config: 'llama-config-v2',
  config_version: 2,
  id: 'd4f1a2b3-c567-4e89-9f12-3456789abcde',
  project: 'proj-llama-2024',
  status: 'READY',
  status_message: 'Deployment is active and serving requests.',
  status_history: [
    { timestamp: '2024-01-15T09:30:00Z', status: 'CREATED', status_message: 'Deployment created.' },
    { timestamp: '2024-01-20T10:00:00Z', status: 'PENDING', status_message: 'Deployment is pending initialization.' },
    { timestamp: '2024-04-20T14:45:00Z', status: 'READY', status_message: 'Deployment is active and serving requests.' },
  ],
  model_provider_id: 'provider-workspace/llama-provider',
  auth_context: {
    principal_id: 'user-12345',
    principal_email: 'alice@example.com',
    principal_groups: ['ml-engineers', 'research-team-alpha'],
    principal_on_behalf_of: 'user-67890',
    principal_on_behalf_of_groups: ['project-managers'],
    principal_on_behalf_of_email: 'bob@example.com',
  },
};

describe('status table (DESIGN.md "Unified model")', () => {
  it.each<[string, DeploymentStatus, string]>([
    ['CREATED', 'PENDING', 'created, the controller has not started the workload yet'],
    ['PENDING', 'PENDING', 'container being created or not yet healthy'],
    ['READY', 'READY', 'running and healthy'],
    ['ERROR', 'FAILED', 'container exited or died'],
    ['DELETING', 'DELETING', 'delete requested, workload being removed'],
    ['DELETED', 'DELETED', 'workload removed'],
    ['UNKNOWN', 'UNKNOWN', 'backend unreachable'],
    ['LOST', 'UNKNOWN', 'container missing, drift recovery'],
    ['RUNNING', 'UNKNOWN', 'a word outside the enum'],
    ['', 'UNKNOWN', 'empty word'],
  ])('%s → %s (%s)', (word, unified) => {
    expect(unifiedStatus(word)).toBe(unified);
  });

  it('covers every word of the seed 003 enum', () => {
    expect(Object.keys(STATUS_TABLE).sort()).toEqual(['CREATED', 'DELETED', 'DELETING', 'ERROR', 'LOST', 'PENDING', 'READY', 'UNKNOWN']);
  });

  it.each<[DeploymentStatus, string[], string]>([
    ['READY', ['READY'], 'one word: can be pushed down'],
    ['PENDING', ['CREATED', 'PENDING'], 'two words: filtered locally'],
    ['UNKNOWN', ['UNKNOWN', 'LOST'], 'two words'],
    ['FAILED', ['ERROR'], 'renamed'],
    ['PAUSED', [], 'NeMo has no paused state'],
  ])('nemoWordsFor(%s) = %j (%s)', (status, words) => {
    expect(nemoWordsFor(status)).toEqual(words);
  });

  it.each<[DeploymentStatus[] | undefined, string | undefined, string]>([
    [undefined, undefined, 'no status filter'],
    [['READY'], 'READY', 'one status, one word → filter[status]=READY'],
    [['FAILED'], 'ERROR', 'unified FAILED is NeMo ERROR'],
    [['PENDING'], undefined, 'CREATED and PENDING: filtered locally'],
    [['READY', 'FAILED'], undefined, 'two statuses: filtered locally'],
    [['PROVISIONING'], 'none', 'no NeMo word: nothing can match, no call'],
  ])('statusFilterFor(%j) = %s (%s)', (statuses, expected) => {
    expect(statusFilterFor({ statuses })).toBe(expected);
  });
});

describe('fromVendor', () => {
  it('maps the seed 003 example', () => {
    const d = fromVendor(example, 'nemo');
    expect(d).toEqual({
      id: 'nemo:research-team-alpha/llama-3.1-8b',
      backend: 'nemo',
      vendor: 'nemo',
      nativeId: 'research-team-alpha/llama-3.1-8b',
      name: 'llama-3.1-8b',
      description: null,
      tags: [],
      status: 'READY',
      vendorStatus: 'READY',
      statusMessage: 'Deployment is active and serving requests.',
      version: '3',
      createdAt: new Date('2024-01-15T09:30:00Z'),
      updatedAt: new Date('2024-04-20T14:45:00Z'),
      model: null,
      resources: null,
      raw: example,
    });
  });

  it.each<[Partial<ModelDeployment>, Partial<ReturnType<typeof fromVendor>>, string]>([
    [{ status: undefined, status_message: undefined }, { status: 'UNKNOWN', vendorStatus: 'UNKNOWN', statusMessage: null }, 'status defaults to UNKNOWN'],
    [{ status: 'ERROR', status_message: 'OOM' }, { status: 'FAILED', vendorStatus: 'ERROR', statusMessage: 'OOM' }, 'vendor word kept'],
    [{ status_message: '' }, { statusMessage: null }, 'empty message is no message'],
    [{ entity_version: 12 }, { version: '12' }, 'version is String(entity_version)'],
    [{ updated_at: 'not a date' }, { updatedAt: null }, 'an unreadable date is null'],
    [{ workspace: 'ws.1', name: 'a_b' }, { id: 'b2:ws.1/a_b', nativeId: 'ws.1/a_b' }, 'native key is workspace/name'],
  ])('%j → %j (%s)', (over, expected) => {
    expect(fromVendor({ ...example, ...over } as ModelDeployment, 'b2')).toMatchObject(expected);
  });
});

describe('toVendorPatch', () => {
  it.each<[unknown, unknown, string]>([
    [{ config: 'llama-config-v3' }, { config: 'llama-config-v3' }, 'config only: latest config version'],
    [{ config: 'c', configVersion: 2 }, { config: 'c', config_version: 2 }, 'pinned version renamed to config_version'],
    [{ config: 'c', configVersion: null }, { config: 'c' }, 'GraphQL null is "not set"'],
    [null, {}, 'no block'],
    [undefined, {}, 'no block'],
    [{ configVersion: 3 }, { config_version: 3 }, 'config missing stays missing (caught by validation)'],
  ])('%j → %j (%s)', (block, body) => {
    expect(toVendorPatch(block as never)).toEqual(body);
  });
});

describe('UpdateModelDeploymentRequest (seed 003)', () => {
  it.each<[unknown, string]>([
    [{ config: 'llama-config-v2' }, 'the seed example'],
    [{ config: 'llama-config-v2', config_version: 2 }, 'with a version'],
    [{ config: 'A_b.c-9' }, 'every allowed character class'],
    [{ config: 'x'.repeat(255) }, '255 characters'],
  ])('accepts %j (%s)', (body) => {
    expect(UpdateModelDeploymentRequestSchema.safeParse(body).success).toBe(true);
  });

  it.each<[unknown, (string | number)[], string]>([
    [{}, ['config'], 'config is required'],
    [{ config: '' }, ['config'], 'empty config'],
    [{ config: 'x'.repeat(256) }, ['config'], 'longer than 255'],
    [{ config: 'llama config' }, ['config'], 'space not allowed'],
    [{ config: 'ws/llama' }, ['config'], 'slash not allowed'],
    [{ config: 42 }, ['config'], 'not a string'],
    [{ config: 'c', config_version: 1.5 }, ['config_version'], 'not an integer'],
    [{ config: 'c', config_version: '2' }, ['config_version'], 'a string'],
    [{ config: 'c', config_version: 0 }, ['config_version'], 'versions start at 1'],
    [{ config: 'c', description: 'x' }, [], 'unknown field (deployments have no description)'],
  ])('rejects %j at %j (%s)', (body, path) => {
    const r = UpdateModelDeploymentRequestSchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(path);
  });
});

describe('ModelDeployment reply check', () => {
  it('accepts the seed 003 example, with the full schema agreeing', () => {
    expect(checkModelDeployment(example).ok).toBe(true);
    expect(ModelDeploymentSchema.safeParse(example).success).toBe(true);
  });

  it.each<[Record<string, unknown>, string]>([
    [{ name: undefined }, 'name is required'],
    [{ entity_version: '3' }, 'entity_version must be an integer'],
    [{ config_version: undefined }, 'config_version is required'],
  ])('refuses %j (%s)', (over) => {
    const r = checkModelDeployment({ ...example, ...over });
    expect(r.ok).toBe(false);
  });

  // Reading is more tolerant than writing.
  it('keeps a status word outside the enum as it is', () => {
    const r = checkModelDeployment({ ...example, status: 'RUNNING' });
    expect(r.ok && r.value.status).toBe('RUNNING');
  });

  it.each<[Record<string, unknown>, string, string]>([
    [{ status_history: [{ status: 'READY' }] }, 'status_history', 'history item without timestamp'],
    [{ status_history: 'READY' }, 'status_history', 'history not a list'],
    [{ auth_context: { principal_email: 'a@b' } }, 'auth_context', 'auth_context without principal_id'],
    [{ auth_context: { principal_id: 'u', principal_groups: 'g' } }, 'principal_groups', 'groups not a list'],
  ])('reads %j as absent (%s) and keeps the deployment', (over, field) => {
    const r = checkModelDeployment({ ...example, ...over });
    expect(r.ok).toBe(true);
    expect(r.ok && JSON.stringify(r.value)).not.toContain(`"${field}":"`);
  });

  it.each([[null], [[]], ['text'], [{ data: [] }]])('refuses %j', (body) => {
    expect(checkModelDeployment(body).ok).toBe(false);
  });

  it('checks a Page envelope', () => {
    expect(checkPage({ data: [], pagination: { page: 1, page_size: 100, current_page_size: 0, total_pages: 1, total_results: 0 } }).ok).toBe(true);
    expect(checkPage({ data: {}, pagination: {} }).ok).toBe(false);
    expect(checkPage([]).ok).toBe(false);
  });
});

describe('error bodies (CONVENTIONS.md 2.5)', () => {
  it.each<[string, unknown, string]>([
    ['{"detail":"Deployment \'a/b\' not found"}', { message: "Deployment 'a/b' not found" }, 'string detail'],
    [
      '{"detail":[{"type":"missing","loc":["body","config"],"msg":"Field required","input":{}}]}',
      { vendorCode: 'missing', message: 'body.config: Field required', detail: [{ loc: ['body', 'config'], msg: 'Field required', type: 'missing' }] },
      'FastAPI 422 array, input not kept',
    ],
    ['<html>502</html>', undefined, 'not JSON'],
    ['{"error":"x"}', undefined, 'another envelope'],
    ['{"detail":[{"nope":1}]}', undefined, 'array of the wrong items'],
    [
      '{"detail":[{"nope":1},{"loc":["body","config"],"msg":"m","type":"missing","input":{"k":1}}]}',
      { vendorCode: 'missing', message: 'body.config: m', detail: [{ loc: ['body', 'config'], msg: 'm', type: 'missing' }] },
      'an item of another shape costs only itself',
    ],
    ['{"detail":[]}', undefined, 'an empty array'],
    ['{"detail":5}', undefined, 'detail neither text nor array'],
    ['{"detail":null}', undefined, 'detail null'],
    ['null', undefined, 'null'],
    ['[]', undefined, 'an array body'],
    ['{"detail":"s","other":1}', { message: 's' }, 'other keys beside detail'],
  ])('parses %s', (text, facts) => {
    expect(parseNemoError(400, text)).toEqual(facts);
  });

  it.each<[(string | number)[], (string | number)[], string]>([
    [['body', 'config'], ['nemo', 'config'], 'body field'],
    [['body', 'config_version'], ['nemo', 'configVersion'], 'renamed to the GraphQL field'],
    [['body'], ['nemo'], 'the whole body'],
    [['path', 'name'], ['id'], 'path parameter comes from the id'],
    [['query', 'page'], ['nemo', 'query', 'page'], 'anything else stays under nemo'],
  ])('loc %j → %j (%s)', (loc, path) => {
    expect(inputPathOf(loc)).toEqual(path);
  });

  const upstream = (status: number, vendorMessage: string | null, detail?: unknown) =>
    new UpstreamError({ backend: 'nemo', message: 'x', status, vendorMessage, detail });

  it.each<[UpstreamError, unknown, (string | number)[] | null, string]>([
    [upstream(400, "Deployment with workspace 'w' and name 'n' does not exist"), NotFoundError, null, 'unknown name is a 400 (CONVENTIONS.md 0.4)'],
    [upstream(400, "Deployment config 'w/c' does not exist"), ValidationError, ['nemo', 'config'], 'unknown config'],
    [upstream(400, "Deployment config 'w/c' version '9' does not exist"), ValidationError, ['nemo', 'configVersion'], 'unknown config version'],
    [
      upstream(422, 'body.config_version: bad', [{ loc: ['body', 'config_version'], msg: 'bad', type: 'int_parsing' }]),
      ValidationError,
      ['nemo', 'configVersion'],
      '422 array',
    ],
    [upstream(422, "Deployments are not enabled because the backend runtime is set to 'none'"), UpstreamError, null, '422 with a string detail'],
    [upstream(403, 'Forbidden'), UpstreamError, null, 'other statuses pass through'],
  ])('%#: %s', (err, cls, path) => {
    const out = interpretUpdateError(err, 'nemo', 'nemo:w/n');
    expect(out).toBeInstanceOf(cls as never);
    if (path) expect((out as ValidationError).issues[0]!.path).toEqual(path);
    if (cls === NotFoundError) expect((out as NotFoundError).id).toBe('nemo:w/n');
  });
});

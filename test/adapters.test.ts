/**
 * One conformance suite over every built-in vendor, over a toy fourth vendor registered as a
 * built-in (its folder's module added to the registry, as adapters/index.ts lists the others),
 * and over the same toy adapter plugged in through the config, as a user's own adapter would be:
 * the same behaviour, checked through GraphQL over HTTP against each vendor's simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { builtInVendors } from '../adapters/index.js';
import type { UpdatePatch } from '../src/domain/patch.js';
import { createGateway } from '../src/gateway.js';
import { ConfigError, parseConfig } from '../src/config.js';
import { validateConfigFile } from '../src/cli/config-validate.js';
import { vendorRegistry, type VendorModule } from '../src/vendor-module.js';
import type { RecordedCall } from '../src/simulator/server.js';
import { startStack, dataOf, watchSimulator, type Stack } from './helpers.js';
import { startDemo } from '../src/demo.js';
import { startServer } from '../src/server/index.js';
import { localImports } from './imports.js';
import toy from './fixtures/toy/index.js';
import { createToySimulator } from './fixtures/toy/simulator.js';

const FIELDS = `id backend vendor nativeId name description tags status vendorStatus version __typename`;
const UPDATE = `mutation U($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) {
    __typename
    ... on UpdateModelDeploymentSuccess { dryRun requests { method path body } deployment { ${FIELDS} } }
    ... on ValidationError { message issues { path rule message } }
    ... on ConflictError { expectedVersion actualVersion }
    ... on NotFoundError { id }
    ... on Error { code message }
  }
}`;

const isWrite = (c: Pick<RecordedCall, 'method'>) => c.method !== 'GET';
const writes = (stack: Stack, backend: string) => stack.sims[backend]!.server.calls.filter(isWrite).length;
const reads = (stack: Stack, backend: string) => stack.sims[backend]!.server.calls.filter((c) => c.method === 'GET').length;

function toInput(id: string, patch: UpdatePatch, vendor: string, extra: Record<string, unknown> = {}) {
  const { vendor: block, ...common } = patch;
  return { id, ...common, ...(block ? { [vendor]: block } : {}), ...extra };
}

interface Subject {
  name: string;
  backend: string;
  module: VendorModule;
  start(): Promise<Stack>;
}

const toyModule = fileURLToPath(new URL('./fixtures/toy/adapter.ts', import.meta.url));
/** The built-in vendors and the toy, as one registry: the toy is then a built-in like the others. */
const withToy = vendorRegistry([...builtInVendors, toy]);

const subjects: Subject[] = [
  ...builtInVendors.map((module) => ({
    name: module.vendor,
    backend: module.vendor,
    module,
    start: () => startStack({ vendors: [module.vendor] }),
  })),
  {
    name: 'toy (registered as a built-in)',
    backend: 'toy',
    module: toy,
    start: () => startStack({ registry: withToy, vendors: ['toy'] }),
  },
  {
    name: 'toy (external adapter from the config)',
    backend: 'toybox',
    module: toy,
    start: async () => startStack({ vendors: [], extraSims: { toybox: await createToySimulator() }, config: { adapters: [toyModule] } }),
  },
];

describe.each(subjects)('adapter conformance: $name', (subject) => {
  let stack: Stack;
  let existing: string;
  const conf = subject.module.conformance;
  const vendor = subject.module.vendor;
  const typeName = subject.module.graphql?.typeName ?? 'GenericModelDeployment';
  beforeAll(async () => {
    stack = await subject.start();
    existing = `${subject.backend}:${conf.existingKey}`;
  });
  afterAll(() => stack?.close());

  it('reads one deployment by id, typed by its vendor', async () => {
    const data = dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { ${FIELDS} } }`, { id: existing }));
    expect(data.modelDeployment).toMatchObject({ id: existing, backend: subject.backend, vendor: vendor, __typename: typeName });
    expect(data.modelDeployment.status).toMatch(/^(PENDING|PROVISIONING|STARTING|READY|PAUSED|FAILED|DELETING|DELETED|UNKNOWN)$/);
  });

  it('finds the same deployment through node(id) and in the list', async () => {
    const data = dataOf(
      await stack.gql(`query($id: ID!) { node(id: $id) { id __typename } modelDeployments(first: 500) { totalCount edges { node { id } } failures { backend } } }`, { id: existing }),
    );
    expect(data.node).toEqual({ id: existing, __typename: typeName });
    expect(data.modelDeployments.edges.map((e: any) => e.node.id)).toContain(existing);
    expect(data.modelDeployments.failures).toEqual([]);
  });

  it('answers a missing deployment with NOT_FOUND', async () => {
    const r = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id: `${subject.backend}:${conf.missingKey}` });
    expect(r.body.data?.modelDeployment).toBeNull();
    expect(r.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses malformed keys before any upstream call', async () => {
    for (const bad of conf.badKeys) {
      const before = stack.sims[subject.backend]!.server.calls.length;
      const r = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id: `${subject.backend}:${bad}` });
      expect(r.body.errors?.[0]?.extensions?.code, `key ${bad}`).toBe('VALIDATION');
      expect(stack.sims[subject.backend]!.server.calls.length, `key ${bad}`).toBe(before);
    }
  });

  it('reads a deployment asked for twice in one query once (DataLoader)', async () => {
    stack.sims[subject.backend]!.server.resetCalls();
    const data = dataOf(await stack.gql(`query($id: ID!) { a: modelDeployment(id: $id) { id } b: modelDeployment(id: $id) { name } c: node(id: $id) { id } }`, { id: existing }));
    expect(data.a.id).toBe(existing);
    expect(reads(stack, subject.backend)).toBe(conf.readCalls ?? 1);
  });

  it('plans an update in a dry run and sends nothing', async () => {
    const before = writes(stack, subject.backend);
    const r = dataOf(await stack.gql(UPDATE, { input: toInput(existing, conf.validPatch, vendor, { dryRun: true }) }));
    expect(r.updateModelDeployment.__typename).toBe('UpdateModelDeploymentSuccess');
    expect(r.updateModelDeployment.dryRun).toBe(true);
    expect(r.updateModelDeployment.requests.length).toBeGreaterThan(0);
    expect(writes(stack, subject.backend)).toBe(before);
  });

  it('refuses an input breaking a vendor rule with a ValidationError naming the field, sending nothing', async () => {
    const before = writes(stack, subject.backend);
    const r = dataOf(await stack.gql(UPDATE, { input: toInput(existing, conf.invalidPatch, vendor) }));
    expect(r.updateModelDeployment.__typename).toBe('ValidationError');
    expect(r.updateModelDeployment.issues.map((i: any) => i.path)).toContainEqual(conf.invalidPath.map(String));
    expect(writes(stack, subject.backend)).toBe(before);
  });

  it('refuses a stale expectedVersion with a ConflictError, sending nothing', async () => {
    const before = writes(stack, subject.backend);
    const r = dataOf(await stack.gql(UPDATE, { input: toInput(existing, conf.validPatch, vendor, { expectedVersion: 'not-the-version' }) }));
    expect(r.updateModelDeployment.__typename).toBe('ConflictError');
    expect(r.updateModelDeployment.expectedVersion).toBe('not-the-version');
    expect(writes(stack, subject.backend)).toBe(before);
  });

  it('applies an update with exactly the writes it planned, once each, and shows it on the re-read', async () => {
    const planned = dataOf(await stack.gql(UPDATE, { input: toInput(existing, conf.validPatch, vendor, { dryRun: true }) })).updateModelDeployment;
    expect(planned.__typename).toBe('UpdateModelDeploymentSuccess');
    const sim = stack.sims[subject.backend]!.server;
    const before = sim.calls.length;
    const r = dataOf(await stack.gql(UPDATE, { input: toInput(existing, conf.validPatch, vendor) })).updateModelDeployment;
    expect(r.__typename).toBe('UpdateModelDeploymentSuccess');
    expect(r.dryRun).toBe(false);
    expect(r.requests).toEqual(planned.requests);
    // Every upstream call that is not a read is one of the planned requests, in their order: no
    // write twice, none left out, none besides.
    const sent = sim.calls.slice(before).filter(isWrite).map((c) => `${c.method} ${c.path}${c.query}`);
    const plannedWrites = (planned.requests as Array<{ method: string; path: string }>).filter(isWrite).map((q) => `${q.method} ${q.path}`);
    expect(plannedWrites.length).toBeGreaterThan(0);
    expect(sent).toEqual(plannedWrites);
    const again = dataOf(await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { ${FIELDS} raw } }`, { id: existing }));
    expect(conf.applied({ ...again.modelDeployment, raw: again.modelDeployment.raw })).toBe(true);
  });

  it('turns an upstream 5xx into a typed upstream error naming the backend', async () => {
    stack.sims[subject.backend]!.server.inject({ fault: { kind: 'status', status: 500 }, times: 10 });
    try {
      const r = await stack.gql(`query($id: ID!) { modelDeployment(id: $id) { id } }`, { id: existing });
      expect(r.status).toBe(200);
      expect(r.body.errors?.[0]?.extensions?.code).toMatch(/^UPSTREAM_/);
      expect(r.body.errors?.[0]?.extensions?.backend).toBe(subject.backend);
    } finally {
      stack.sims[subject.backend]!.server.clearFaults();
    }
  });
});

describe('the toy registered as a built-in, in the demo', () => {
  it('the demo of a registry starts every vendor’s simulator, and a gateway with that registry’s adapters serves them all', async () => {
    const demo = await startDemo({ registry: withToy });
    try {
      expect(Object.keys(demo.simulators)).toEqual(withToy.map((m) => m.vendor));
      for (const sim of Object.values(demo.simulators)) watchSimulator(sim, withToy);
      const gateway = await createGateway(parseConfig({ logging: { level: 'silent' }, backends: demo.backends }, {}), { adapters: withToy.map((m) => m.adapter) });
      const server = await startServer(gateway, { port: 0 });
      try {
        const res = await fetch(server.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ modelDeployments(first: 500) { edges { node { id vendor } } failures { backend } } }' }),
        });
        const list = ((await res.json()) as any).data.modelDeployments;
        expect(list.failures).toEqual([]);
        expect(new Set(list.edges.map((e: any) => e.node.vendor))).toEqual(new Set(withToy.map((m) => m.vendor)));
        for (const m of withToy) expect(list.edges.map((e: any) => e.node.id)).toContain(`${m.vendor}:${m.conformance.existingKey}`);
      } finally {
        await server.close();
      }
    } finally {
      await demo.close();
    }
  });
});

describe('one adapter per vendor', () => {
  let dir: string;
  /** A module exporting a minimal adapter for `vendor`, as a user's file would (plain JavaScript). */
  const adapterFile = (name: string, vendor: string) => {
    const file = join(dir, name);
    writeFileSync(
      file,
      `export default { vendor: ${JSON.stringify(vendor)}, configSchema: { safeParse: (v) => ({ success: true, data: v }) },
  capabilities: { updatableFields: [], batchGet: false, listFilters: [] }, create() { throw new Error('not started in this test'); } };\n`,
    );
    return file;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mg-vendors-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const configWith = (adapters: string[]) => parseConfig({ logging: { level: 'silent' }, adapters, backends: [{ id: 'nf', vendor: 'northflank', baseUrl: 'http://127.0.0.1:9', token: 't0123456789', projects: ['p'] }] }, {}, dir);

  it.each([
    ['a built-in one', () => [adapterFile('zs.mjs', 'zstack')], /^adapters\[0\]: module \.\/zs\.mjs is an adapter for vendor "zstack", which a built-in adapter already serves/],
    ['another module’s', () => [adapterFile('a.mjs', 'mine'), adapterFile('b.mjs', 'mine')], /^adapters\[1\]: module \.\/b\.mjs is an adapter for vendor "mine", which adapters\[0\] \(module \.\/a\.mjs\) already serves/],
  ])('an adapter module whose vendor is %s is a config error naming the vendor and the modules, for the gateway and for config validate', async (_what, files, message) => {
    const specs = files().map((f) => `./${basename(f)}`);
    const started = createGateway(configWith(specs));
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(message);

    const file = join(dir, 'gateway.json');
    writeFileSync(file, JSON.stringify({ adapters: specs, backends: [{ id: 'nf', vendor: 'northflank', baseUrl: 'http://127.0.0.1:9', token: 't0123456789', projects: ['p'] }] }));
    const { problems } = await validateConfigFile(file, {});
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('a module for a new vendor is taken, beside the built-in ones', async () => {
    const { problems, summary } = await validateConfigFile(
      (() => {
        const file = join(dir, 'fine.json');
        writeFileSync(file, JSON.stringify({ adapters: [`./${basename(adapterFile('new.mjs', 'newvendor'))}`], backends: [{ id: 'n', vendor: 'newvendor', baseUrl: 'http://127.0.0.1:9' }] }));
        return file;
      })(),
      {},
    );
    expect(problems).toEqual([]);
    expect(summary).toMatch(/^1 backend \(n: newvendor\)/);
  });

  it('a registry refuses a vendor twice', () => {
    expect(() => vendorRegistry([...builtInVendors, builtInVendors[0]!])).toThrow(`vendor "${builtInVendors[0]!.vendor}" is registered twice`);
    expect(() => vendorRegistry([toy, { ...toy }])).toThrow('vendor "toy" is registered twice');
  });
});

describe('a simulator never imports its adapter', () => {
  const folders = [
    ...builtInVendors.map((m) => [m.vendor, fileURLToPath(new URL(`../adapters/${m.vendor}/`, import.meta.url))] as const),
    ['toy', fileURLToPath(new URL('./fixtures/toy/', import.meta.url))] as const,
  ];
  it.each(folders)('%s: simulator.ts reaches none of the adapter’s files, nor the registry, directly or through another file (types included)', (_vendor, folder) => {
    const reached = localImports(join(folder, 'simulator.ts'));
    const forbidden = ['adapter.ts', 'client.ts', 'contract.ts', 'mapping.ts', 'graphql.ts', 'index.ts'].map((f) => join(folder, f));
    forbidden.push(fileURLToPath(new URL('../adapters/index.ts', import.meta.url)));
    expect(reached.length).toBeGreaterThan(0);
    expect(reached.filter((f) => forbidden.includes(f))).toEqual([]);
    // The walk does see such an import where there is one.
    expect(localImports(join(folder, 'index.ts'))).toEqual(expect.arrayContaining([join(folder, 'adapter.ts'), join(folder, 'simulator.ts')]));
  });
});

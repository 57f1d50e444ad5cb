/** The model-gateway CLI, run as a real process against a gateway on the vendor simulators. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack, dataOf, polled, until, type Stack } from './helpers.js';
import { capture } from './secret-capture.js';
import { bin, expectOneLine, printed, run, start, writes } from './cli-run.js';

const PHASE_MS = 1000;

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function ids(stack: Stack, filter: Record<string, unknown> = {}): Promise<string[]> {
  const d = dataOf(await stack.gql(`query($f: ModelDeploymentFilter) { modelDeployments(first: 100, filter: $f) { edges { node { id } } } }`, { f: filter }));
  return d.modelDeployments.edges.map((e: any) => e.node.id);
}

describe('model-gateway deployments / query', () => {
  let stack: Stack;
  let dir: string;
  beforeAll(async () => {
    stack = await startStack({ phaseMs: PHASE_MS, config: { status: { pollIntervalMs: 50 } } });
    // ZStack logs in (a PUT) on first use; after that, reads are GETs only.
    dataOf(await stack.gql(`{ modelDeployments { totalCount } }`));
    dir = mkdtempSync(join(tmpdir(), 'mg-cli-'));
  });
  afterAll(() => stack?.close());

  it('list prints a readable table of every vendor\u2019s deployments', async () => {
    const all = await ids(stack);
    expect(new Set(all.map((id) => id.split(':')[0]))).toEqual(new Set(Object.keys(stack.sims)));
    const r = await run(stack.url, ['deployments', 'list']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+VENDOR\s+STATUS\s+VENDOR STATUS\s+NAME\s+TAGS$/);
    expect(lines.slice(1, -1).map((l) => l.split(/\s+/)[0])).toEqual(all);
    expect(lines.at(-1)).toBe(`${all.length} deployments`);
    // Columns line up: every row starts its VENDOR column where the header does.
    const at = lines[0]!.indexOf('VENDOR');
    for (const l of lines.slice(1, -1)) expect(l.slice(at).split(/\s+/)[0]).toMatch(/^(northflank|nemo|zstack)$/);
    expect(r.stdout).not.toContain('\r');
  });

  it('list --json is stable JSON for scripts, and the filters narrow it', async () => {
    const r = await run(stack.url, ['deployments', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['deployments', 'failures']);
    expect(out.failures).toEqual([]);
    expect(out.deployments.map((d: any) => d.id)).toEqual(await ids(stack));
    for (const d of out.deployments) {
      expect(Object.keys(d)).toEqual(['id', 'backend', 'vendor', 'nativeId', 'name', 'description', 'tags', 'status', 'vendorStatus', 'statusMessage', 'version', 'createdAt', 'updatedAt', 'model', 'resources']);
    }
    const again = await run(stack.url, ['deployments', 'list', '--json']);
    expect(again.stdout).toBe(r.stdout);

    const f = await run(stack.url, ['deployments', 'list', '--json', '--vendor', 'northflank,zstack', '--status', 'ready', '--tag', 'llama']);
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(f.stdout).deployments.map((d: any) => d.id)).toEqual(await ids(stack, { vendors: ['northflank', 'zstack'], statuses: ['READY'], tags: ['llama'] }));
    expect(JSON.parse(f.stdout).deployments.length).toBeGreaterThan(0);
  });

  it('get shows one deployment, as text or JSON', async () => {
    const id = 'northflank:default-project/deepseek-v3-deployment';
    const text = await run(stack.url, ['deployments', 'get', id]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^id\\s+${id}$`, 'm'));
    expect(text.stdout).toMatch(/^status\s+READY \(running\)$/m);
    expect(text.stdout).toMatch(/^tags\s+\[llm, deepseek, production\]$/m);
    const json = await run(stack.url, ['deployments', 'get', id, '--json']);
    const d = JSON.parse(json.stdout);
    const expected = dataOf(await stack.gql(`{ modelDeployment(id: "${id}") { id name status version tags } }`)).modelDeployment;
    expect(d).toMatchObject(expected);
    expect(d.raw).toMatchObject({ id: 'deepseek-v3-deployment' });
  });

  it('update --dry-run shows the diff and sends nothing to any vendor', async () => {
    const before = writes(stack).length;
    const r = await run(stack.url, ['deployments', 'update', '--where', 'search=llama', '--where', 'status=READY', '--tag', 'dry', '--set', 'description=Looked at', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(writes(stack).length).toBe(before);
    expect(r.stdout).toMatch(/^~ northflank:default-project\/llama-3-1-70b-instruct {2}\(at version .+\)$/m);
    expect(r.stdout).toContain('    tags: [llm, llama, production] → [llm, llama, production, dry]  (+dry)');
    expect(r.stdout).toMatch(/^ {4}POST \/v1\/projects\/default-project\/llm-model-deployments\/llama-3-1-70b-instruct \{.*"dry".*\}$/m);
    expect(r.stdout).toMatch(/^! nemo:research-team-alpha\/llama-3.1-8b\n {4}refused UNSUPPORTED_FIELD: nemo cannot change description/m);
    const plan = /^Plan (plan_\S+): (\d+) to change, 0 unchanged, (\d+) refused, of (\d+) matched deployments/m.exec(r.stdout);
    expect(plan, r.stdout).not.toBeNull();
    expect(Number(plan![2]) + Number(plan![3])).toBe(Number(plan![4]));
    expect(r.stdout).toContain(`model-gateway deployments apply ${plan![1]}`);
  });

  it('update refuses to apply unasked when stdin is not a terminal', async () => {
    const before = writes(stack).length;
    const r = await run(stack.url, ['deployments', 'update', 'northflank:default-project/gemma-2-9b-it', '--set', 'name=gemma-x']);
    expect(r.code).toBe(2);
    expectOneLine(r, /not applied: stdin is not a terminal.*--yes/);
    expect(writes(stack).length).toBe(before);
  });

  it('update --yes applies, and the change round-trips', async () => {
    const id = 'northflank:default-project/gemma-2-9b-it';
    const sim = stack.sims.northflank!;
    const before = sim.server.calls.length;
    const r = await run(stack.url, ['deployments', 'update', id, '--set', 'description=Paused at night', '--tag', 'cli', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^✓ northflank:default-project\/gemma-2-9b-it {2}changed/m);
    expect(r.stdout).toMatch(/^Applied plan_\S+: 1 changed, 0 unchanged, 0 failed, of 1 deployment$/m);
    const posts = sim.server.calls.slice(before).filter((c) => c.method !== 'GET');
    expect(posts.map((c) => [c.method, c.path, c.body])).toEqual([
      ['POST', '/v1/projects/default-project/llm-model-deployments/gemma-2-9b-it', { description: 'Paused at night', tags: ['llm', 'gemma', 'cli'] }],
    ]);
    const got = JSON.parse((await run(stack.url, ['deployments', 'get', id, '--json'])).stdout);
    expect(got).toMatchObject({ description: 'Paused at night', tags: ['llm', 'gemma', 'cli'] });
  });

  it('update over every vendor: the refused items are reported and the exit status says so', async () => {
    const r = await run(stack.url, ['deployments', 'update', '--where', 'search=llama', '--where', 'status=READY', '--tag', 'fleet', '--yes', '--json']);
    expect(r.code).toBe(1);
    expectOneLine(r, /\d+ of \d+ deployments not updated/);
    const { plan, result } = JSON.parse(r.stdout);
    const byVendor = (p: any, outcome: string) => new Set(p.items.filter((i: any) => i.outcome === outcome).map((i: any) => i.id.split(':')[0]));
    expect(byVendor(plan, 'CHANGED')).toEqual(new Set(['northflank', 'zstack']));
    expect(byVendor(result, 'FAILED')).toEqual(new Set(['nemo']));
    expect(result.items.filter((i: any) => i.outcome === 'FAILED').every((i: any) => i.result.__typename === 'UnsupportedFieldError')).toBe(true);
    expect(result.summary.changed + result.summary.unchanged + result.summary.failed).toBe(result.summary.matched);
  });

  it('apply <planId> applies a plan made by --dry-run', async () => {
    const id = 'zstack:c0ffee1234564b7d9a8e7f6d5c4b3a29';
    const dry = await run(stack.url, ['deployments', 'update', id, '--set', 'description=Embeddings for search', '--dry-run']);
    const planId = /apply (plan_\S+)/.exec(dry.stdout)![1]!;
    const r = await run(stack.url, ['deployments', 'apply', planId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^✓ ${id} {2}changed`, 'm'));
    expect(dataOf(await stack.gql(`{ modelDeployment(id: "${id}") { description } }`)).modelDeployment.description).toBe('Embeddings for search');
    const twice = await run(stack.url, ['deployments', 'apply', planId]);
    expect(twice.code).toBe(1);
    expectOneLine(twice, /already being applied or was applied: make a new plan \[CONFLICT\]/);
  });

  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

  it('watch --until READY over WebSocket exits 0 when the simulator clock brings the target to READY', async () => {
    const id = 'northflank:ml-research/qwen2-5-72b-instruct-awq';
    const w = start(stack.url, ['deployments', 'watch', id, '--until', 'READY', '--transport', 'ws', '--timeout', '15s']);
    await printed(w, (out) => out.stdout.includes(`${id}  is STARTING (starting)`), 'the present state');
    stack.clock.advance(PHASE_MS);
    const r = await w.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^\\S+  ${escape(id)}  STARTING → READY \\(running\\)`, 'm'));
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('All 1 deployment is READY.');
  });

  it('watch --until READY over SSE follows several vendors\u2019 deployments until every one is READY', async () => {
    const targets = ['northflank:default-project/qwen2-5-7b-instruct', 'northflank:ml-research/phi-3-mini-4k-instruct', 'nemo:research-team-alpha/nemotron-mini-4b'];
    const w = start(stack.url, ['deployments', 'watch', ...targets, '--until', 'READY', '--timeout', '15s']);
    await printed(w, (out) => targets.every((t) => out.stdout.includes(`${t}  is `)), 'the present state of every target');
    expect(w.out.stdout).not.toContain('All 3');
    const hub = stack.gateway.runtime.hub!;
    let exited = false;
    void w.done.then(() => (exited = true));
    for (let i = 0; i < 3 && !exited; i++) {
      stack.clock.advance(PHASE_MS);
      // The hub polls in real time: two more polls of each vendor ended, so one began after the
      // move and read the phase it brought (none is skipped); or the watch ended, every target READY.
      const from = { northflank: polled(hub, 'northflank'), nemo: polled(hub, 'nemo') };
      await until('two more polls of northflank and nemo', () => exited || Object.entries(from).every(([b, n]) => polled(hub, b) >= n + 2));
    }
    const r = await w.done;
    expect(r.code, r.stderr).toBe(0);
    for (const t of targets.slice(0, 2)) expect(r.stdout).toMatch(new RegExp(`^\\S+  ${escape(t)}  \\S+ → READY \\(running\\)`, 'm'));
    expect(r.stdout).toMatch(/→ STARTING \(starting\)/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('All 3 deployments are READY.');
  });

  it('watch without --until stops on Ctrl-C with status 0', async () => {
    const w = start(stack.url, ['deployments', 'watch', 'zstack:c0ffee1234564b7d9a8e7f6d5c4b3a29', '--json']);
    await printed(w, (out) => out.stdout.includes('\n'), 'the present state');
    expect(JSON.parse(w.out.stdout.split('\n')[0]!)).toMatchObject({ event: 'status', id: 'zstack:c0ffee1234564b7d9a8e7f6d5c4b3a29', current: 'READY', initial: true });
    w.proc.kill('SIGINT');
    expect((await w.done).code).toBe(0);
  });

  it('query runs an operation from a file or stdin, with variables', async () => {
    const file = join(dir, 'one.graphql');
    writeFileSync(file, 'query One($id: ID!, $first: Int) { modelDeployment(id: $id) { id vendor } modelDeployments(first: $first) { edges { node { id } } } }\n');
    const r = await run(stack.url, ['query', file, '--var', 'id=nemo:prod-inference/nv-embedqa-e5-v5', '--var', 'first=2']);
    expect(r.code, r.stderr).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.data.modelDeployment).toEqual({ id: 'nemo:prod-inference/nv-embedqa-e5-v5', vendor: 'nemo' });
    expect(body.data.modelDeployments.edges).toHaveLength(2);

    const s = await run(stack.url, ['query', '-', '--var', 'v=["zstack"]'], { input: 'query($v: [String!]) { modelDeployments(first: 1, filter: {vendors: $v}) { edges { node { vendor } } } }' });
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).data.modelDeployments.edges).toEqual([{ node: { vendor: 'zstack' } }]);

    const bad = await run(stack.url, ['query', '-'], { input: '{ modelDeployment(id: "nope") { id } }' });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).errors[0].extensions.code).toBe('VALIDATION');
    expectOneLine(bad, /is not <backend>:<key> \[VALIDATION\]/);
  });

  it.each([
    ['an unknown option', ['deployments', 'list', '--colour'], /unknown option '--colour'/],
    ['a missing id', ['deployments', 'get'], /missing required argument 'id'/],
    ['an unknown status', ['deployments', 'list', '--status', 'running'], /--status "running" is not a status/],
    ['an update without a target', ['deployments', 'update', '--set', 'name=x'], /say which deployments/],
    ['an update that changes nothing', ['deployments', 'update', 'northflank:default-project/gemma-2-9b-it'], /nothing to change/],
    ['a --set without =', ['deployments', 'update', 'northflank:default-project/gemma-2-9b-it', '--set', 'name'], /--set "name": expected key=value/],
    ['an unknown --where key', ['deployments', 'update', '--where', 'colour=red', '--set', 'name=x'], /--where colour: unknown key/],
    ['a bad --timeout', ['deployments', 'watch', 'nemo:a/b', '--timeout', 'soon'], /--timeout "soon"/],
    ['a missing query file', ['query', '/nonexistent/q.graphql'], /cannot read \/nonexistent\/q.graphql: ENOENT/],
    ['a file that is not GraphQL', ['query', bin], /is not a GraphQL document/],
  ])('bad usage (%s) exits 2 with one clear line', async (_why, args, words) => {
    const before = writes(stack).length;
    const r = await run(stack.url, args as string[]);
    expect(r.code).toBe(2);
    expectOneLine(r, words);
    expect(writes(stack).length).toBe(before);
  });

  it.each([
    ['a malformed id', ['deployments', 'get', 'deepseek'], /ID "deepseek" is not <backend>:<key> \[VALIDATION\]/],
    ['an unknown backend', ['deployments', 'get', 'aws:x'], /no backend named "aws" is configured \[VALIDATION\]/],
    ['a missing deployment', ['deployments', 'get', 'northflank:default-project/nothing-here'], /northflank:default-project\/nothing-here not found/],
    ['a bad id to watch', ['deployments', 'watch', 'nemo:../x', '--until', 'READY'], /\[VALIDATION\]/],
    ['a missing deployment to watch', ['deployments', 'watch', 'nemo:prod-inference/gone'], /not found/],
  ])('a bad id (%s) exits 1 with one clear line', async (_why, args, words) => {
    const r = await run(stack.url, args as string[]);
    expect(r.code).toBe(1);
    expectOneLine(r, words);
  });

  it('an unreachable gateway exits 1 naming the URL', async () => {
    const port = await closedPort();
    const r = await run(`http://127.0.0.1:${port}/graphql`, ['deployments', 'list']);
    expect(r.code).toBe(1);
    expectOneLine(r, new RegExp(`cannot reach the gateway at http://127\\.0\\.0\\.1:${port}/graphql \\(connection refused\\); is it running\\?`));
    const u = await run(stack.url, ['deployments', 'list', '--url', 'ftp://x']);
    expect(u.code).toBe(2);
    expectOneLine(u, /--url "ftp:\/\/x" is not an http\(s\) URL/);
  });
});

describe('model-gateway CLI with API keys', () => {
  let stack: Stack;
  const key = 'ops-script-key-0123456789';
  beforeAll(async () => {
    stack = await startStack({
      vendors: ['northflank'],
      config: { auth: { apiKeys: [{ name: 'ops', key, scopes: ['read', 'write'] }, { name: 'dash', key: 'dashboard-key-0123456789', scopes: ['read'] }] } },
    });
  });
  afterAll(() => stack?.close());

  it('sends --token / MODEL_GATEWAY_TOKEN, and says clearly when it is missing or lacks a scope', async () => {
    const none = await run(stack.url, ['deployments', 'list']);
    expect(none.code).toBe(1);
    expectOneLine(none, /refused the request: Missing API key.*MODEL_GATEWAY_TOKEN/);
    const ok = await run(stack.url, ['deployments', 'list', '--json'], { env: { MODEL_GATEWAY_TOKEN: key } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).deployments.length).toBeGreaterThan(0);
    const flag = await run(stack.url, ['deployments', 'get', 'northflank:default-project/gemma-2-9b-it', '--token', key]);
    expect(flag.code, flag.stderr).toBe(0);
    const readOnly = await run(stack.url, ['deployments', 'update', 'northflank:default-project/gemma-2-9b-it', '--tag', 'x', '--yes', '--token', 'dashboard-key-0123456789']);
    expect(readOnly.code).toBe(1);
    expectOneLine(readOnly, /lacks the write scope \[FORBIDDEN\]/);
  });
});

/** Runs a child process to its end, with what it printed. */
function child(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const proc = spawn(command, args, options);
  const out = { stdout: '', stderr: '' };
  proc.stdout.on('data', (b: Buffer) => (out.stdout += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (out.stderr += b.toString()));
  return new Promise((resolve) => proc.on('close', (status) => resolve({ status, ...out })));
}

// Three independent checks, two of them on processes of their own (the compiler, the example
// script): they run at once.
describe('the typed client example', { concurrent: true }, () => {
  const root = fileURLToPath(new URL('..', import.meta.url));

  it('examples/generated is what `npm run codegen` makes of the committed schema', async ({ expect }) => {
    // The CommonJS build, as `npm run codegen` runs it (the package's graphql-codegen binary):
    // also quicker to load than its ES modules.
    const { generate } = createRequire(import.meta.url)('@graphql-codegen/cli') as typeof import('@graphql-codegen/cli');
    const { default: config } = await import('../examples/codegen.js');
    const files = (await generate({ ...config, cwd: root, silent: true }, false)) as { filename: string; content: string }[];
    expect(files.map((f) => f.filename).sort()).toEqual(['examples/generated/gql.ts', 'examples/generated/graphql.ts', 'examples/generated/index.ts']);
    for (const f of files) {
      if (readFileSync(join(root, f.filename), 'utf8') !== f.content) expect.fail(`${f.filename} is stale: run \`npm run codegen\` and commit the result`);
    }
  }, 60_000);

  it('compiles with the project\u2019s compiler settings', async ({ expect }) => {
    const tsc = await child(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', join(root, 'examples/tsconfig.json')]);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 60_000);

  it('lists across vendors and tags the READY llama deployments', async ({ expect }) => {
    const stack = await startStack();
    try {
      const tagsBefore = new Map<string, string[]>(
        dataOf(await stack.gql(`{ modelDeployments(first: 100) { edges { node { id tags } } } }`)).modelDeployments.edges.map((e: any) => [e.node.id, e.node.tags]),
      );
      // The gateway runs in this process: the script must run beside it, not block it.
      const script = await child(process.execPath, ['--import', 'tsx', join(root, 'examples/list-and-tag.ts')], {
        cwd: root,
        env: { ...process.env, MODEL_GATEWAY_URL: stack.url, MODEL_GATEWAY_TOKEN: '', TAG: 'llama-fleet' },
      });
      capture('CLI output', 'examples/list-and-tag.ts (stdout)')(script.stdout);
      capture('CLI output', 'examples/list-and-tag.ts (stderr)')(script.stderr);
      expect(script.status, script.stderr).toBe(0);
      const total = dataOf(await stack.gql(`{ modelDeployments { totalCount } }`)).modelDeployments.totalCount;
      expect(script.stdout).toMatch(new RegExp(`^${total} deployments: nemo \\d+, northflank \\d+, zstack \\d+$`, 'm'));
      const ready = dataOf(await stack.gql(`{ modelDeployments(first: 100, filter: {statuses: [READY]}) { edges { node { id vendor name tags model { name } } } } }`)).modelDeployments.edges.map((e: any) => e.node);
      const llamas = ready.filter((d: any) => /llama/i.test(`${d.name} ${d.model?.name ?? ''}`));
      expect(new Set(llamas.map((d: any) => d.vendor))).toEqual(new Set(['northflank', 'nemo', 'zstack']));
      for (const d of llamas) {
        if (d.vendor === 'nemo') {
          expect(d.tags).not.toContain('llama-fleet');
          expect(script.stdout).toContain(`skipped  ${d.id}  (nemo cannot change tags)`);
        } else {
          // Added, the others kept: the ids path reads the full current tags (ZStack's live apart).
          expect(d.tags).toEqual([...tagsBefore.get(d.id)!, 'llama-fleet']);
          expect(script.stdout).toMatch(new RegExp(`tagged {3}${d.id.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
        }
      }
      expect(ready.filter((d: any) => !llamas.includes(d)).every((d: any) => !d.tags.includes('llama-fleet'))).toBe(true);
    } finally {
      await stack.close();
    }
  }, 60_000);
});

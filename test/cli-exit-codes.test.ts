/** Exit status of every command: 0 success, 1 the operation failed, 2 bad usage. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataOf, startStack, type Stack } from './helpers.js';
import { printed, run, spawnCli, start, type Run } from './cli-run.js';

interface Ctx {
  stack: Stack;
  dir: string;
  busyPort: number;
  closedPort: number;
  planId: string;
}

type Row = [command: string, code: 0 | 1 | 2, why: string, args: (c: Ctx) => string[], until?: RegExp];

// `until`: a command that serves until interrupted; it is sent SIGINT once its stderr matches.
const ROWS: Row[] = [
  ['--version', 0, 'prints the version', () => ['--version']],
  ['--version', 2, 'an unknown top-level option', () => ['--verison']],
  ['serve', 0, 'interrupted after starting', () => ['serve', '--port', '0'], /Try:/],
  ['serve', 1, 'its port is in use', (c) => ['serve', '--port', String(c.busyPort)]],
  ['serve', 2, 'a port out of range', () => ['serve', '--port', '99999']],
  ['simulate', 0, 'interrupted after starting', () => ['simulate', '--vendor', 'nemo'], /Serving until interrupted/],
  ['simulate', 1, 'its port is in use', (c) => ['simulate', '--vendor', 'nemo', '--port', String(c.busyPort)]],
  ['simulate', 2, 'an unknown vendor', () => ['simulate', '--vendor', 'aws']],
  ['config validate', 0, 'a valid file', (c) => ['config', 'validate', join(c.dir, 'good.yaml')]],
  ['config validate', 1, 'a file with problems', (c) => ['config', 'validate', join(c.dir, 'bad.yaml')]],
  ['config validate', 2, 'no file named', () => ['config', 'validate']],
  ['completion', 0, 'bash', () => ['completion', 'bash']],
  ['completion', 2, 'an unknown shell', () => ['completion', 'tcsh']],
  ['deployments list', 0, 'every deployment', () => ['deployments', 'list']],
  ['deployments list', 1, 'an unreachable gateway', (c) => ['deployments', 'list', '--url', `http://127.0.0.1:${c.closedPort}/graphql`]],
  ['deployments list', 2, 'an unknown vendor', () => ['deployments', 'list', '--vendor', 'aws']],
  ['deployments get', 0, 'a deployment', () => ['deployments', 'get', 'nemo:prod-inference/nv-embedqa-e5-v5']],
  ['deployments get', 1, 'a missing deployment', () => ['deployments', 'get', 'nemo:prod-inference/gone']],
  ['deployments get', 2, 'no id', () => ['deployments', 'get']],
  ['deployments update', 0, 'a dry run', () => ['deployments', 'update', 'northflank:default-project/gemma-2-9b-it', '--tag', 'x', '--dry-run']],
  ['deployments update', 1, 'a change the vendor refuses', () => ['deployments', 'update', 'nemo:prod-inference/nv-embedqa-e5-v5', '--tag', 'x', '--yes']],
  ['deployments update', 2, 'no deployments named', () => ['deployments', 'update', '--tag', 'x']],
  ['deployments apply', 0, 'a dry run\u2019s plan', (c) => ['deployments', 'apply', c.planId]],
  ['deployments apply', 1, 'an unknown plan', () => ['deployments', 'apply', 'plan_nothing']],
  ['deployments apply', 2, 'no plan id', () => ['deployments', 'apply']],
  ['deployments watch', 0, 'a READY deployment --until READY', () => ['deployments', 'watch', 'zstack:c0ffee1234564b7d9a8e7f6d5c4b3a29', '--until', 'READY']],
  ['deployments watch', 1, 'a FAILED deployment --until READY', () => ['deployments', 'watch', 'nemo:research-team-alpha/mistral-7b-instruct', '--until', 'READY']],
  ['deployments watch', 2, 'an unknown status', () => ['deployments', 'watch', 'nemo:a/b', '--until', 'DONE']],
  ['query', 0, 'an operation from a file', (c) => ['query', join(c.dir, 'ok.graphql')]],
  ['query', 1, 'an operation the gateway refuses', (c) => ['query', join(c.dir, 'refused.graphql')]],
  ['query', 2, 'a file that does not exist', (c) => ['query', join(c.dir, 'missing.graphql')]],
  ['audit tail', 0, 'an audit file', (c) => ['audit', 'tail', '--file', join(c.dir, 'audit.jsonl')]],
  ['audit tail', 1, 'an audit file that cannot be read', (c) => ['audit', 'tail', '--file', join(c.dir, 'missing.jsonl')]],
  ['audit tail', 2, 'neither a file nor a config named', () => ['audit', 'tail']],
];

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

describe('exit codes', { timeout: 120_000 }, () => {
  const ctx = {} as Ctx;
  let busy: Server;
  beforeAll(async () => {
    ctx.stack = await startStack();
    ctx.dir = mkdtempSync(join(tmpdir(), 'mg-exit-'));
    busy = await listen();
    ctx.busyPort = (busy.address() as AddressInfo).port;
    const closed = await listen();
    ctx.closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    writeFileSync(join(ctx.dir, 'good.yaml'), 'backends:\n  - { id: nf, vendor: northflank, baseUrl: "https://api.northflank.com", token: t0123456789, projects: [p] }\n');
    writeFileSync(join(ctx.dir, 'bad.yaml'), 'backends:\n  - { id: nf, vendor: northflank, baseUrl: "https://api.northflank.com", token: t0123456789, projects: [p], tokne: x }\n');
    writeFileSync(join(ctx.dir, 'ok.graphql'), '{ backends { id } }');
    writeFileSync(join(ctx.dir, 'audit.jsonl'), '');
    writeFileSync(join(ctx.dir, 'refused.graphql'), '{ modelDeployment(id: "no-colon") { id } }');
    const plan = dataOf(
      await ctx.stack.gql(`mutation { updateModelDeployments(ids: ["northflank:default-project/deepseek-v3-deployment"], patch: { addTags: ["exit"] }, dryRun: true) { ... on UpdateModelDeploymentsPayload { planId } } }`),
    );
    ctx.planId = plan.updateModelDeployments.planId;
  });
  afterAll(async () => {
    busy?.close();
    await ctx.stack?.close();
  });

  it('covers every command with 0, and 1 and 2 where a command can fail that way', () => {
    const commands = new Set(ROWS.map((r) => r[0]));
    for (const c of ['serve', 'simulate', 'config validate', 'completion', 'deployments list', 'deployments get', 'deployments update', 'deployments apply', 'deployments watch', 'query']) {
      expect(commands).toContain(c);
      expect(ROWS.filter((r) => r[0] === c).map((r) => r[1])).toContain(0);
      expect(ROWS.filter((r) => r[0] === c).map((r) => r[1])).toContain(2);
    }
  });

  // Each row runs on its own (the gateway is only read, but for the plan `apply` applies, which no
  // other row looks at), so the rows run at once: most of each serving row's time is its child
  // process starting.
  it.concurrent.for(ROWS)('%s exits %i: %s', async ([command, code, _why, args, serving], { expect }) => {
    let r: Run;
    if (serving) {
      const s = start(ctx.stack.url, args(ctx), { scanStdout: command !== 'simulate' });
      await printed(s, (out) => serving.test(out.stderr), 'the command to start serving', { orEnd: true });
      s.proc.kill('SIGINT');
      r = await s.done;
    } else {
      r = await run(ctx.stack.url, args(ctx));
    }
    expect(r.code, r.stderr).toBe(code);
    if (code !== 0) {
      // One line on stderr says why.
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: /);
    }
  });

  // The tests above run the client commands in this process, on buffers; the binary runs the same
  // function on its process's streams and exits with the status it returns. Same exit, same output.
  // After the rows above (a group of their own: `deployments list` prints the tags `apply` changed),
  // each binary beside its in-process twin, the rows at once.
  const BINARY_ROWS = ROWS.filter(([command, code, why]) =>
    ['--version', 'config validate', 'deployments list', 'deployments get'].includes(command) && (code !== 0 || why !== 'a valid file'),
  );
  describe('the binary', () => {
    it.concurrent.for(BINARY_ROWS)('the binary: %s exits %i (%s) with the same output as in process', async ([_command, code, _why, args], { expect }) => {
      const [inProcess, binary] = await Promise.all([run(ctx.stack.url, args(ctx)), spawnCli(ctx.stack.url, args(ctx)).done]);
      expect(binary.code, binary.stderr).toBe(code);
      expect(binary.stderr).toBe(inProcess.stderr);
      expect(binary.stdout).toBe(inProcess.stdout);
    });
  });
});

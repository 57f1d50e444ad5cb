/** The CLI's conventions: safe text output, output formats, --jq, --version, completion, usage errors, config validate. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { dataOf, startStack, type Stack } from './helpers.js';
import { bin, expectOneLine, printed, run, start } from './cli-run.js';

const EVIL_UUID = 'e0e0e0e0e0e04e0e8e0e0e0e0e0e0e0e';
const EVIL_ID = `zstack:${EVIL_UUID}`;
// ESC (colours), OSC (retitles the terminal, ended by BEL), BEL, and a newline forging a status line.
const EVIL_NAME = 'evil\u001b[31mred\u001b]0;owned\u0007title\u0007bell\nstatus       FAILED';

/** A port something listens on, and the server holding it. */
function busyPort(): Promise<{ port: number; server: Server }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, server }));
  });
}

const closedPort = async () => {
  const { port, server } = await busyPort();
  await new Promise((r) => server.close(r));
  return port;
};

// The cases only read the gateway, so they run at once: the serving ones wait on child processes
// (a few seconds each on a busy machine), the others run the CLI in this process meanwhile.
describe('model-gateway CLI conventions', { timeout: 180_000, concurrent: true }, () => {
  let stack: Stack;
  let dir: string;
  beforeAll(async () => {
    stack = await startStack();
    stack.sims.zstack!.addModel({ uuid: EVIL_UUID, name: EVIL_NAME, description: 'line one\r\nline two\u009b2J' }, { userTags: ['ok', 'bad\u001b[2J'] });
    dir = mkdtempSync(join(tmpdir(), 'mg-cli-conv-'));
  });
  afterAll(() => stack?.close());

  it('a ZStack name with ESC, OSC, BEL and a newline is escaped on one line by `get` and `list`; -o json keeps it exact', async () => {
    const get = await run(stack.url, ['deployments', 'get', EVIL_ID]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const nameLine = get.stdout.split('\n').find((l) => l.startsWith('name'));
    expect(nameLine).toBe('name         evil\\x1b[31mred\\x1b]0;owned\\x07title\\x07bell\\nstatus       FAILED');
    expect(get.stdout).toMatch(/^description {2}line one\\r\\nline two\\x9b2J$/m);
    expect(get.stdout).toMatch(/^tags {9}\[ok, bad\\x1b\[2J\]$/m);
    // Only the real status line says status.
    expect(get.stdout.split('\n').filter((l) => l.startsWith('status'))).toEqual(['status       READY']);

    const list = await run(stack.url, ['deployments', 'list', '--vendor', 'zstack']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const rows = list.stdout.split('\n').filter((l) => l.includes(EVIL_UUID));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('evil\\x1b[31mred\\x1b]0;owned\\x07title\\x07bell\\nstatus       FAILED');
    expect(list.stdout).not.toMatch(/^status/m);

    const json = await run(stack.url, ['deployments', 'get', EVIL_ID, '-o', 'json']);
    expect(JSON.parse(json.stdout).name).toBe(EVIL_NAME);
    expect(JSON.parse(json.stdout).tags).toEqual(['ok', 'bad\u001b[2J']);
  });

  it('-o json|yaml|wide|name, with --json as a synonym of -o json', async () => {
    const viaJson = await run(stack.url, ['deployments', 'list', '--json']);
    const viaO = await run(stack.url, ['deployments', 'list', '-o', 'json']);
    expect(viaO.code, viaO.stderr).toBe(0);
    expect(viaO.stdout).toBe(viaJson.stdout);
    const all = JSON.parse(viaO.stdout);

    const yaml = await run(stack.url, ['deployments', 'list', '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(0);
    expect(parseYaml(yaml.stdout)).toEqual(all);

    const names = await run(stack.url, ['deployments', 'list', '-o', 'name']);
    expect(names.stdout.trimEnd().split('\n')).toEqual(all.deployments.map((d: any) => d.id));

    const wide = await run(stack.url, ['deployments', 'list', '-o', 'wide', '--vendor', 'northflank']);
    expect(wide.stdout.split('\n')[0]).toMatch(/^ID\s+VENDOR\s+STATUS\s+VENDOR STATUS\s+NAME\s+VERSION\s+UPDATED\s+MODEL\s+MESSAGE\s+TAGS$/);

    const id = 'northflank:default-project/deepseek-v3-deployment';
    const getYaml = await run(stack.url, ['deployments', 'get', id, '-o', 'yaml']);
    expect(parseYaml(getYaml.stdout)).toEqual(JSON.parse((await run(stack.url, ['deployments', 'get', id, '--json'])).stdout));
    expect((await run(stack.url, ['deployments', 'get', id, '-o', 'name'])).stdout).toBe(`${id}\n`);
  });

  it('--jq filters JSON output with jq; strings print bare', async () => {
    const ids = await run(stack.url, ['deployments', 'list', '--jq', '.deployments[] | select(.vendor == "nemo") | .id']);
    expect(ids.code, ids.stderr).toBe(0);
    const expected = dataOf(await stack.gql(`{ modelDeployments(first: 100, filter: {vendors: ["nemo"]}) { edges { node { id } } } }`)).modelDeployments.edges.map((e: any) => e.node.id);
    expect(ids.stdout).toBe(expected.map((i: string) => `${i}\n`).join(''));

    const count = await run(stack.url, ['deployments', 'list', '--jq', '[.deployments[] | .vendor] | group_by(.) | map({(.[0]): length}) | add']);
    expect(JSON.parse(count.stdout)).toMatchObject({ nemo: 6, northflank: 8 });

    // Piped, bare strings are exact (a script gets what the vendor sent).
    const evil = await run(stack.url, ['deployments', 'get', EVIL_ID, '--jq', '.name']);
    expect(evil.stdout).toBe(`${EVIL_NAME}\n`);

    const q = join(dir, 'q.graphql');
    writeFileSync(q, '{ backends { id vendor } }');
    const viaQuery = await run(stack.url, ['query', q, '--jq', '.data.backends | map(.id) | sort | join(",")']);
    expect(viaQuery.stdout).toBe('nemo,northflank,zstack\n');

    const bad = await run(stack.url, ['deployments', 'list', '--jq', '.deployments[']);
    expect(bad.code).toBe(2);
    expectOneLine(bad, /--jq: jq: error: syntax error/);
    const runtime = await run(stack.url, ['deployments', 'list', '--jq', '.deployments[0] + 1']);
    expect(runtime.code).toBe(1);
    expectOneLine(runtime, /--jq: jq: error/);
  });

  it('the README\u2019s `model-gateway query` examples name files that exist', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const files = [...readme.matchAll(/model-gateway query (\S+\.graphql)/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(existsSync(new URL(`../${f}`, import.meta.url)), f).toBe(true);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const r = await run(stack.url, ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${pkg.version}\n`);
  });

  it('completion scripts are generated from the command tree; sourced in bash they complete commands, options and values', async () => {
    const script = join(dir, 'model-gateway.bash');
    const gen = await run(stack.url, ['completion', 'bash']);
    expect(gen.code, gen.stderr).toBe(0);
    writeFileSync(script, gen.stdout);
    const complete = (...words: string[]) => {
      const r = spawnSync(
        'bash',
        ['--norc', '--noprofile', '-c', `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _model_gateway; printf '%s\\n' "\${COMPREPLY[@]}"; complete -p model-gateway >&2`, 'bash', script, ...words],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('complete -o default -F _model_gateway model-gateway\n');
      return r.stdout.split('\n').filter(Boolean);
    };
    expect(complete('model-gateway', 'dep')).toEqual(['deployments']);
    expect(complete('model-gateway', '')).toEqual(['serve', 'simulate', 'deployments', 'query', 'config', 'completion', 'audit']);
    expect(complete('model-gateway', 'deployments', '')).toEqual(['list', 'get', 'update', 'apply', 'watch']);
    expect(complete('model-gateway', 'deployments', 'list', '--st')).toEqual(['--status']);
    expect(complete('model-gateway', 'deployments', 'list', '--status', 'RE')).toEqual(['READY']);
    expect(complete('model-gateway', 'deployments', 'get', '-o', '')).toEqual(['json', 'yaml', 'wide', 'name']);
    expect(complete('model-gateway', 'config', 'v')).toEqual(['validate']);
    expect(complete('model-gateway', 'completion', 'z')).toEqual(['zsh']);

    const zsh = await run(stack.url, ['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef model-gateway\n/);
    expect(zsh.stdout).toContain('bashcompinit');
    expect(spawnSync('bash', ['-n'], { input: zsh.stdout.replace(/^autoload.*$/m, ''), encoding: 'utf8' }).status).toBe(0);
    const fish = await run(stack.url, ['completion', 'fish']);
    expect(fish.stdout).toContain(`complete -c model-gateway -n '__fish_use_subcommand' -a deployments`);
    expect(fish.stdout).toContain(`complete -c model-gateway -n '__fish_seen_subcommand_from deployments; and not __fish_seen_subcommand_from list get update apply watch' -a list`);
    expect(fish.stdout).toMatch(/-l output -s o -x -a 'json yaml wide name'/);
  });

  it.each([
    ['an unknown vendor', ['deployments', 'list', '--vendor', 'northflnk'], /^error: --vendor "northflnk": this gateway serves no such vendor; did you mean "northflank"\?$/],
    ['an unknown vendor, far from any', ['deployments', 'list', '--vendor', 'aws'], /^error: --vendor "aws": this gateway serves no such vendor \(one of: northflank, nemo, zstack\)$/],
    ['an unknown backend in --where', ['deployments', 'update', '--where', 'backend=zstak', '--tag', 'x'], /^error: --where backend="zstak": this gateway has no such backend; did you mean "zstack"\?$/],
    ['an unknown status', ['deployments', 'list', '--status', 'REDY'], /^error: --status "REDY" is not a status; did you mean "READY"\?$/],
    ['an unknown output format', ['deployments', 'list', '-o', 'jsn'], /^error: -o "jsn" is not an output format of this command; did you mean "json"\?$/],
    ['a port out of range', ['serve', '--port', '99999'], /^error: --port "99999": not a port number \(a whole number from 0 to 65535; 0 picks a free one\)$/],
    ['a mistyped command', ['deploymnts', 'list'], /^error: unknown command 'deploymnts'; did you mean deployments\?$/],
    ['a mistyped option', ['deployments', 'list', '--stats', 'READY'], /^error: unknown option '--stats'; did you mean --status\?$/],
    ['an unknown shell', ['completion', 'bsh'], /^error: completion "bsh": no completion for this shell; did you mean "bash"\?$/],
  ])('a usage error (%s) exits 2 with one line and a suggestion', async (_why, args, line) => {
    const r = await run(stack.url, args);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(line);
    expect(r.stdout).toBe('');
  });

  it('config validate prints every problem with its key path: a nested typo, a duplicate key, an unreachable Redis', async () => {
    const redisPort = await closedPort();
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'server:',
        '  port: 4000',
        'pubsub:',
        `  redis: redis://ops:s3cret-redis-pass@127.0.0.1:${redisPort}/0`,
        'auth:',
        '  apiKeys:',
        '    - { name: ops, key: "ops-key-0123456789abcdef", scopes: [read, write] }',
        '    - { name: dash, key: "ops-key-0123456789abcdef", scopes: [read] }',
        'backends:',
        '  - id: nf',
        '    vendor: northflank',
        '    baseUrl: https://api.northflank.com',
        '    token: nf-token-0123456789',
        '    projects: [default-project]',
        '    timeoutMS: 5000',
        '',
      ].join('\n'),
    );
    const r = await run(stack.url, ['config', 'validate', file]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe(`${file}: 3 problems`);
    const problems = r.stdout.trimEnd().split('\n').slice(1).map((l) => l.trim()).sort();
    expect(problems).toEqual([
      'auth.apiKeys[1].key: the same key as auth.apiKeys[0]: each key must be listed once, with all its scopes',
      'backends[0].timeoutMS: unknown key; did you mean "timeoutMs"?',
      `pubsub.redis: Redis at 127.0.0.1:${redisPort} does not answer (ECONNREFUSED)`,
    ]);
    expect(r.stdout + r.stderr).not.toContain('s3cret-redis-pass');
    expectOneLine(r, /is not a valid config/);
  });

  it('config validate: unknown keys at every level, duplicate names, unset variables; a valid file exits 0', async () => {
    const file = join(dir, 'typos.yaml');
    writeFileSync(
      file,
      [
        'server: { prot: 4000, limits: { depht: 3 } }',
        'status: { pollIntervalMS: 100 }',
        'auth:',
        '  apiKeys:',
        '    - { name: ops, key: "${OPS_KEY_NOT_SET}", scopes: [read] }',
        '    - { name: ops, keySha256: "' + 'a'.repeat(64) + '", scopes: [read], backend: [nf] }',
        'backends:',
        '  - { id: nf, vendor: northflank, baseUrl: "https://api.northflank.com", token: t0123456789, projects: [p], teamID: t }',
        '  - { id: zs, vendor: zstak, baseUrl: "https://zs" }',
        '',
      ].join('\n'),
    );
    const r = await run(stack.url, ['config', 'validate', file]);
    expect(r.code).toBe(1);
    const problems = r.stdout.trimEnd().split('\n').slice(1).map((l) => l.trim());
    expect(problems).toEqual(
      expect.arrayContaining([
        'server.prot: unknown key; did you mean "port"?',
        'server.limits.depht: unknown key; did you mean "depth"?',
        'status.pollIntervalMS: unknown key; did you mean "pollIntervalMs"?',
        'auth.apiKeys[0].key: environment variable OPS_KEY_NOT_SET is not set',
        'auth.apiKeys[1].backend: unknown key; did you mean "backends"?',
        'auth.apiKeys[1].name: duplicate API key name "ops" (also auth.apiKeys[0])',
        'backends[0].teamID: unknown key; did you mean "teamId"?',
        'backends[1].vendor: unknown vendor "zstak"; did you mean "zstack"?',
      ]),
    );

    const good = join(dir, 'good.yaml');
    writeFileSync(good, ['backends:', '  - { id: nf, vendor: northflank, baseUrl: "https://api.northflank.com", token: t0123456789, projects: [p] }', ''].join('\n'));
    const ok = await run(stack.url, ['config', 'validate', good]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`${good} is valid: 1 backend (nf: northflank), no auth (the API is open), pubsub in memory\n`);

    const missing = await run(stack.url, ['config', 'validate', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expectOneLine(missing, /cannot read .*nope\.yaml: ENOENT/);
  });

  it('serve: a Redis that does not answer at start is a config error naming pubsub.redis and its host, not its password', async () => {
    const redisPort = await closedPort();
    const file = join(dir, 'redis-down.yaml');
    writeFileSync(
      file,
      [
        'server: { port: 0 }',
        `pubsub: { redis: "redis://ops:s3cret-redis-pass@127.0.0.1:${redisPort}" }`,
        'backends:',
        `  - { id: nemo, vendor: nemo, baseUrl: "${stack.sims.nemo!.url}", workspaces: [prod-inference] }`,
        '',
      ].join('\n'),
    );
    const r = await run(stack.url, ['serve', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Invalid config:\n  - pubsub.redis: Redis at 127.0.0.1:${redisPort} does not answer (ECONNREFUSED)\n`);
    expect(r.stdout).toBe('');
  });

  it('serve: the banner goes to stderr; a port in use prints only the clean EADDRINUSE line', async () => {
    const s = start(stack.url, ['serve', '--port', '0'], { env: { LOG_LEVEL: 'info' } });
    try {
      await printed(s, (out) => out.stderr.includes('Try:'), 'the banner');
      expect(s.out.stderr).toMatch(/^model-gateway is listening on http:\/\/127\.0\.0\.1:\d+\/graphql$/m);
      expect(s.out.stderr).toContain('DEMO MODE');
      // Whatever stdout holds is log lines, each one JSON object.
      for (const line of s.out.stdout.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      s.proc.kill('SIGINT');
      await s.done;
    }

    const { port, server } = await busyPort();
    try {
      const r = await run(stack.url, ['serve', '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`error: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
      expect(r.stdout).toBe('');
    } finally {
      server.close();
    }
  }, 60_000);
});

export { bin };

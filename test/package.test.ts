/**
 * The package as a user gets it: `npm pack`, installed with `--omit=dev` into an empty folder,
 * then run. The same steps are the container image's (Dockerfile): the image is started here
 * with its own ENV, ENTRYPOINT and CMD; where a Docker daemon answers, the image is built and
 * run as well.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { builtInVendors } from '../adapters/index.js';
import { eventually } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
const INSTALL_TIMEOUT_MS = 600_000;
/** A real process must start: generous, since the machine's cores may be busy. */
const START_TIMEOUT_MS = 60_000;

let work: string;
let app: string;
let packedFiles: string[];
const children: ChildProcess[] = [];

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'model-gateway-pack-'));
  // `npm pack` builds first (the `prepare` script).
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root)) as { filename: string; files: { path: string }[] }[];
  packedFiles = packed[0]!.files.map((f) => f.path);
  app = join(work, 'app');
  run('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'empty', private: true }));
  run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed[0]!.filename)], app);
}, INSTALL_TIMEOUT_MS);

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Starts a command and resolves with the gateway URL it prints. */
function start(cmd: string, args: string[], env: Record<string, string>): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(cmd, args, { cwd: app, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within ${START_TIMEOUT_MS} ms:\n${out}\n${err}`)), START_TIMEOUT_MS);
    proc.stdout!.on('data', (c: Buffer) => (out += c));
    // The banner is for people: it is on stderr (stdout carries the JSON log lines).
    proc.stderr!.on('data', (c: Buffer) => {
      err += c;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, proc });
      }
    });
    proc.on('exit', (code) => reject(new Error(`exited with ${code}:\n${out}\n${err}`)));
  });
}

async function stop(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return proc.exitCode;
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.kill('SIGTERM');
  return exited;
}

/**
 * /readyz once each backend's first check is known, asking on answers, never on a timer. Readiness
 * never waits for a vendor: a /readyz that finds a check unknown starts it and answers 503
 * (`starting`). The GraphQL API's `backends { health }` answers once those checks (the same ones,
 * cached for a few seconds) have ended; then /readyz is asked again. The bound guards against a hang.
 */
async function readyz(base: string): Promise<{ status: number; body: { status: string; backends: { id: string; state: string }[] } }> {
  // Each round waits on the health answer, so a few rounds are plenty; the count bounds a hang.
  for (let round = 1; ; round++) {
    const res = await fetch(`${base}/readyz`);
    const body = (await res.json()) as never;
    if (res.status === 200 || round === 20) return { status: res.status, body };
    await (await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ backends { health { ok } } }' }) })).text();
  }
}

/** Runs a command in the installed app's folder to its end (beside the other test's server). */
function exec(cmd: string, args: string[], options: { cwd?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const proc = spawn(cmd, args, { cwd: options.cwd ?? app, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  proc.stdout!.on('data', (c: Buffer) => (out.stdout += c));
  proc.stderr!.on('data', (c: Buffer) => (out.stderr += c));
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (status) => resolve({ status, ...out }));
  });
}

// Each test starts a server of its own on a free port: they run at once.
describe('the packed package', { concurrent: true }, () => {
  it('holds compiled JavaScript and declarations, no TypeScript sources or tests', ({ expect }) => {
    expect(packedFiles).toContain('dist/bundle/bin.js');
    expect(pkg.bin['model-gateway']).toBe('dist/bundle/bin.js');
    expect(packedFiles).toContain('dist/src/index.d.ts');
    expect(packedFiles).toContain('package.json');
    const sources = packedFiles.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(sources).toEqual([]);
    expect(packedFiles.filter((f) => /\.test\.|^test\//.test(f))).toEqual([]);
  });

  it('installed with --omit=dev: --version, demo serve and a query', async ({ expect }) => {
    const bin = join(app, 'node_modules/.bin/model-gateway');
    const [version, lib, tsx] = await Promise.all([
      exec(bin, ['--version']),
      // The library entry: compiled JavaScript with declarations.
      exec('node', ['--input-type=module', '-e', "const m = await import('model-gateway'); console.log(typeof m.createGateway, typeof m.startServer)"]),
      // tsx is a development dependency only: the installed package runs without it.
      exec('node', ['-e', 'import("tsx")']),
    ]);
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
    expect(lib.stdout.trim(), lib.stderr).toBe('function function');
    expect(readFileSync(join(app, 'node_modules/model-gateway/dist/src/index.d.ts'), 'utf8')).toContain('createGateway');
    expect(tsx.status).not.toBe(0);
    const { url, proc } = await start(bin, ['serve'], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ modelDeployments(first: 50) { totalCount edges { node { id vendor } } } }' }),
    });
    const body = (await res.json()) as { data: { modelDeployments: { totalCount: number; edges: { node: { vendor: string } }[] } } };
    expect(res.status).toBe(200);
    expect(new Set(body.data.modelDeployments.edges.map((e) => e.node.vendor))).toEqual(new Set(builtInVendors.map((m) => m.vendor)));
    expect(await stop(proc)).toBe(0);
  }, 120_000);

  it("starts as the container image does (its ENV, ENTRYPOINT and CMD) and answers /readyz", async ({ expect }) => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const env: Record<string, string> = {};
    for (const m of runtime.matchAll(/^ENV (.+)$/gm)) for (const kv of m[1]!.split(/\s+/)) env[kv.split('=')[0]!] = kv.split('=')[1]!;
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(runtime)![1]!) as string[];
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runtime)![1]!) as string[];
    expect(/^USER (\S+)$/m.exec(runtime)?.[1]).not.toBe('root');
    expect(runtime).toMatch(/^HEALTHCHECK .*\/healthz/m);
    // The image installs into /app as this test installs into its folder; PORT 0: a free port here.
    const [exe, ...args] = [...entrypoint, ...cmd].map((a) => a.replace(/^\/app\//, `${app}/`));
    const { url, proc } = await start(exe!, args, { ...env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn' });
    const base = url.replace(/\/graphql$/, '');
    const ready = await readyz(base);
    expect(ready.status).toBe(200);
    // Demo mode: one backend per built-in vendor, named after it.
    expect(ready.body.backends.map((b) => b.id).sort()).toEqual(builtInVendors.map((m) => m.vendor).sort());
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await stop(proc)).toBe(0);
  }, 120_000);

  const daemon = spawnSync('docker', ['info'], { encoding: 'utf8', timeout: 10_000 }).status === 0;
  it.runIf(daemon)('builds the image and answers /readyz from a container', async ({ expect }) => {
    const tag = `model-gateway-test:${process.pid}`;
    run('docker', ['build', '-t', tag, '.'], root);
    const id = run('docker', ['run', '-d', '-p', '127.0.0.1::4000', tag], root).trim();
    try {
      const port = run('docker', ['port', id, '4000/tcp'], root).trim().split(':').pop();
      // Until the container accepts connections and is ready (a hang guard, never a pace).
      const ready = await eventually(
        'the container to answer /readyz',
        async () => {
          const r = await readyz(`http://127.0.0.1:${port}`).catch(() => null);
          return r?.status === 200 ? r : null;
        },
        START_TIMEOUT_MS,
      );
      expect(ready.status).toBe(200);
    } finally {
      spawnSync('docker', ['rm', '-f', id]);
      spawnSync('docker', ['rmi', '-f', tag]);
    }
  }, INSTALL_TIMEOUT_MS);
});

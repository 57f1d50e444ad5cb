/**
 * The edge section of `npm run bench`:
 * 1. GraphiQL under load: 200 concurrent page loads (the page and every file it references, as a
 *    browser with brotli fetches them) against a gateway with an API key, while one client sends an
 *    authenticated query in a loop. Reports the gateway's RSS rise over the whole burst (target
 *    ≤ 50 MB) and that query's p99 meanwhile (target ≤ 50 ms).
 * 2. Throughput against the tree before the edge change (BENCH_BASELINE, a git revision, from
 *    `git archive`): one process (throughput-server.ts) with that tree's gateway and this tree's,
 *    each bundled as the package is (gateway-bundle.ts), side by side in front of one simulator,
 *    beside one bare proxy, so that only the gateway differs; the single read and the 50-item
 *    list must keep gateway/proxy within 5% of the baseline's ratio.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { bundleGateway } from './gateway-bundle.js';
import { runLoad } from './load.js';
import { memoryMb } from './subscriptions.js';

const BASELINE = process.env.BENCH_BASELINE ?? '36c7ad2';
const LOADS = 200;
const TARGET_RSS_MB = 50;
const TARGET_P99_MS = 50;
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** CPU time (user + system) of a process so far, in µs. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}
const TICK_US = 1_000_000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
const canPin = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0 && cpus().length >= 2;

/** Starts a bench server script on core 1; resolves its first stdout line as JSON. */
async function startChild<T>(script: string, env: Record<string, string> = {}): Promise<{ info: T; child: ChildProcess }> {
  const cmd = canPin ? 'taskset' : process.execPath;
  const argv = canPin ? ['-c', '1', process.execPath, '--import', 'tsx', script] : ['--import', 'tsx', script];
  const child = spawn(cmd, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((ok, fail) => {
    let buf = '';
    child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) ok(buf.slice(0, nl));
    });
    child.on('exit', (code) => fail(new Error(`${script} exited with ${code}`)));
  });
  return { info: JSON.parse(line) as T, child };
}

async function graphiqlUnderLoad(quick: boolean) {
  const { info, child } = await startChild<{ pid: number; url: string; key: string }>(fileURLToPath(new URL('./edge-server.ts', import.meta.url)));
  try {
    const origin = new URL(info.url).origin;
    const query = JSON.stringify({ query: '{ modelDeployment(id: "northflank:default-project/deepseek-v3-deployment") { id name status } }' });
    const authed = { url: info.url, method: 'POST' as const, headers: { 'content-type': 'application/json', authorization: `Bearer ${info.key}` }, body: query };
    // Warm the query path, so the rise measured is GraphiQL's.
    await runLoad({ ...authed, connections: 4, durationMs: quick ? 500 : 1500 });
    const before = memoryMb(info.pid).rss;
    const pool = new Pool(origin, { connections: LOADS, pipelining: 1 });
    let peak = before;
    let bytes = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, memoryMb(info.pid).rss)), 20);
    const fetchAll = async () => {
      const page = await pool.request({ path: new URL(info.url).pathname, method: 'GET', headers: { accept: 'text/html', 'accept-encoding': 'br, gzip' } });
      const html = Buffer.from(await page.body.arrayBuffer());
      const text = page.headers['content-encoding'] === 'br' ? (await import('node:zlib')).brotliDecompressSync(html).toString() : html.toString();
      bytes += html.length;
      const refs = [...text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      // A browser also fetches the editor workers the start script names.
      const base = refs[0]!.slice(0, refs[0]!.lastIndexOf('/'));
      for (const w of ['editor.worker.js', 'json.worker.js', 'graphql.worker.js']) refs.push(`${base}/${w}`);
      await Promise.all(
        refs.map(async (ref) => {
          const r = await pool.request({ path: ref, method: 'GET', headers: { 'accept-encoding': 'br, gzip' } });
          if (r.statusCode !== 200) throw new Error(`${ref}: ${r.statusCode}`);
          bytes += (await r.body.arrayBuffer()).byteLength;
        }),
      );
    };
    /** The authenticated query, sent back to back from its own process while `during` runs. */
    const queryLoop = async (during: () => Promise<unknown>) => {
      const probe = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./query-probe.ts', import.meta.url))], {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, PROBE_URL: info.url, PROBE_KEY: info.key, PROBE_QUERY: JSON.parse(query).query },
      });
      let out = '';
      probe.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise((r) => probe.on('exit', r));
      // Let it connect and send a few before the load starts.
      await new Promise((r) => setTimeout(r, 1000));
      await during();
      probe.stdin!.write('stop\n');
      await exited;
      return JSON.parse(out) as { requests: number; errors: number; p50: number; p99: number };
    };
    const quiet = await queryLoop(() => new Promise((r) => setTimeout(r, quick ? 1000 : 3000)));
    console.log(`\nGraphiQL under load: ${LOADS} concurrent page loads; gateway RSS before ${before.toFixed(0)} MB`);
    console.log(`  authenticated query alone:        ${quiet.requests} requests, p50 ${quiet.p50.toFixed(1)} ms, p99 ${quiet.p99.toFixed(1)} ms`);
    // A returning visitor's browser holds the files (a year's cache on versioned paths) and revalidates the page.
    const first = await pool.request({ path: new URL(info.url).pathname, method: 'GET', headers: { accept: 'text/html' } });
    await first.body.arrayBuffer();
    const pageTag = String(first.headers.etag);
    const revisit = async () => {
      const r = await pool.request({ path: new URL(info.url).pathname, method: 'GET', headers: { accept: 'text/html', 'accept-encoding': 'br, gzip', 'if-none-match': pageTag } });
      if (r.statusCode !== 304) throw new Error(`page revalidation: ${r.statusCode}`);
      await r.body.arrayBuffer();
    };
    for (const [label, load] of [['first visits (page + 7 files, brotli)', fetchAll], ['returning visits (page revalidated, files cached)', revisit]] as const) {
      bytes = 0;
      let t0 = 0;
      let seconds = 0;
      const q = await queryLoop(
        async () => {
          t0 = performance.now();
          await Promise.all(Array.from({ length: LOADS }, load));
          seconds = (performance.now() - t0) / 1000;
        },
      );
      peak = Math.max(peak, memoryMb(info.pid).rss);
      console.log(`  ${label}: ${(bytes / 1e6).toFixed(0)} MB sent in ${seconds.toFixed(1)} s; RSS peak so far ${peak.toFixed(0)} MB (rise ${(peak - before).toFixed(1)} MB, target ≤ ${TARGET_RSS_MB}) ${peak - before <= TARGET_RSS_MB ? 'OK' : 'MISSED'}`);
      console.log(`    authenticated query meanwhile: ${q.requests} requests, p50 ${q.p50.toFixed(1)} ms, p99 ${q.p99.toFixed(1)} ms (target ≤ ${TARGET_P99_MS}) ${q.p99 <= TARGET_P99_MS ? 'OK' : 'MISSED'}, errors ${q.errors}`);
    }
    clearInterval(sampler);
    await pool.close();
  } finally {
    child.kill('SIGTERM');
  }
}

/** The baseline revision's tree, with this tree's node_modules. */
function baselineTree(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-baseline-'));
  const archive = spawnSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', root, BASELINE, dir], { encoding: 'utf8' });
  if (archive.status !== 0) {
    console.log(`  (baseline ${BASELINE} not available: ${archive.stderr.trim()})`);
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

type Urls = { pid: number; this: string; baseline: string; proxy: string; token: string };
const FIELDS = 'id name description tags status vendorStatus version updatedAt model { name engine }';
const ID = 'northflank:default-project/deepseek-v3-deployment';

async function throughputAgainstBaseline(quick: boolean) {
  const dir = baselineTree();
  if (!dir) return;
  // Each tree's gateway as the package runs it: bundled, without tsx's keepNames (gateway-bundle.ts).
  const bundles = [await bundleGateway(root, join(dir, '.bench', 'this-gateway.mjs')), await bundleGateway(dir, join(dir, '.bench', 'baseline-gateway.mjs'))];
  const servers = await startChild<Urls>(fileURLToPath(new URL('./throughput-server.ts', import.meta.url)), { GATEWAY_BUNDLES: bundles.join(',') });
  const ms = quick ? 1500 : 3000;
  const rounds = quick ? 2 : 8;
  try {
    console.log(`\nThroughput against ${BASELINE} (the tree before the edge change), both gateways bundled as the package is, in one process before one simulator, beside one proxy, 0 ms upstream, 50 connections, ${rounds} alternating rounds of ${ms} ms, medians:`);
    console.log('scenario  tree        gateway req/s  proxy req/s  gateway/proxy  server CPU µs/req (gateway, proxy)');
    for (const scenario of ['single', 'list'] as const) {
      const query = scenario === 'single' ? `{ modelDeployment(id: "${ID}") { ${FIELDS} } }` : `{ modelDeployments(first: 50) { edges { node { ${FIELDS} } } } }`;
      const path = scenario === 'single' ? '/v1/projects/default-project/llm-model-deployments/deepseek-v3-deployment' : '/v1/projects/default-project/llm-model-deployments?per_page=50';
      const gw = (url: string) => ({ url, method: 'POST' as const, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ query }), connections: 50, durationMs: ms });
      const px = (u: Urls) => ({ url: `${u.proxy}${path}`, method: 'GET' as const, headers: { authorization: `Bearer ${u.token}`, accept: 'application/json' }, connections: 50, durationMs: ms });
      // Both trees in the same rounds, in alternating order (ABBA), so that a busy or a quiet spell
      // of the machine falls on both; each round measures a tree's gateway and the proxy back to
      // back, and the ratio is the median of the rounds' ratios.
      const { info } = servers;
      const trees = [['baseline', info.baseline], ['this', info.this]] as const;
      // Warm both trees' code (JIT) before the first round: 1.5 s left the first rounds at up to twice the CPU per request of later ones.
      for (const [, s] of trees) await runLoad({ ...gw(s), durationMs: quick ? 500 : 5000 });
      type Rounds = { g: number[]; p: number[]; r: number[]; gc: number[]; pc: number[] };
      const rounds_: Record<string, Rounds> = { baseline: { g: [], p: [], r: [], gc: [], pc: [] }, this: { g: [], p: [], r: [], gc: [], pc: [] } };
      /** Requests/s and the server process's CPU µs per request (simulator included) of one round. */
      const measure = async (pid: number, spec: Parameters<typeof runLoad>[0]) => {
        const before = cpuMicros(pid);
        const r = await runLoad(spec);
        return { rps: r.rps, cpu: (cpuMicros(pid) - before) / r.requests };
      };
      for (let i = 0; i < rounds; i++) {
        for (const [name, s] of i % 2 === 0 ? trees : [...trees].reverse()) {
          const g = await measure(info.pid, gw(s));
          const p = await measure(info.pid, px(info));
          const t = rounds_[name]!;
          t.g.push(g.rps);
          t.p.push(p.rps);
          t.r.push(g.rps / p.rps);
          t.gc.push(g.cpu);
          t.pc.push(p.cpu);
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const ratios: Record<string, { g: number; p: number; r: number }> = {};
      for (const [name] of trees) {
        ratios[name] = { g: median(rounds_[name]!.g), p: median(rounds_[name]!.p), r: median(rounds_[name]!.r) };
        const t = rounds_[name]!;
        console.log(`${scenario.padEnd(9)} ${name.padEnd(10)} ${ratios[name]!.g.toFixed(0).padStart(13)} ${ratios[name]!.p.toFixed(0).padStart(12)} ${ratios[name]!.r.toFixed(3).padStart(14)}  ${median(t.gc).toFixed(0).padStart(8)}, ${median(t.pc).toFixed(0)}`);
      }
      // Per round, this tree's ratio over the baseline's (measured within seconds of each other): the median of those.
      const kept = median(rounds_.this!.r.map((r, i) => r / rounds_.baseline!.r[i]!));
      console.log(`  ${scenario}: this tree keeps ${(kept * 100).toFixed(1)}% of the baseline's gateway/proxy ratio (target ≥ 95%) ${kept >= 0.95 ? 'OK' : 'MISSED'}`);
    }
  } finally {
    servers.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function edgeSection({ quick, part }: { quick: boolean; part?: 'graphiql' | 'throughput' }): Promise<void> {
  if (part !== 'throughput') await graphiqlUnderLoad(quick);
  if (part !== 'graphiql') await throughputAgainstBaseline(quick);
}

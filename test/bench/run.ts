/**
 * `npm run bench`: the gateway against the floor (direct REST to the Northflank simulator) and
 * the physical limit of any gateway (a bare node:http reverse proxy), measured side by side in
 * one run on loopback. The load generator runs on core 0, every server on core 1 (taskset).
 * Prints requests/s, p50/p99 and server CPU µs per request (from /proc), and the ratios.
 * Options: --quick (short rounds), --only http|subscriptions|edge|ops (or a part of the edge
 * section: graphiql|throughput).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { runLoad, type LoadResult, type LoadSpec } from './load.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const CONNECTIONS = 50;
const ROUNDS = quick ? 1 : 3;
const ROUND_MS = quick ? 1500 : 4000;
const WARMUP_MS = quick ? 800 : 2000;

const canPin = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0 && cpus().length >= 2;

// The load generator pins itself to core 0 by re-running under taskset.
if (canPin && !process.env.BENCH_PINNED) {
  const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  });
  process.exit(r.status ?? 1);
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}
const TICK_US = 1_000_000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

interface Servers {
  pid: number;
  l0: { direct: string; proxy: string; gateway: string; token: string };
  l20: { direct: string; proxy: string; gateway: string; token: string };
  /** 20 ms ± 5 ms: real upstreams vary, so answers do not all come back in one burst. */
  l20j: { direct: string; proxy: string; gateway: string; token: string };
}

async function startServers(): Promise<{ servers: Servers; stop: () => void }> {
  const script = fileURLToPath(new URL('./servers.ts', import.meta.url));
  const cmd = canPin ? 'taskset' : process.execPath;
  const argv = canPin ? ['-c', '1', process.execPath, '--import', 'tsx', script] : ['--import', 'tsx', script];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error(`bench servers exited with ${code}`)));
  });
  return { servers: JSON.parse(line) as Servers, stop: () => child.kill('SIGTERM') };
}

const FIELDS = 'id name description tags status vendorStatus version updatedAt model { name engine }';
const ID = 'northflank:default-project/deepseek-v3-deployment';

type Target = 'direct' | 'proxy' | 'gateway';
function spec(target: Target, scenario: 'single' | 'list', urls: Servers['l0']): Omit<LoadSpec, 'connections' | 'durationMs'> {
  if (target === 'gateway') {
    const query = scenario === 'single' ? `{ modelDeployment(id: "${ID}") { ${FIELDS} } }` : `{ modelDeployments(first: 50) { edges { node { ${FIELDS} } } } }`;
    return {
      url: urls.gateway,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query }),
      check: (b: string) => (scenario === 'single' ? b.includes('"deepseek-v3-deployment"') : (b.match(/"id":/g) ?? []).length === 50) && !b.includes('"errors"'),
    };
  }
  const base = target === 'direct' ? urls.direct : urls.proxy;
  const path = scenario === 'single' ? '/v1/projects/default-project/llm-model-deployments/deepseek-v3-deployment' : '/v1/projects/default-project/llm-model-deployments?per_page=50';
  return {
    url: `${base}${path}`,
    method: 'GET' as const,
    headers: { authorization: `Bearer ${urls.token}`, accept: 'application/json' },
    check: (b: string) => (scenario === 'single' ? b.includes('"deepseek-v3-deployment"') : b.includes('"hasNextPage"')),
  };
}

interface Cell extends LoadResult {
  cpuUsPerReq: number;
}

async function measure(pid: number, s: ReturnType<typeof spec>): Promise<Cell> {
  await runLoad({ ...s, connections: CONNECTIONS, durationMs: WARMUP_MS });
  const rounds: Cell[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const before = cpuTicks(pid);
    const r = await runLoad({ ...s, connections: CONNECTIONS, durationMs: ROUND_MS });
    const cpu = (cpuTicks(pid) - before) * TICK_US;
    rounds.push({ ...r, cpuUsPerReq: cpu / Math.max(1, r.requests) });
  }
  rounds.sort((a, b) => a.rps - b.rps);
  return rounds[Math.floor(rounds.length / 2)]!;
}

const fmt = (n: number, d = 0) => n.toFixed(d).padStart(8);

async function httpSection() {
  const { servers, stop } = await startServers();
  try {
    console.log(`\nHTTP: ${CONNECTIONS} connections, ${ROUNDS} round(s) of ${ROUND_MS} ms after ${WARMUP_MS} ms warm-up, median round; ` +
      `${canPin ? 'load on core 0, servers on core 1' : 'NOT pinned (taskset or a 2nd core missing)'}`);
    console.log('latency  scenario  target      req/s    p50 ms   p99 ms  CPU µs/req  errors');
    const summary: string[] = [];
    for (const [label, urls] of [['0 ms', servers.l0], ['20 ms', servers.l20], ['20±5 ms', servers.l20j]] as const) {
      for (const scenario of ['single', 'list'] as const) {
        const cells: Partial<Record<Target, Cell>> = {};
        for (const target of ['direct', 'proxy', 'gateway'] as const) {
          const c = await measure(servers.pid, spec(target, scenario, urls));
          cells[target] = c;
          console.log(`${label.padEnd(8)} ${scenario.padEnd(9)} ${target.padEnd(8)} ${fmt(c.rps)} ${fmt(c.p50, 2)} ${fmt(c.p99, 2)} ${fmt(c.cpuUsPerReq)}    ${c.errors}`);
        }
        const g = cells.gateway!;
        const p = cells.proxy!;
        const d = cells.direct!;
        summary.push(
          `${label.padEnd(8)} ${scenario.padEnd(7)} gateway/proxy throughput ${(g.rps / p.rps).toFixed(2)}x, ` +
            `CPU ${fmt(g.cpuUsPerReq).trim()} vs ${fmt(p.cpuUsPerReq).trim()} µs/req, ` +
            `p50 over direct +${(g.p50 - d.p50).toFixed(2)} ms`,
        );
      }
    }
    console.log('\nRatios (targets: single ≥ 0.6x, list ≥ 0.25x the proxy; ≤ +2 ms p50 over direct at 20 ms):');
    console.log('  (at a constant 20 ms all 50 answers come back together, so each waits for the CPU work of the others: 20±5 ms shows the same load spread out)');
    for (const s of summary) console.log(`  ${s}`);
  } finally {
    stop();
  }
}

if (!only || only === 'http') await httpSection();
if (!only || only === 'subscriptions') {
  const { subscriptionSection } = await import('./subscriptions.js');
  await subscriptionSection({ quick });
}
if (!only || only === 'edge' || only === 'graphiql' || only === 'throughput') {
  const { edgeSection } = await import('./edge.js');
  await edgeSection({ quick, part: only === 'graphiql' || only === 'throughput' ? only : undefined });
}
if (!only || only === 'ops') await (await import('./ops.js')).opsSection({ quick, canPin });
process.exit(0);

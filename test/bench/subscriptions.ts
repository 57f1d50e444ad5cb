/**
 * The subscription section of `npm run bench`: one gateway process (pinned to core 1) over the
 * three simulators (in this process, on core 0, with the subscribers), 100 watched deployments
 * spread over the vendors, and 10, 1,000 and 10,000 SSE subscribers all running one identical
 * subscription to the 100 ids: the case a multiplexing poller is built for, and the largest
 * fan-out (every change goes to every subscriber). Measures upstream calls per poll interval,
 * gateway RSS, and how long a status change takes to reach every subscriber; then the same
 * delivery from a bare node:http server (sse-floor.ts), the floor on this machine.
 * Environment: BENCH_SUBSCRIBERS=10,1000 (levels), BENCH_GATEWAY_NODE_ARGS="--cpu-prof" (or
 * --heapsnapshot-signal=SIGUSR2, --expose-gc) for profiling the gateway; its stats port also takes
 * `?profile=start` and `?profile=<file>` to profile part of a run (sub-gateway.ts). What one
 * subscriber costs without sockets, quick and steady on a busy machine: sub-pipeline.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNorthflankSimulator, type NorthflankSimulator } from '../../adapters/northflank/simulator.js';
import { createNemoSimulator, type NemoSimulator } from '../../adapters/nemo/simulator.js';
import { seedDeployments } from '../../adapters/nemo/fixtures/seed.js';
import { createZStackSimulator, type ZStackSimulator } from '../../adapters/zstack/simulator.js';
import { SseSwarm, type SwarmRound } from './sse-swarm.js';

const WATCHED = { northflank: 47, nemo: 6, zstack: 47 } as const;
/** Items per list page (Northflank per_page, NeMo page_size) and uuids per ZStack batch query. */
const PAGE = 100;
// Nothing may move on its own during the run: every event must be one the benchmark made.
const PHASE_MS = 3_600_000;
const FD_HEADROOM = 512;
const TARGET_RSS_MB = 400;
/** Delivery p99 after the hub sees a change, as a multiple of the bare node:http floor measured in the same run. */
const TARGET_P99_OF_FLOOR = 1.2;

export const QUERY = `subscription($ids: [ID!]) {
  modelDeploymentStatusChanged(ids: $ids) { __typename ... on ModelDeploymentStatusTransition { current at deployment { id } } }
}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const canPin = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0 && cpus().length >= 2;

interface Sims {
  northflank: NorthflankSimulator;
  nemo: NemoSimulator;
  zstack: ZStackSimulator;
}
type Vendor = keyof Sims;
export const VENDORS: Vendor[] = ['northflank', 'nemo', 'zstack'];

interface Setup {
  sims: Sims;
  ids: Record<Vendor, string[]>;
  /** Upstream calls one poll of each backend needs. */
  needed: Record<Vendor, number>;
}

export async function startSims(): Promise<Setup> {
  const sims: Sims = {
    northflank: await createNorthflankSimulator({ phaseMs: PHASE_MS }),
    nemo: await createNemoSimulator({ phaseMs: PHASE_MS }),
    zstack: await createZStackSimulator({ phaseMs: PHASE_MS }),
  };
  // Northflank: through the vendor's own create call.
  const nf = sims.northflank;
  for (let i = nf.all().length; i < WATCHED.northflank; i++) {
    const res = await fetch(`${nf.url}/v1/projects/default-project/llm-model-deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${nf.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `bench model ${i}`,
        spec: { type: 'custom', configuration: { engine: 'vllm', nodeConfiguration: { storage: { storageClass: 'nvme', storageSize: 6144 } } } },
      }),
    });
    if (res.status !== 200) throw new Error(`northflank create failed: ${res.status} ${await res.text()}`);
  }
  // ZStack's API creates no models (they come from the repository): the simulator's control.
  const zs = sims.zstack;
  const zsSeed = '1bb3ef7d600d4d30b21b8ffd299c37b5';
  const template = zs.model(zsSeed)!;
  const zsUuids = [zsSeed];
  while (zsUuids.length < WATCHED.zstack) {
    const uuid = randomBytes(16).toString('hex');
    zs.addModel({ ...template, uuid, name: `bench-model-${zsUuids.length}` });
    zsUuids.push(uuid);
  }
  // NeMo's API creates no deployments either (an update adds a version): the seeded ones.
  const nemoKeys = seedDeployments.map((d) => `${d.workspace}/${d.name}`);
  if (nemoKeys.length < WATCHED.nemo) throw new Error(`the NeMo simulator seeds ${nemoKeys.length} deployments, fewer than ${WATCHED.nemo}`);

  const nfAll = nf.all();
  const perProject = (p: string) => nfAll.filter((d) => d.projectId === p).length;
  const perWorkspace = (w: string) => seedDeployments.filter((d) => d.workspace === w).length;
  return {
    sims,
    ids: {
      northflank: nfAll.slice(0, WATCHED.northflank).map((d) => `northflank:${d.projectId}/${d.id}`),
      nemo: nemoKeys.slice(0, WATCHED.nemo).map((k) => `nemo:${k}`),
      zstack: zsUuids.map((u) => `zstack:${u}`),
    },
    // Northflank and NeMo cannot batch by id: one list per project / workspace (and page); ZStack
    // batches its model query by uuids, and reads the models' user tags beside it.
    needed: {
      northflank: nf.projects.reduce((n, p) => n + Math.max(1, Math.ceil(perProject(p) / PAGE)), 0),
      nemo: sims.nemo.workspaces.reduce((n, w) => n + Math.max(1, Math.ceil(perWorkspace(w) / PAGE)), 0),
      // ZStack: one model query by uuids and the user-tag query beside it (per page).
      zstack: 2 * Math.ceil(WATCHED.zstack / PAGE),
    },
  };
}

interface GatewayProc {
  pid: number;
  url: string;
  statsUrl: string;
  fdLimit: number;
  proc: ChildProcess;
  stop(): void;
}

/** The gateway in its own process, on core 1, with room for the sockets (`ulimit -n` raised in its shell). */
export async function startGateway(config: unknown, fdWanted: number): Promise<GatewayProc> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-'));
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify(config));
  const script = fileURLToPath(new URL('./sub-gateway.ts', import.meta.url));
  const nodeArgs = [...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', 'tsx', script, file];
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [...(canPin ? ['taskset', '-c', '1'] : []), process.execPath, ...nodeArgs].map(quote).join(' ');
  const proc = spawn('sh', ['-c', `ulimit -n ${fdWanted} 2>/dev/null; exec ${cmd}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await firstLine(proc, 'the benchmark gateway');
  rmSync(dir, { recursive: true, force: true });
  const info = JSON.parse(line) as Omit<GatewayProc, 'proc' | 'stop'>;
  const stop = () => proc.kill('SIGTERM');
  // Not left behind holding 10,000 sockets if the benchmark dies half-way.
  process.once('exit', stop);
  return { ...info, proc, stop };
}

export interface GatewayStats {
  hub: Record<string, { watches: number; polls: number }>;
  subscriptions: { subscribers: number; watches: number };
}

export async function gatewayStats(g: GatewayProc): Promise<GatewayStats> {
  const res = await fetch(g.statsUrl);
  return (await res.json()) as GatewayStats;
}

export function memoryMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Upstream calls grouped into polls (a poll's calls start together; polls are about an interval apart). */
export function pollsOf(times: number[], intervalMs: number): Array<{ start: number; calls: number }> {
  const polls: Array<{ start: number; calls: number }> = [];
  let last = -Infinity;
  for (const t of [...times].sort((a, b) => a - b)) {
    if (t - last > intervalMs * 0.4) polls.push({ start: t, calls: 0 });
    polls[polls.length - 1]!.calls += 1;
    last = t;
  }
  return polls;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** One status change per round, rotating over the vendors; each undoes the previous one of its vendor. */
function changes(setup: Setup): Array<() => void> {
  const { sims } = setup;
  const nfKey = setup.ids.northflank[0]!.slice('northflank:'.length);
  const nemoKey = setup.ids.nemo[0]!.slice('nemo:'.length);
  const zsUuid = setup.ids.zstack[0]!.slice('zstack:'.length);
  const zsModel = sims.zstack.model(zsUuid)!;
  const zsTags = sims.zstack.userTags(zsUuid);
  let nfUp = true;
  let nemoUp = true;
  let zsUp = true;
  return [
    () => {
      sims.northflank.setStatus(nfKey, nfUp ? 'crashed' : 'running');
      nfUp = !nfUp;
    },
    () => {
      sims.nemo.setStatus(nemoKey, nemoUp ? 'ERROR' : 'READY', nemoUp ? 'benchmark failure' : 'benchmark recovery');
      nemoUp = !nemoUp;
    },
    () => {
      // A ZStack model has no status: deleted from the repository it is DELETED, back it is READY.
      if (zsUp) sims.zstack.removeModel(zsUuid);
      else sims.zstack.addModel(zsModel as never, { userTags: zsTags });
      zsUp = !zsUp;
    },
  ];
}

interface Delays {
  /** From the upstream change (or the floor's send) to each subscriber, all rounds together, sorted. */
  fromChange: number[];
  /** From the `at` of the event (the hub saw the change) to each subscriber, sorted. */
  afterHub: number[];
  /** The worst round's last subscriber. */
  lastFromChange: number;
  lastAfterHub: number;
  missed: number;
}

/** `rounds` times: make a change, wait until every subscriber has its event, keep the delays. */
async function measureDelivery(swarm: SseSwarm, rounds: number, timeoutMs: number, gapMs: number, makeChange: () => void | Promise<unknown>): Promise<Delays> {
  const d: Delays = { fromChange: [], afterHub: [], lastFromChange: 0, lastAfterHub: 0, missed: 0 };
  for (let r = 0; r < rounds; r++) {
    const round: SwarmRound = swarm.beginRound();
    await makeChange();
    d.missed += await swarm.awaitRound(round, timeoutMs);
    let last = 0;
    for (const t of round.received) {
      if (Number.isNaN(t)) continue;
      d.fromChange.push(t - round.changedAt);
      if (round.hubAt !== null) d.afterHub.push(performance.timeOrigin + t - round.hubAt);
      last = Math.max(last, t);
    }
    d.lastFromChange = Math.max(d.lastFromChange, last - round.changedAt);
    if (round.hubAt !== null) d.lastAfterHub = Math.max(d.lastAfterHub, performance.timeOrigin + last - round.hubAt);
    // Changes land at random points of the poll cycle.
    await sleep(gapMs * (0.5 + Math.random()));
  }
  d.fromChange.sort((a, b) => a - b);
  d.afterHub.sort((a, b) => a - b);
  return d;
}

const f = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const triple = (sorted: number[], last: number, digits = 0) => `${f(quantile(sorted, 0.5), digits)}/${f(quantile(sorted, 0.99), digits)}/${f(last, digits)}`;

/** A bare node:http SSE server on core 1, for the floor line. */
async function startFloor(fdWanted: number): Promise<{ pid: number; url: string; fireUrl: string; stop(): void }> {
  const script = fileURLToPath(new URL('./sse-floor.ts', import.meta.url));
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [...(canPin ? ['taskset', '-c', '1'] : []), process.execPath, '--import', 'tsx', script].map(quote).join(' ');
  const proc = spawn('sh', ['-c', `ulimit -n ${fdWanted} 2>/dev/null; exec ${cmd}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await firstLine(proc, 'the floor server');
  const stop = () => proc.kill('SIGTERM');
  process.once('exit', stop);
  return { ...(JSON.parse(line) as { pid: number; url: string; fireUrl: string }), stop };
}

function firstLine(proc: ChildProcess, what: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    proc.on('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
}

export async function subscriptionSection({ quick }: { quick: boolean }): Promise<void> {
  const intervalMs = quick ? 500 : 1000;
  const windowIntervals = quick ? 3 : 5;
  const rounds = quick ? 3 : 6;
  let levels = (process.env.BENCH_SUBSCRIBERS ?? '10,1000,10000').split(',').map(Number);

  const ownLimit = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim());
  const fdWanted = 65536;
  const notices: string[] = [];
  if (Number.isFinite(ownLimit) && ownLimit < Math.max(...levels) + FD_HEADROOM) {
    const fit = levels.filter((n) => n + FD_HEADROOM <= ownLimit);
    notices.push(
      `NOTICE: this process may open ${ownLimit} files (ulimit -n), too few for ${Math.max(...levels)} subscriber sockets; ` +
        `ran ${fit.join(', ') || 'no'} subscribers only. Raise the limit first: ulimit -n ${fdWanted}; npm run bench`,
    );
    levels = fit;
  }

  const setup = await startSims();
  const { sims } = setup;
  const allIds = VENDORS.flatMap((v) => setup.ids[v]);
  const body = JSON.stringify({ query: QUERY, variables: { ids: allIds } });
  const gateway = await startGateway(
    {
      server: { port: 0, graphiql: false },
      logging: { level: 'warn' },
      status: { pollIntervalMs: intervalMs },
      backends: VENDORS.map((v) => ({ id: v, ...sims[v].backendConfig })),
    },
    fdWanted,
  );
  if (gateway.fdLimit < Math.max(...levels) + FD_HEADROOM) {
    notices.push(`NOTICE: the gateway process may open only ${gateway.fdLimit} files (ulimit -n could not be raised to ${fdWanted}); subscribers beyond that fail.`);
  }
  const swarm = new SseSwarm(gateway.url, body);
  const change = changes(setup);
  let roundNo = 0;
  const rows: Array<{ n: number; rss: number; rssJoined: number; calls: number; exact: boolean; delays: Delays }> = [];
  const neededTotal = VENDORS.reduce((n, v) => n + setup.needed[v], 0);

  console.log(
    `\nSubscriptions: ${allIds.length} watched deployments (${VENDORS.map((v) => `${v} ${setup.ids[v].length}`).join(', ')}); ` +
      `each subscriber runs the same SSE subscription to all ${allIds.length}, so every change goes to every subscriber; ` +
      `poll interval ${intervalMs} ms ±10%; ${rounds} status changes per level, rotating over the vendors; ` +
      `${canPin ? 'gateway on core 1, simulators and subscribers on core 0' : 'NOT pinned (taskset or a 2nd core missing)'}; ` +
      `open-file limit: gateway ${gateway.fdLimit}, subscribers ${ownLimit}`,
  );
  for (const n of notices) console.log(n);
  const baseRss = memoryMb(gateway.pid).rss;
  console.log(`gateway RSS with no subscriber: ${f(baseRss)} MB`);
  console.log(
    `subscribers  calls/poll ${VENDORS.map((v) => v.slice(0, 2)).join('+')} (needed)  polls/interval  calls/interval  RSS MB joined/after events (KB/sub)  ` +
      `from change p50/p99/last ms  after hub sees p50/p99/last ms  missed  joined in`,
  );

  try {
    for (const n of levels) {
      const t0 = performance.now();
      await swarm.grow(n);
      if (swarm.errors.length) throw new Error(`subscribers failed (${swarm.errors.length}): ${swarm.errors.slice(0, 3).join(' | ')}`);
      // Every subscriber is watching once the gateway counts it.
      for (const deadline = performance.now() + 60_000; ; ) {
        const s = await gatewayStats(gateway);
        if (s.subscriptions.subscribers >= n && VENDORS.every((v) => s.hub[v])) break;
        if (performance.now() > deadline) throw new Error(`only ${JSON.stringify(s)} after a minute, wanted ${n} subscribers`);
        await sleep(50);
      }
      const joinedMs = performance.now() - t0;
      await sleep(intervalMs * (quick ? 1 : 2));
      const rssJoined = memoryMb(gateway.pid).rss;

      for (const v of VENDORS) sims[v].server.resetCalls();
      await sleep(intervalMs * windowIntervals);
      const callsPerPoll = {} as Record<Vendor, number>;
      const pollRate = {} as Record<Vendor, number>;
      for (const v of VENDORS) {
        const polls = pollsOf(sims[v].server.calls.map((c) => c.at), intervalMs);
        callsPerPoll[v] = polls.length ? Math.max(...polls.map((p) => p.calls)) : NaN;
        pollRate[v] = polls.length > 1 ? ((polls.length - 1) * intervalMs) / (polls.at(-1)!.start - polls[0]!.start) : NaN;
      }
      const calls = VENDORS.reduce((sum, v) => sum + callsPerPoll[v] * pollRate[v], 0);
      const exact = VENDORS.every((v) => callsPerPoll[v] === setup.needed[v]);

      const delays = await measureDelivery(swarm, rounds, intervalMs * 2 + 20_000, intervalMs * 0.3, () => change[roundNo++ % change.length]!());
      // After events, not at joining: one event to every subscriber is when memory peaks.
      const rss = memoryMb(gateway.pid).rss;
      rows.push({ n, rss, rssJoined, calls, exact, delays });
      console.log(
        `${String(n).padStart(11)}  ${`${VENDORS.map((v) => f(callsPerPoll[v])).join('+')} (${VENDORS.map((v) => setup.needed[v]).join('+')})`.padEnd(23)}  ` +
          `${VENDORS.map((v) => f(pollRate[v], 2)).join('/').padEnd(14)}  ${f(calls, 2).padStart(14)}  ` +
          `${`${f(rssJoined)}/${f(rss)} (${n >= 100 ? f(((rssJoined - baseRss) * 1024) / n, 1) : '-'})`.padStart(22)}  ${triple(delays.fromChange, delays.lastFromChange).padStart(27)}  ` +
          `${triple(delays.afterHub, delays.lastAfterHub, 1).padStart(30)}  ${String(delays.missed).padStart(6)}  ${(joinedMs / 1000).toFixed(1)} s`,
      );
      if (swarm.dropped) console.log(`  ${swarm.dropped} subscribers were cut off by the gateway`);
    }

    swarm.close();
    await sleep(intervalMs * 2);
    for (const v of VENDORS) sims[v].server.resetCalls();
    const quiet = quick ? 2 : 3;
    await sleep(intervalMs * quiet);
    const after = VENDORS.reduce((n, v) => n + sims[v].server.count(), 0);
    console.log(`after every subscriber left: ${after} upstream calls in ${quiet} intervals (want 0); gateway peak RSS (VmHWM) ${f(memoryMb(gateway.pid).hwm)} MB`);
  } finally {
    swarm.close();
    gateway.stop();
    await Promise.all(VENDORS.map((v) => sims[v].close()));
  }

  // The floor: what bare socket writes of one event to every subscriber cost on the same core.
  const floor = await startFloor(fdWanted);
  const floorSwarm = new SseSwarm(floor.url, body);
  const floorRows: string[] = [];
  let floorTop: Delays | null = null;
  try {
    for (const n of levels) {
      await floorSwarm.grow(n);
      const d = await measureDelivery(floorSwarm, quick ? 2 : rounds, 20_000, 100, () => fetch(floor.fireUrl, { method: 'POST' }).then((r) => r.text()));
      floorRows.push(`${triple(d.afterHub, d.lastAfterHub, 1)} at ${n} (RSS ${f(memoryMb(floor.pid).rss)} MB)`);
      floorTop = d;
    }
  } finally {
    floorSwarm.close();
    floor.stop();
  }
  console.log(`floor (bare node:http writing one ready-made event to every SSE response, core 1), after send p50/p99/last ms: ${floorRows.join(', ')}`);

  const top = rows.at(-1);
  const ten = rows.find((r) => r.n === 10_000);
  if (top) {
    const p99 = quantile(top.delays.afterHub, 0.99);
    const flat = rows.every((r) => r.exact);
    console.log(
      `Targets: upstream calls per interval flat at the ${neededTotal} list/batch calls needed: ${rows.map((r) => `${f(r.calls, 2)} at ${r.n}`).join(', ')}; ` +
        `calls per poll ${flat ? 'exactly as needed ✓' : 'NOT as needed ✗'}`,
    );
    console.log(
      `         10,000 SSE subscribers ≤ ${TARGET_RSS_MB} MB RSS: ${ten ? `${f(ten.rssJoined)} MB joined, ${f(ten.rss)} MB after events ${ten.rss <= TARGET_RSS_MB ? '✓' : '✗'}` : 'not run'}; ` +
        (floorTop
          ? (() => {
              const floorP99 = quantile(floorTop.afterHub, 0.99);
              const ratio = p99 / floorP99;
              return `p99 after the hub sees the change ≤ ${TARGET_P99_OF_FLOOR}× the floor's: ${f(p99, 1)} ms at ${top.n}, floor ${f(floorP99, 1)} ms, ${f(ratio, 2)}× ${ratio <= TARGET_P99_OF_FLOOR ? '✓' : '✗'}`;
            })()
          : `p99 after the hub sees the change: ${f(p99, 1)} ms at ${top.n} (no floor measured)`),
    );
  }
}

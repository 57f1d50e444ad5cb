/**
 * The process of the edge bench's comparison with an earlier tree: this tree's Northflank
 * simulator (0 ms) and bare proxy (upstream.ts), and in front of the simulator one gateway per
 * tree: this tree's and the one at BASELINE_ROOT. One process, so that the simulator, the proxy,
 * the heap and the process's luck are shared: only the gateway code differs between the two
 * measurements (in separate processes, the identical proxy differed by up to 10% in CPU per
 * request from one process to the other). Prints `{ pid, this, baseline, proxy, token }` as one
 * JSON line (`baseline` is absent without BASELINE_ROOT).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startUpstream } from './upstream.js';

const { sim, proxy } = await startUpstream();

/** The gateway of the tree at `root`, in front of the simulator: its URL. */
async function gatewayOf(root: string): Promise<string> {
  const load = (rel: string) => import(pathToFileURL(join(root, rel)).href);
  const { createGateway } = await load('src/gateway.ts');
  const { parseConfig } = await load('src/config.ts');
  const { createLogger } = await load('src/logger.ts');
  // Where the tree keeps its server: src/server/index.ts, or src/server.ts in earlier trees.
  const { startServer } = await load(existsSync(join(root, 'src/server/index.ts')) ? 'src/server/index.ts' : 'src/server.ts');
  const settings = {
    server: { port: 0 },
    logging: { level: 'silent' },
    backends: [{ id: 'northflank', ...sim.backendConfig, projects: ['default-project'] }],
  };
  // The per-backend upstream budget (default 100 reads/s) would measure itself; lifted, the bench
  // measures what the gateway's own code costs per request. A tree from before the budget has no
  // such setting (and refuses keys it does not know).
  let config;
  try {
    config = parseConfig({ ...settings, limits: { upstreamCallsPerSecond: 1_000_000, upstreamQueue: 100_000 } });
  } catch {
    config = parseConfig(settings);
  }
  const gateway = await createGateway(config, { logger: createLogger('silent') });
  return (await startServer(gateway, { port: 0 })).url;
}

const here = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const baselineRoot = process.env.BASELINE_ROOT;
const out = { pid: process.pid, this: await gatewayOf(here), baseline: baselineRoot ? await gatewayOf(resolve(baselineRoot)) : undefined, proxy, token: sim.token };
process.stdout.write(`${JSON.stringify(out)}\n`);
process.on('SIGTERM', () => process.exit(0));

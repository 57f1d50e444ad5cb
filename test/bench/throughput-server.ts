/**
 * The process of the edge bench's comparison with an earlier tree: this tree's Northflank
 * simulator (0 ms) and bare proxy (upstream.ts), and in front of the simulator one gateway per
 * tree, each from its bundle (gateway-bundle.ts; GATEWAY_BUNDLES: this tree's, then the
 * baseline's). One process, so that the simulator, the proxy, the heap and the process's luck are
 * shared: only the gateway code differs between the two measurements (in separate processes, the
 * identical proxy differed by up to 10% in CPU per request from one process to the other). Prints
 * `{ pid, this, baseline, proxy, token }` as one JSON line.
 */
import { pathToFileURL } from 'node:url';
import { startUpstream } from './upstream.js';

const { sim, proxy } = await startUpstream();

/** The gateway of a tree (its bundle, gateway-bundle.ts) in front of the simulator: its URL. */
async function gatewayOf(bundle: string): Promise<string> {
  const { createGateway, parseConfig, createLogger, startServer } = await import(pathToFileURL(bundle).href);
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

const [here, baseline] = (process.env.GATEWAY_BUNDLES ?? '').split(',');
if (!here) throw new Error('GATEWAY_BUNDLES: this tree\'s gateway bundle (and the baseline\'s), comma-separated');
const out = { pid: process.pid, this: await gatewayOf(here), baseline: baseline ? await gatewayOf(baseline) : undefined, proxy, token: sim.token };
process.stdout.write(`${JSON.stringify(out)}\n`);
process.on('SIGTERM', () => process.exit(0));

/**
 * The server side of the operations benchmark: a Northflank simulator and a gateway in front of it
 * (pinned to its own core by the caller), with metrics off and no tracing (`plain`) or with
 * metrics on and tracing on but sampled off (`observed`). Each variant runs in a process of its
 * own, so neither's code paths or heap shape the other's. Prints its URL as one JSON line.
 */
import { createNorthflankSimulator } from '../../adapters/northflank/simulator.js';
import { createGateway } from '../../src/gateway.js';
import { parseConfig } from '../../src/config.js';
import { startServer } from '../../src/server/index.js';
import { createLogger } from '../../src/logger.js';

const sim = await createNorthflankSimulator({ projects: ['default-project'], phaseMs: 1 });
const backends = [{ id: 'northflank', ...sim.backendConfig, projects: ['default-project'] }];

async function gateway(observed: boolean): Promise<string> {
  const config = parseConfig({
    server: { port: 0, metrics: { enabled: observed } },
    logging: { level: 'silent' },
    backends,
    // Lift the per-backend upstream budget (default 100 reads/s): the bench measures the gateway's code.
    limits: { upstreamCallsPerSecond: 1_000_000, upstreamQueue: 100_000 },
    // Nothing is sampled, so nothing is ever sent to this endpoint.
    ...(observed ? { tracing: { enabled: true, sampleRatio: 0, endpoint: 'http://127.0.0.1:9/v1/traces' } } : {}),
  });
  const g = await createGateway(config, { logger: createLogger('silent') });
  return (await startServer(g, { port: 0 })).url;
}

process.stdout.write(`${JSON.stringify({ pid: process.pid, url: await gateway(process.argv[2] === 'observed') })}\n`);
process.on('SIGTERM', () => process.exit(0));

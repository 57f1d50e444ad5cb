/**
 * The gateway of the edge bench, in its own process: the Northflank simulator (50 deployments) and
 * a gateway with an API key and GraphiQL on. Prints `{ pid, url, key }` as one JSON line.
 */
import { createNorthflankSimulator } from '../../adapters/northflank/simulator.js';
import { createGateway } from '../../src/gateway.js';
import { parseConfig } from '../../src/config.js';
import { startServer } from '../../src/server/index.js';
import { createLogger } from '../../src/logger.js';

const key = `bench-key-${process.pid}-0123456789abcdef`;
const sim = await createNorthflankSimulator({ projects: ['default-project'], phaseMs: 1 });
const config = parseConfig({
  server: { port: 0, graphiql: true },
  logging: { level: 'silent' },
  auth: { apiKeys: [{ name: 'bench', key, scopes: ['read'] }] },
  backends: [{ id: 'northflank', ...sim.backendConfig, projects: ['default-project'] }],
});
const gateway = await createGateway(config, { logger: createLogger('silent') });
const server = await startServer(gateway, { port: 0, warmAssets: true });
process.stdout.write(`${JSON.stringify({ pid: process.pid, url: server.url, key })}\n`);
process.on('SIGTERM', () => process.exit(0));

import type { Command } from 'commander';
import type { GatewayConfig } from '../config.js';
import type { Demo } from '../demo.js';

export interface ServeOptions {
  config?: string;
  port?: string;
  host?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the gateway. Without a config it starts the vendor simulators (demo mode).')
    .option('-c, --config <file>', 'YAML or JSON config file (or MODEL_GATEWAY_CONFIG)')
    .option('-p, --port <port>', 'port to listen on (or PORT)')
    .option('--host <host>', 'address to listen on (or HOST)')
    .action(async (opts: ServeOptions) => {
      await serve(opts);
    });
}

export async function serve(opts: ServeOptions, env = process.env): Promise<void> {
  // Loaded when serving only: `--help` and the other commands start without the gateway.
  const [{ loadConfigFile, parseConfig, ConfigError }, { createGateway }, { startServer }, { startDemo }, { createLogger }] = await Promise.all([
    import('../config.js'),
    import('../gateway.js'),
    import('../server.js'),
    import('../demo.js'),
    import('../logger.js'),
  ]);
  const file = opts.config ?? env.MODEL_GATEWAY_CONFIG;
  let demo: Demo | null = null;
  let config: GatewayConfig;
  if (file) {
    config = await loadConfigFile(file, env);
  } else {
    demo = await startDemo();
    config = parseConfig({ backends: demo.backends, logging: { level: env.LOG_LEVEL ?? 'info' } }, env);
  }
  const port = opts.port ?? env.PORT;
  if (port !== undefined) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`--port/PORT: ${JSON.stringify(port)} is not a port number`);
    config.server.port = n;
  }
  const host = opts.host ?? env.HOST;
  if (host) config.server.host = host;

  const logger = createLogger(config.logging.level);
  // A bug must not take the gateway down with it: log it (masked for clients already) and serve on.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  const gateway = await createGateway(config, { logger });
  const server = await startServer(gateway, { host: config.server.host, port: config.server.port });
  const out = process.stdout;
  out.write(`\nmodel-gateway is listening on ${server.url}\n`);
  if (config.server.graphiql) out.write(`GraphiQL: open ${server.url} in a browser\n`);
  if (demo) {
    out.write(`\nDEMO MODE: no config given, so the gateway serves the built-in vendor simulators:\n`);
    for (const sim of Object.values(demo.simulators)) out.write(`  ${sim.vendor.padEnd(11)} ${sim.url}\n`);
    out.write(`\nWARNING: demo mode is OPEN: no API key is required. Use --config with an auth section in production.\n`);
  } else if (!config.auth) {
    out.write(`\nWARNING: the config has no auth section: the API is OPEN to anyone who can reach ${config.server.host}:${server.port}.\n`);
  }
  out.write(`\nTry:\n  curl -s ${server.url} -H 'content-type: application/json' \\\n    -d '{"query":"{ modelDeployments(first: 5) { edges { node { id vendor name status } } } }"}'\n\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await server.close();
    await demo?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

import type { Command } from 'commander';
import { createServer as createNetServer } from 'node:net';
import type { GatewayConfig } from '../config.js';
import { CliError, usageError } from './client.js';
import type { Demo } from '../demo.js';
import type { CliIo } from './io.js';

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 4000;

export interface ServeOptions {
  config?: string;
  port?: string;
  host?: string;
}

export function registerServe(program: Command, io: CliIo): void {
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

/** Fails with the one-line EADDRINUSE reason before anything starts, rather than half-way through. */
async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? new CliError(`listen ${err.code}: ${err.code === 'EADDRINUSE' ? 'address already in use' : 'permission denied'} ${host}:${port}`) : err),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export async function serve(opts: ServeOptions, env = process.env): Promise<void> {
  const port = opts.port ?? env.PORT;
  let portNumber: number | undefined;
  if (port !== undefined) {
    portNumber = Number(port);
    if (!/^\d+$/.test(port.trim()) || portNumber > 65535) throw usageError(`${opts.port !== undefined ? '--port' : 'PORT'} ${JSON.stringify(port)}: not a port number (a whole number from 0 to 65535; 0 picks a free one)`);
  }
  // Loaded when serving only: `--help` and the other commands start without the gateway.
  const [{ loadConfigFile, parseConfig, ConfigError }, { createGateway }, { startServer }, { startDemo }, { createLogger }] = await Promise.all([
    import('../config.js'),
    import('../gateway.js'),
    import('../server/index.js'),
    import('../demo.js'),
    import('../logger.js'),
  ]);
  const file = opts.config ?? env.MODEL_GATEWAY_CONFIG;
  const host = opts.host ?? env.HOST;
  // Without a config, the simulators start only once the gateway's port is known to be free.
  const fileConfig = file ? await loadConfigFile(file, env) : null;
  const listen = { host: host || fileConfig?.server.host || DEFAULT_HOST, port: portNumber ?? fileConfig?.server.port ?? DEFAULT_PORT };
  await checkPortFree(listen.host, listen.port);
  let demo: Demo | null = null;
  let config: GatewayConfig;
  if (fileConfig) {
    config = fileConfig;
  } else {
    demo = await startDemo();
    config = parseConfig({ backends: demo.backends, logging: { level: env.LOG_LEVEL ?? 'info' } }, env);
  }
  config.server.host = listen.host;
  config.server.port = listen.port;

  const logger = createLogger(config.logging.level);
  // A bug must not take the gateway down with it: log it (masked for clients already) and serve on.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  const gateway = await createGateway(config, { logger });
  const server = await startServer(gateway, { host: config.server.host, port: config.server.port, boardAtRoot: Boolean(demo) });
  // The banner is for people: on stderr, so that stdout carries only the JSON log lines.
  const out = process.stderr;
  // Ready for a signal before the banner: whoever reads it may interrupt at once.
  // First signal: drain (bounded by server.drainTimeoutMs), exit 0 when everything finished in
  // time. A second signal exits at once.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const clean = await server.drain();
    await demo?.close();
    process.exit(clean ? 0 : 1);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  out.write(`\nmodel-gateway is listening on ${server.url}\n`);
  if (config.server.graphiql) out.write(`GraphiQL: open ${server.url} in a browser\n`);
  out.write(`Status board: open ${new URL(demo ? '/' : '/board', server.url)} in a browser\n`);
  if (demo) {
    out.write(`\nDEMO MODE: no config given, so the gateway serves the built-in vendor simulators:\n`);
    for (const sim of Object.values(demo.simulators)) out.write(`  ${sim.vendor.padEnd(11)} ${sim.url}\n`);
    out.write(`\nWARNING: demo mode is OPEN: no API key is required. Use --config with an auth section in production.\n`);
  } else if (!config.auth) {
    out.write(`\nWARNING: the config has no auth section: the API is OPEN to anyone who can reach ${config.server.host}:${server.port}.\n`);
  }
  out.write(`\nTry:\n  curl -s ${server.url} -H 'content-type: application/json' \\\n    -d '{"query":"{ modelDeployments(first: 5) { edges { node { id vendor name status } } } }"}'\n\n`);
}

import { expect } from 'vitest';
import { createManualClock, systemClock, type Clock, type ManualClock } from '../src/domain/clock.js';
import { createGateway, type Gateway, type GatewayOptions } from '../src/gateway.js';
import { parseConfig, type GatewayConfigInput } from '../src/config.js';
import { startServer } from '../src/server/index.js';
import { builtInSimulators } from '../adapters/simulators.js';
import type { VendorSimulator } from '../src/simulator/server.js';
import { createLogger } from '../src/logger.js';
import type { Adapter } from '../src/domain/adapter.js';
import pino, { type Logger } from 'pino';
import { sha512Hex } from '../adapters/zstack/client.js';
import type { RecordedCall } from '../src/simulator/server.js';
import { addSecret, captureServer, logSink } from './secret-capture.js';

export interface GqlResult<T = any> {
  status: number;
  headers: Headers;
  /** The parsed JSON response: `{ data, errors }`. */
  body: { data?: T; errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }> };
}

export interface Stack {
  /** The gateway's GraphQL endpoint, e.g. http://127.0.0.1:41234/graphql */
  url: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: { token?: string; headers?: Record<string, string> }): Promise<GqlResult<T>>;
  sims: Record<string, VendorSimulator & Record<string, any>>;
  clock: ManualClock;
  gateway: Gateway;
  /**
   * Every line the gateway logged, at trace level (unless `logger` was given). They, and every
   * response the gateway wrote, are scanned for secrets after the test file (test/setup-secret-scan.ts).
   */
  logs: string[];
  close(): Promise<void>;
}

export interface StackOptions {
  /** Built-in vendors to start simulators for; backend ids equal vendor names. @default all */
  vendors?: string[];
  clock?: ManualClock;
  /**
   * The clock of the watch hub, the upstream budgets and the upstream requests' deadlines.
   * @default the machine's (the hub polls in real time); pass `clock` to drive polling and
   * upstream timeouts by hand
   */
  statusClock?: Clock;
  phaseMs?: number;
  /** Extra simulators (e.g. a toy vendor) with their backend ids. */
  extraSims?: Record<string, VendorSimulator>;
  /** Merged over the generated config (auth, server, status, adapters …). */
  config?: Partial<GatewayConfigInput> & { baseDir?: string };
  /** Per-backend config additions, keyed by backend id (e.g. `{ zstack: { updateBodyStyle: 'wrapped' } }`). */
  backendOverrides?: Record<string, Record<string, unknown>>;
  adapters?: Adapter[];
  env?: Record<string, string>;
  /**
   * The gateway's logger; what it writes is not scanned. @default trace level into memory (`Stack.logs`),
   * plus the console at TEST_LOG_LEVEL when that is set
   */
  logger?: Logger;
  /** How long backend health is cached. @default the gateway's */
  healthTtlMs?: number;
  /** Turns tracing on, into this exporter. */
  traceExporter?: GatewayOptions['traceExporter'];
}

const SECRET_FIELDS = ['token', 'password', 'sessionUuid', 'key', 'apiKey', 'secret'];

/**
 * Registers a simulator's credentials for the secret scan, and every ZStack session a client
 * presents to it (sessions are issued at login; the gateway sends each one it uses, and the
 * session it logs out of is in the path).
 */
export function watchSimulator(simulator: VendorSimulator): void {
  const sim = simulator as VendorSimulator & Record<string, any>;
  const kind = (field: string) => `the ${sim.vendor} simulator's ${field}`;
  for (const f of SECRET_FIELDS) addSecret(kind(f), sim[f]);
  for (const f of SECRET_FIELDS) addSecret(kind(f), sim.backendConfig[f]);
  if (typeof sim.password === 'string') addSecret(`the ${sim.vendor} simulator's password as SHA-512 hex`, sha512Hex(sim.password));
  if (sim.vendor !== 'zstack') return;
  const calls = sim.server.calls as RecordedCall[] & { __watched?: true };
  if (calls.__watched) return;
  calls.__watched = true;
  const push = calls.push;
  calls.push = function (...items: RecordedCall[]) {
    for (const c of items) {
      const auth = c.headers.authorization;
      if (typeof auth === 'string' && auth.startsWith('OAuth ')) addSecret('a ZStack session uuid issued by the simulator', auth.slice('OAuth '.length).trim());
      const logout = /\/accounts\/sessions\/([^/]+)$/.exec(c.path);
      if (logout) addSecret('a ZStack session uuid issued by the simulator', decodeURIComponent(logout[1]!));
    }
    return push.apply(this, items);
  };
}

/** Registers every secret of a parsed config: backend credentials and API keys. */
function watchConfig(config: ReturnType<typeof parseConfig>): void {
  for (const b of config.backends as Array<Record<string, unknown> & { id: string }>) {
    for (const f of SECRET_FIELDS) addSecret(`backend ${b.id}'s configured ${f}`, b[f]);
    if (typeof b.password === 'string') addSecret(`backend ${b.id}'s configured password as SHA-512 hex`, sha512Hex(b.password));
  }
  for (const k of config.auth?.apiKeys ?? []) addSecret(`API key "${k.name}"`, k.key);
}

let stacks = 0;

function defaultLogger(source: string, lines: string[]): Logger {
  const sink = logSink(source, lines);
  const human = process.env.TEST_LOG_LEVEL;
  if (!human || human === 'silent') return createLogger('trace', sink);
  return createLogger('trace', pino.multistream([{ level: 'trace', stream: sink }, { level: human as pino.Level, stream: process.stdout }]));
}

/** Simulators + a gateway listening on port 0, with a manual clock shared by all of them. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const n = ++stacks;
  const started = expect.getState().currentTestName;
  const source = `gateway #${n} (started ${started ? `in "${started}"` : 'before the tests'})`;
  const clock = options.clock ?? createManualClock();
  const vendors = options.vendors ?? Object.keys(builtInSimulators);
  const sims: Stack['sims'] = {};
  for (const vendor of vendors) {
    const create = builtInSimulators[vendor];
    if (!create) throw new Error(`no simulator for ${vendor}`);
    sims[vendor] = (await create({ clock, phaseMs: options.phaseMs ?? 1000, seed: true })) as Stack['sims'][string];
  }
  for (const [id, sim] of Object.entries(options.extraSims ?? {})) sims[id] = sim as Stack['sims'][string];
  for (const sim of Object.values(sims)) watchSimulator(sim);
  const backends = Object.entries(sims).map(([id, sim]) => ({ id, ...sim.backendConfig, ...(options.backendOverrides?.[id] ?? {}) }));
  const { baseDir, ...rest } = options.config ?? {};
  const config = parseConfig(
    { server: { port: 0 }, logging: { level: 'silent' }, ...rest, backends },
    { ...process.env, ...(options.env ?? {}) },
    baseDir,
  );
  watchConfig(config);
  const logs: string[] = [];
  const gateway = await createGateway(config, {
    clock,
    statusClock: options.statusClock ?? systemClock,
    logger: options.logger ?? defaultLogger(source, logs),
    adapters: options.adapters,
    healthTtlMs: options.healthTtlMs,
    traceExporter: options.traceExporter,
  });
  const server = await startServer(gateway, { port: 0 });
  captureServer(server.server, source);
  const url = server.url;
  return {
    url,
    sims,
    clock,
    gateway,
    logs,
    // What the gateway answers is captured for the secret scan as its server writes it (captureServer).
    async gql(query, variables, opts) {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(opts?.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(opts?.headers ?? {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      let body: GqlResult['body'];
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`gateway answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
      }
      return { status: res.status, headers: res.headers, body };
    },
    async close() {
      await server.close();
      await Promise.allSettled(Object.values(sims).map((s) => s.close()));
    },
  };
}

/** Asserts no GraphQL errors and returns data. */
export function dataOf<T = any>(r: GqlResult<T>): T {
  if (r.body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.body.errors)}`);
  return r.body.data as T;
}

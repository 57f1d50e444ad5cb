import { createManualClock, type ManualClock } from '../src/domain/clock.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { parseConfig, type GatewayConfigInput } from '../src/config.js';
import { startServer } from '../src/server.js';
import { builtInSimulators } from '../adapters/simulators.js';
import type { VendorSimulator } from '../src/simulator/server.js';
import { createLogger } from '../src/logger.js';
import type { Adapter } from '../src/domain/adapter.js';
import type { Logger } from 'pino';

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
  close(): Promise<void>;
}

export interface StackOptions {
  /** Built-in vendors to start simulators for; backend ids equal vendor names. @default all */
  vendors?: string[];
  clock?: ManualClock;
  phaseMs?: number;
  /** Extra simulators (e.g. a toy vendor) with their backend ids. */
  extraSims?: Record<string, VendorSimulator>;
  /** Merged over the generated config (auth, server, status, adapters …). */
  config?: Partial<GatewayConfigInput> & { baseDir?: string };
  /** Per-backend config additions, keyed by backend id (e.g. `{ zstack: { updateBodyStyle: 'wrapped' } }`). */
  backendOverrides?: Record<string, Record<string, unknown>>;
  adapters?: Adapter[];
  env?: Record<string, string>;
  /** The gateway's logger. @default silent (or TEST_LOG_LEVEL) */
  logger?: Logger;
  /** How long backend health is cached. @default the gateway's */
  healthTtlMs?: number;
}

/** Simulators + a gateway listening on port 0, with a manual clock shared by all of them. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const clock = options.clock ?? createManualClock();
  const vendors = options.vendors ?? Object.keys(builtInSimulators);
  const sims: Stack['sims'] = {};
  for (const vendor of vendors) {
    const create = builtInSimulators[vendor];
    if (!create) throw new Error(`no simulator for ${vendor}`);
    sims[vendor] = (await create({ clock, phaseMs: options.phaseMs ?? 1000, seed: true })) as Stack['sims'][string];
  }
  for (const [id, sim] of Object.entries(options.extraSims ?? {})) sims[id] = sim as Stack['sims'][string];
  const backends = Object.entries(sims).map(([id, sim]) => ({ id, ...sim.backendConfig, ...(options.backendOverrides?.[id] ?? {}) }));
  const { baseDir, ...rest } = options.config ?? {};
  const config = parseConfig(
    { server: { port: 0 }, logging: { level: 'silent' }, ...rest, backends },
    { ...process.env, ...(options.env ?? {}) },
    baseDir,
  );
  const gateway = await createGateway(config, {
    clock,
    logger: options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    adapters: options.adapters,
    healthTtlMs: options.healthTtlMs,
  });
  const server = await startServer(gateway, { port: 0 });
  const url = server.url;
  return {
    url,
    sims,
    clock,
    gateway,
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

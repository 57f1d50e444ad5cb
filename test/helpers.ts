import { expect } from 'vitest';
import { createManualClock, systemClock, type Clock, type ManualClock } from '../src/domain/clock.js';
import { createGateway, type Gateway, type GatewayOptions } from '../src/gateway.js';
import { parseConfig, type GatewayConfigInput } from '../src/config.js';
import { startServer } from '../src/server/index.js';
import { builtInVendors } from '../adapters/index.js';
import { vendorModule, type ConformanceCase, type VendorModule } from '../src/vendor-module.js';
import type { Fault, SimulatorServer, VendorSimulator } from '../src/simulator/server.js';
import { createLogger } from '../src/logger.js';
import pino, { type Logger } from 'pino';
import type { RecordedCall } from '../src/simulator/server.js';
import { addSecret, captureServer, logSink } from './secret-capture.js';
import type { WatchHub } from '../src/status/hub.js';
import { subscriptionEventsSent } from '../src/graphql/subscriptions.js';

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
  /**
   * The vendors the gateway has, as built-ins: their adapters, simulators and test cases.
   * @default the built-in ones (adapters/index.ts)
   */
  registry?: readonly VendorModule[];
  /** Vendors of the registry to start simulators for; backend ids equal vendor names. @default all */
  vendors?: string[];
  clock?: ManualClock;
  /**
   * The clock of the watch hub, the upstream budgets and the upstream requests' deadlines.
   * @default the machine's (the hub polls in real time); pass `clock` to drive polling and
   * upstream timeouts by hand
   */
  statusClock?: Clock;
  /** The clock of the gateway's upstream clients (retry waits, deadlines). @default statusClock */
  upstreamClock?: Clock;
  phaseMs?: number;
  /** Extra simulators (e.g. a toy vendor) with their backend ids. */
  extraSims?: Record<string, VendorSimulator>;
  /** Merged over the generated config (auth, server, status, adapters …). */
  config?: Partial<GatewayConfigInput> & { baseDir?: string };
  /** Per-backend config additions, keyed by backend id (e.g. `{ zstack: { updateBodyStyle: 'wrapped' } }`). */
  backendOverrides?: Record<string, Record<string, unknown>>;
  /** The gateway's vendors, in place of the registry's (a bare adapter: a vendor without a GraphQL part). */
  adapters?: GatewayOptions['adapters'];
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

/** The cases of a vendor's module (adapters/<vendor>/index.ts), e.g. its `existingKey`. */
export function conformanceOf(vendor: string, registry: readonly VendorModule[] = builtInVendors): ConformanceCase {
  return vendorModule(registry, vendor).conformance;
}

/**
 * The conformance update of a vendor's module as the input of updateModelDeployment, for the
 * vendor's backend `backend` (its vendor block under the vendor's name).
 */
export function conformanceInput(vendor: string, backend = vendor, registry: readonly VendorModule[] = builtInVendors): Record<string, unknown> {
  const conf = conformanceOf(vendor, registry);
  const { vendor: block, ...common } = conf.validPatch;
  return { id: `${backend}:${conf.existingKey}`, ...common, ...(block ? { [vendor]: block } : {}) };
}

export interface PlannedWrite {
  method: string;
  /** Path and query as sent. */
  path: string;
}

/** The writes (every request but a GET) that an update would send, as its dry run plans them. */
export async function plannedWrites(gql: (query: string, variables: Record<string, unknown>) => Promise<GqlResult['body']>, input: Record<string, unknown>): Promise<PlannedWrite[]> {
  const body = await gql(
    `mutation($input: UpdateModelDeploymentInput!) { updateModelDeployment(input: $input) { __typename ... on UpdateModelDeploymentSuccess { requests { method path } } ... on Error { message } } }`,
    { input: { ...input, dryRun: true } },
  );
  const r = body.data?.updateModelDeployment;
  if (r?.__typename !== 'UpdateModelDeploymentSuccess') throw new Error(`the dry run of ${JSON.stringify(input)} failed: ${JSON.stringify(body)}`);
  return (r.requests as PlannedWrite[]).filter((q) => q.method !== 'GET');
}

/** Whether a call a simulator received is one of the planned writes. */
export const isPlanned = (writes: readonly PlannedWrite[]) => (c: Pick<RecordedCall, 'method' | 'path' | 'query'>) => writes.some((w) => w.method === c.method && w.path === `${c.path}${c.query}`);

/**
 * Registers a simulator's credentials for the secret scan, what its vendor module derives from
 * them (e.g. a password's hash), and the secrets every call it receives carries by its module's
 * rules (e.g. sessions issued at login, presented on each call and named by the logout).
 */
export function watchSimulator(simulator: VendorSimulator, registry: readonly VendorModule[] = builtInVendors): void {
  const sim = simulator as VendorSimulator & Record<string, any>;
  const kind = (field: string) => `the ${sim.vendor} simulator's ${field}`;
  for (const f of SECRET_FIELDS) addSecret(kind(f), sim[f]);
  for (const f of SECRET_FIELDS) addSecret(kind(f), sim.backendConfig[f]);
  const rules = registry.find((m) => m.vendor === sim.vendor)?.secrets;
  for (const [k, v] of rules?.ofBackend?.(sim.backendConfig) ?? []) addSecret(`the ${sim.vendor} simulator's backend entry: ${k}`, v);
  const ofCall = rules?.ofCall;
  if (!ofCall) return;
  const calls = sim.server.calls as RecordedCall[] & { __watched?: true };
  if (calls.__watched) return;
  calls.__watched = true;
  const push = calls.push;
  calls.push = function (...items: RecordedCall[]) {
    for (const c of items) for (const [k, v] of ofCall(c)) addSecret(k, v);
    return push.apply(this, items);
  };
}

/** Registers every secret of a parsed config: backend credentials (and what their vendor derives from them) and API keys. */
function watchConfig(config: ReturnType<typeof parseConfig>, registry: readonly VendorModule[]): void {
  for (const b of config.backends as Array<Record<string, unknown> & { id: string; vendor: string }>) {
    for (const f of SECRET_FIELDS) addSecret(`backend ${b.id}'s configured ${f}`, b[f]);
    const derive = registry.find((m) => m.vendor === b.vendor)?.secrets?.ofBackend;
    for (const [k, v] of derive?.(b) ?? []) addSecret(`backend ${b.id}'s configured credentials: ${k}`, v);
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
  const registry = options.registry ?? builtInVendors;
  const vendors = options.vendors ?? registry.map((m) => m.vendor);
  const sims: Stack['sims'] = {};
  for (const vendor of vendors) {
    sims[vendor] = (await vendorModule(registry, vendor).simulator({ clock, phaseMs: options.phaseMs ?? 1000, seed: true })) as Stack['sims'][string];
  }
  for (const [id, sim] of Object.entries(options.extraSims ?? {})) sims[id] = sim as Stack['sims'][string];
  for (const sim of Object.values(sims)) watchSimulator(sim, registry);
  const backends = Object.entries(sims).map(([id, sim]) => ({ id, ...sim.backendConfig, ...(options.backendOverrides?.[id] ?? {}) }));
  const { baseDir, ...rest } = options.config ?? {};
  const config = parseConfig(
    { server: { port: 0 }, logging: { level: 'silent' }, ...rest, backends },
    { ...process.env, ...(options.env ?? {}) },
    baseDir,
  );
  watchConfig(config, registry);
  const logs: string[] = [];
  const gateway = await createGateway(config, {
    clock,
    statusClock: options.statusClock ?? systemClock,
    upstreamClock: options.upstreamClock,
    logger: options.logger ?? defaultLogger(source, logs),
    // The built-in registry is the gateway's default; any other is handed over as the gateway's adapters.
    adapters: options.adapters ?? (registry === builtInVendors ? undefined : registry),
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

/**
 * A manual clock on which a sleep ends at once, having moved the clock by its length: an upstream
 * client's retry backoffs take no real time, yet come in order and at the clock times they would.
 * Its timers (request deadlines) fire only when time passes them; the test moves it with
 * `advance` for what nobody sleeps through (a circuit breaker's wait before it half-opens).
 */
export function createSkippingClock(): ManualClock {
  const clock = createManualClock();
  clock.sleep = (ms, signal) => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    clock.advance(Math.max(0, ms));
    return Promise.resolve();
  };
  return clock;
}

const realSleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What `p` settles to, or `fallback` when it has not settled within `ms` of real time: a guard
 * against a hang (of a process or a socket), never a pace. The timer ends with the race.
 */
export async function orAfter<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<F>((r) => (timer = setTimeout(() => r(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits (in real time, up to `timeoutMs`) until `cond` holds: for sockets, processes and reads, never for a pace. */
export async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  if (!cond()) await eventually(what, async () => cond(), timeoutMs);
}

/**
 * Asks `probe` again (in real time, up to `timeoutMs`) until it gives a value: for what only a new
 * request, a read of Redis or a scrape shows. The one loop of the tests that waits on the machine
 * (`until` is its form for a condition of this process's own state).
 */
export async function eventually<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await realSleep(5);
  }
}

/** Polls of a backend the hub has ended since it started (a watch that ended since keeps its count). */
export const polled = (hub: WatchHub, backend: string): number => hub.polledSinceStart(backend);

/** Whether no poll of the hub is under way. */
export const hubIdle = (hub: WatchHub): boolean => Object.values(hub.stats()).every((s) => s.polls === s.polled);

/**
 * Drives a hub that runs on a manual clock: moves the clock `stepMs` at a time until each named
 * backend has ended `rounds[backend]` more polls begun after the call, and after each step waits until the polls it
 * began have ended (their reads are real HTTP calls). A backend polls at most once per step (its
 * next poll is timed from the end of the one before), and a healthy one exactly once when the
 * step is at least the interval plus its jitter. Returns the steps taken.
 */
export async function pollRounds(hub: WatchHub, clock: ManualClock, rounds: Record<string, number>, stepMs: number, timeoutMs = 30_000): Promise<number> {
  const what = () => `polls of ${JSON.stringify(rounds)} (now ${JSON.stringify(hub.stats())})`;
  // Bounded in steps of the clock (a backend polls at least once in a few steps unless it is
  // stuck); each step's wait for the polls to end has its own hang guard.
  const maxSteps = 100 * Math.max(1, ...Object.values(rounds));
  // A poll under way now may have read the backend before the caller's change: it ends first and
  // does not count, so every round counted is a poll begun after this call.
  await until(what(), () => hubIdle(hub), timeoutMs);
  const target = Object.fromEntries(Object.entries(rounds).map(([b, n]) => [b, polled(hub, b) + n]));
  let steps = 0;
  while (Object.entries(target).some(([b, n]) => polled(hub, b) < n)) {
    if (steps >= maxSteps) throw new Error(`no ${what()} in ${maxSteps} steps of ${stepMs} ms`);
    clock.advance(stepMs);
    steps++;
    await until(what(), () => hubIdle(hub), timeoutMs);
  }
  return steps;
}

/**
 * Waits until the collectors hold every event the gateway has handed to subscribers since its
 * count was `from` (`subscriptionEventsSent`): then nothing sent is still on its way, and an event
 * sent twice is there to be counted.
 */
export async function allArrived(hub: WatchHub, from: number, collectors: Array<{ events: unknown[] }>, timeoutMs = 30_000): Promise<void> {
  const received = () => collectors.reduce((n, c) => n + c.events.length, 0);
  await until(`the events sent (${subscriptionEventsSent(hub) - from}) to arrive (${received()} so far)`, () => received() >= subscriptionEventsSent(hub) - from, timeoutMs);
}

/** A stack whose gateway's upstream time (deadlines, retry waits) is its manual clock. */
export const startOnClock = (options: Parameters<typeof startStack>[0] = {}) => {
  const clock = createManualClock();
  return startStack({ ...options, clock, statusClock: clock });
};

/**
 * Awaits `answer` while moving `clock` the way the request asks: a timer due within `shortMs` (a
 * retry's wait; the upstream client's longest is 200 ms) is run out at once; a longer one (a
 * request's deadline) only when `held()` counts more requests held by the simulator than have
 * been timed out so far, and then exactly to it. A
 * request on its way or answered is never timed out by it. Returns the answer and how far the
 * clock moved meanwhile.
 */
export async function onClock<T>(clock: ManualClock, answer: Promise<T>, held: () => number = () => 0, shortMs = 200): Promise<{ value: T; movedMs: number }> {
  const from = clock.now();
  let settled = false;
  answer.then(
    () => (settled = true),
    () => (settled = true),
  );
  let timedOut = 0;
  const waitOf = () => {
    const due = clock.nextTimerAt();
    return due === null ? null : due - clock.now();
  };
  /** A wait the clock may run out now: a retry's, or a deadline of a request the simulator holds. */
  const runnable = () => {
    const wait = waitOf();
    return wait !== null && (wait <= shortMs || held() > timedOut);
  };
  for (;;) {
    // Real time only for the sockets to carry what moved (no bound on it is asserted).
    await until('the answer, or a wait of it the clock may run out', () => settled || runnable());
    if (settled) break;
    const wait = waitOf()!;
    if (wait > shortMs) timedOut++;
    clock.advance(wait);
    // A turn of the event loop (no time): what the move set off runs before the next look.
    await new Promise((r) => setImmediate(r));
  }
  return { value: await answer, movedMs: clock.now() - from };
}

/** Resolves once `clock` reads `at` or later (no timer: it listens to the clock's moves). */
export function clockReaches(clock: ManualClock, at: number): Promise<void> {
  return new Promise((resolve) => {
    if (clock.now() >= at) return resolve();
    const stop = clock.onChange(() => {
      if (clock.now() < at) return;
      stop();
      resolve();
    });
  });
}

/** Latency on the stack's clock: the request is held until the clock has moved `ms()` past its arrival. */
export const latency = (clock: ManualClock, ms: () => number): Fault => ({ kind: 'gate', until: () => clockReaches(clock, clock.now() + ms()) });

/**
 * For onClock: how many requests `server` has held without an answer (a `hang` fault) since now;
 * only those are run past their deadline. With a fault that is no hang, undefined: none is.
 */
export function heldSince(server: SimulatorServer, fault: Fault = { kind: 'hang' }): (() => number) | undefined {
  if (fault.kind !== 'hang') return undefined;
  const held = () => server.calls.filter((c) => c.status === -1).length;
  const from = held();
  return () => held() - from;
}

import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { createYoga, createLRUCache, maskError as yogaMaskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { useGraphQlJit, type JITCache } from '@envelop/graphql-jit';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import type { Logger } from 'pino';
import { getOperationAST, NoSchemaIntrospectionCustomRule, GraphQLError, getVariableValues, type DocumentNode, type ExecutionArgs, type ExecutionResult, type Source } from 'graphql';
import { builtInVendors } from '../adapters/index.js';
import type { Adapter, BackendConfigBase } from './domain/adapter.js';
import type { Backend } from './domain/backend.js';
import type { ModelDeployment } from './domain/deployment.js';
import { systemClock, type Clock } from './domain/clock.js';
import { GatewayError, isErrorCode, type ErrorCode } from './domain/errors.js';
import { createHttpClient } from './http/client.js';
import { checkRedis, ConfigError, parseBackendEntry, suggestKey, type GatewayConfig } from './config.js';
import { buildSchema, type BuiltSchema } from './graphql/schema.js';
import { asVendorModule, type VendorGraphQL, type VendorModule } from './graphql/vendor.js';
import { DeploymentLoaders, type GraphQLContext } from './graphql/context.js';
import { shownErrorOf, toGraphQLError } from './graphql/errors.js';
import { authenticate, sha256Hex, type ApiKeyEntry, type Principal } from './auth.js';
import { createLogger } from './logger.js';
import { useSharedSubscriptionExecution } from './graphql/shared-execution.js';
import { WatchHub } from './status/hub.js';
import { createMemoryPubSub, type GatewayPubSub, type PubSubHandle } from './status/pubsub.js';
import { createAppServices, type AppServices } from './app/services.js';
import { observeWrites } from './app/updates.js';
import { useCsrfPrevention } from './server/csrf.js';
import { useClearNotAcceptable } from './server/not-acceptable.js';
import { useEndableStreams, type StreamEnder } from './server/streams.js';
import { createLocalPollOwnership, type PollOwnership } from './status/poll-ownership.js';
import { UpstreamBudget } from './app/upstream-budget.js';
import type { GatewayRuntime, HealthView } from './app/runtime.js';
import { createWatches } from './app/watches.js';
import { createObservability, type OperationObserver } from './observability/index.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface GatewayOptions {
  logger?: Logger;
  clock?: Clock;
  /**
   * The clock of the watch hub (polling timers, jitter, observation times), of the upstream
   * budgets, of upstream retry waits, of the upstream requests' deadlines and of the health cache. @default clock
   */
  statusClock?: Clock;
  /** The clock of the upstream HTTP clients (retry waits, request deadlines). @default statusClock */
  upstreamClock?: Clock;
  /**
   * Replaces the built-in vendors (tests). A bare adapter is a vendor without a GraphQL part.
   * External adapters from the config are added to these.
   */
  adapters?: readonly (Adapter | VendorModule)[];
  /** How long a backend's health answer is reused. @default 5000 */
  healthTtlMs?: number;
  /** Longest wait for another write to the same deployment, before ConflictError. @default 30000 */
  lockWaitMs?: number;
  /** Traces go to this exporter (tests), and tracing is on, whatever the config says. */
  traceExporter?: SpanExporter;
}

export interface Gateway {
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  runtime: GatewayRuntime;
  schema: BuiltSchema['schema'];
  /** Checks an Authorization header value: the principal, `open` without auth, null when refused. */
  authenticate(authorization: string | null | undefined): Principal | 'open' | null;
  /** Ends every live subscription (each gets `complete`) and every one started later: the drain. */
  endStreams(): void;
  /** Operations graphql-jit holds compiled (at most 1,000, the least recently run dropped first). */
  compiledOperations(): number;
  close(): Promise<void>;
}

const DEFAULT_HEALTH_TTL_MS = 5_000;
/** Runs of an operation on graphql-js before graphql-jit compiles it. */
export const JIT_AFTER_RUNS = 8;
let builtInSchema: BuiltSchema | null = null;

/**
 * Loads `adapters:` modules of the config. Each exports its adapter (as the default export or as
 * `adapter`) and, optionally, its GraphQL part as `graphql`; or a default export `{ adapter, graphql }`.
 * Without a GraphQL part, the vendor's deployments are served as GenericModelDeployment. A module's
 * vendor must be its own: not one of `base` (the built-in ones), not another module's.
 */
export async function loadExternalAdapters(config: GatewayConfig, base: readonly VendorModule[] = builtInVendors): Promise<VendorModule[]> {
  const out: VendorModule[] = [];
  const taken = new Map<string, string>(base.map((v) => [v.adapter.vendor, 'a built-in adapter']));
  for (const [i, spec] of config.adapters.entries()) {
    const target = spec.startsWith('.') || spec.startsWith('/') ? pathToFileURL(resolve(config.baseDir ?? process.cwd(), spec)).href : spec;
    let mod: Record<string, unknown>;
    try {
      mod = await import(target);
    } catch (err) {
      throw new ConfigError(`adapters[${i}]: cannot load adapter module ${spec}: ${(err as Error).message.split('\n')[0]}`);
    }
    const exported = (mod.default ?? mod.adapter) as Partial<Adapter & VendorModule> | undefined;
    const paired = Boolean(exported && typeof exported === 'object' && 'adapter' in exported);
    const candidate = (paired ? exported!.adapter : exported) as Partial<Adapter> | undefined;
    const graphql = (paired ? exported!.graphql : mod.graphql) as Partial<VendorGraphQL> | undefined;
    const problems: string[] = [];
    if (!candidate || typeof candidate !== 'object') problems.push('exports no adapter (default export or `adapter`)');
    else {
      if (typeof candidate.vendor !== 'string' || !/^[a-z][a-z0-9]*$/.test(candidate.vendor)) problems.push('vendor must be a lower-case word');
      if (typeof candidate.create !== 'function') problems.push('create must be a function');
      if (!candidate.configSchema || typeof (candidate.configSchema as { safeParse?: unknown }).safeParse !== 'function') problems.push('configSchema must be a zod schema');
      if (!candidate.capabilities) problems.push('capabilities are missing');
      if ('registerTypes' in candidate) problems.push('registerTypes belongs to the module\'s `graphql` export ({ typeName, registerTypes }), not to the adapter');
    }
    if (graphql !== undefined) {
      if (!graphql || typeof graphql !== 'object') problems.push('graphql must be an object with typeName and registerTypes');
      else {
        if (typeof graphql.typeName !== 'string' || !/^[_A-Za-z][_0-9A-Za-z]*$/.test(graphql.typeName)) problems.push('graphql.typeName must be a GraphQL type name');
        if (typeof graphql.registerTypes !== 'function') problems.push('graphql.registerTypes must be a function');
      }
    }
    if (problems.length) throw new ConfigError(`adapters[${i}]: module ${spec} is not a model-gateway adapter:`, problems);
    const adapter = candidate as Adapter;
    const holder = taken.get(adapter.vendor);
    if (holder) throw new ConfigError(`adapters[${i}]: module ${spec} is an adapter for vendor ${JSON.stringify(adapter.vendor)}, which ${holder} already serves: a vendor has one adapter`);
    taken.set(adapter.vendor, `adapters[${i}] (module ${spec})`);
    out.push(graphql ? { adapter, graphql: graphql as VendorGraphQL } : { adapter });
  }
  return out;
}

/** Refuses introspection at validation, on every transport (HTTP fast path, Yoga, WebSocket). */
function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/**
 * The gateway's work around every execution, in one envelop hook: a hook of its own would cost
 * every request another turn of envelop's hook loop (`npm run bench`). Before the execution, a
 * mutation lifts the per-request cap on upstream reads (`limits.upstreamCallsPerRequest` bounds
 * what a read can cost; a mutation's reads are bounded by its own limits). At its end, in this
 * order: the operation's metrics and span (on the result as executed); graphql-js's form of a
 * compiled result (its context marked COMPILED by the JIT plugin's choice: placed after that plugin); the
 * log line of each error that is not ours and the partial failures of a list; and, with
 * introspection off, no suggestions in variable errors. Masking and codes come after, in the mask
 * function.
 */
function useExecutionHooks(o: { begin: OperationObserver['begin']; logger: Logger; hideSuggestions: boolean }): Plugin<GraphQLContext> {
  const { begin, logger, hideSuggestions } = o;
  type Done = { args: ExecutionArgs; result: unknown; setResult: (r: never) => void };
  const finish = ({ args, result, setResult }: Done, observed: ((errors: boolean) => void) | null) => {
    if (!result || typeof result !== 'object' || Symbol.asyncIterator in result) {
      observed?.(false);
      return;
    }
    let r = result as ExecutionResult;
    observed?.(Boolean(r.errors?.length));
    const ctx = args.contextValue as GraphQLContext;
    let changed = false;
    if (r.errors?.length && COMPILED in ctx) {
      r = graphqlJsForm(args, r);
      changed = true;
    }
    if ('errors' in r || 'data' in r) {
      for (const e of r.errors ?? []) {
        if (e.originalError && !shownErrorOf(e)) {
          logger.error({ err: e.originalError, requestId: ctx.requestId, path: e.path }, 'unexpected error in resolver');
        }
      }
      // Partial list failures ride along as errors next to the data of the other backends.
      if (ctx.partialErrors?.length) {
        // GatewayErrors (GraphQLErrors) all, typed as plain errors in the context.
        r = { ...r, errors: [...(r.errors ?? []), ...(ctx.partialErrors as GraphQLError[])] };
        changed = true;
      }
    }
    // Variable values are checked at execution: their messages may suggest enum values.
    if (hideSuggestions && r.errors?.some((e) => / Did you mean /.test(e.message))) {
      r = { ...r, errors: r.errors.map(withoutSuggestion) };
      changed = true;
    }
    // setResult's type is generic over the execution's result type; a copy of that same result goes back.
    if (changed) setResult(r as never);
  };
  // Without metrics or tracing, one hooks object for every execution.
  const unobserved = { onExecuteDone: (done: Done) => finish(done, null) };
  return {
    onExecute({ args }) {
      const op = getOperationAST(args.document, args.operationName);
      if (op?.operation === 'mutation') (args.contextValue as GraphQLContext).loaders?.uncap();
      if (!begin) return unobserved;
      // envelop's hook type is generic over each execution's arguments.
      return new ObservedExecution(finish, begin(args, 'query', op)) as never;
    },
  };
}

/** Marks the context of an execution graphql-jit runs. */
const COMPILED = Symbol('run by graphql-jit');

/** The end of one observed execution: a class, so that its hook is one shared method rather than a closure per request. */
class ObservedExecution<D> {
  constructor(
    private readonly finish: (done: D, observed: (errors: boolean) => void) => void,
    private readonly observed: (errors: boolean) => void,
  ) {}

  onExecuteDone(done: D): void {
    this.finish(done, this.observed);
  }
}

/** Codes Yoga, graphql-js and graphql-armor use, in terms of our fixed set. */
const FOREIGN_CODES: Record<string, ErrorCode> = {
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_VALIDATION',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION',
  OPERATION_RESOLUTION_FAILURE: 'GRAPHQL_VALIDATION',
  BAD_USER_INPUT: 'GRAPHQL_VALIDATION',
  PERSISTED_QUERY_NOT_FOUND: 'BAD_REQUEST',
  INTERNAL_SERVER_ERROR: 'INTERNAL',
};

function fixedCodeOf(error: GraphQLError): ErrorCode {
  const ext = error.extensions ?? {};
  if (isErrorCode(ext.code)) return ext.code;
  if (typeof ext.code === 'string' && FOREIGN_CODES[ext.code]) return FOREIGN_CODES[ext.code]!;
  if (ext.unexpected) return 'INTERNAL';
  const status = (ext.http as { status?: number } | undefined)?.status;
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  // A 400 about a place in the document (a variable's value, as Yoga's executor marks it) is the
  // operation's fault; one about no place (a body that is not JSON, a batch) is the request's.
  if (status === 400 && error.locations?.length && !error.path) return 'GRAPHQL_VALIDATION';
  if (status !== undefined && status >= 400 && status < 500) return 'BAD_REQUEST';
  if (status !== undefined && status >= 500) return 'INTERNAL';
  // With a path it arose while producing the result (e.g. a value the schema cannot serialize);
  // without one it is about the request (variables, query limits).
  return error.path ? 'INTERNAL' : 'GRAPHQL_VALIDATION';
}

/**
 * Gives an error a code of the fixed set (ERROR_CODES). The error keeps its identity where it can,
 * since Yoga logs every error its mask function replaces as a server fault; a frozen one
 * (graphql-jit's) is copied.
 */
function withFixedCode<E>(error: E): E {
  if (!(error instanceof GraphQLError)) return error;
  const code = fixedCodeOf(error);
  // Yoga's development mode would send the original error, stack included.
  const { originalError: hidden, ...rest } = (error.extensions ?? {}) as Record<string, unknown>;
  if (rest.code === code && hidden === undefined) return error;
  const extensions: Record<string, unknown> = { ...rest, code };
  // Yoga answers 400 (not 200) under application/json when the cause was not a GraphQL error
  // (e.g. a body that is not JSON): it reads that from the original error this drops.
  const http = rest.http as { spec?: boolean } | undefined;
  if (hidden !== undefined && !(hidden instanceof GraphQLError) && http?.spec) extensions.http = { ...http, spec: false };
  if (!Object.isFrozen(error) && Object.getOwnPropertyDescriptor(error, 'extensions')?.writable !== false) {
    (error as { extensions: Record<string, unknown> }).extensions = extensions;
    return error;
  }
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions }) as E;
}

/** A client's own mistake: not worth an error line in the server log. */
const isClientError = (v: unknown) => v instanceof GraphQLError && ['GRAPHQL_VALIDATION', 'BAD_REQUEST'].includes(fixedCodeOf(v));

/**
 * Every error a client sees carries a code of the fixed set. Execution errors get theirs in the
 * mask function (every transport); these hooks cover validation (returned, not thrown, also over
 * WebSocket) and anything added after masking. (Suggestions in variable errors, found at
 * execution, are dropped by useExecutionHooks.)
 */
function useFixedErrorCodes(hideSuggestions: boolean): Plugin {
  const fix = hideSuggestions ? <E>(e: E) => withoutSuggestion(withFixedCode(e)) : withFixedCode;
  const fixAll = <R extends ExecutionResult>(result: R): R => (result.errors?.length ? { ...result, errors: result.errors.map(fix) } : result);
  return {
    onValidate() {
      return ({ result, setResult }) => {
        if (result.length) setResult(result.map(fix));
      };
    },
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result)) setResult(result.map(fixAll));
      else if (!(Symbol.asyncIterator in (result as object))) setResult(fixAll(result as ExecutionResult));
    },
  };
}

/**
 * Brings a compiled execution's result with errors to graphql-js's form (the lane of an
 * operation's first runs, and Yoga's): errors first; each error's locations on the request's
 * source (Yoga rebuilds every error from its nodes or source, and graphql-jit's have neither);
 * variable errors worded by graphql-js and marked for a 400, as Yoga's executor marks them.
 */
function graphqlJsForm(args: ExecutionArgs, r: ExecutionResult): ExecutionResult {
  const source = args.document.loc?.source;
  let errors = source ? r.errors!.map((e) => (e.locations && !e.source ? placed(e, source) : e)) : r.errors!;
  if (!('data' in r)) errors = (variableErrors(args) ?? errors).map(asRequestError);
  const { errors: _, data, ...rest } = r;
  return { errors, ...(data !== undefined ? { data } : {}), ...rest };
}

/** graphql-js's errors for an operation's variables (as Yoga's executor finds them), or null when it finds none. */
function variableErrors(args: ExecutionArgs): readonly GraphQLError[] | null {
  const op = getOperationAST(args.document, args.operationName);
  if (!op) return null;
  const coerced = getVariableValues(args.schema, op.variableDefinitions ?? [], args.variableValues ?? {}, { maxErrors: 50 });
  return coerced.errors?.length ? coerced.errors : null;
}

/** An error that ends the request before execution, marked as Yoga's executor marks it (HTTP 400). */
function asRequestError(error: GraphQLError): GraphQLError {
  const http = { ...(error.extensions?.http as object | undefined), status: 400 };
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions: { ...error.extensions, http } });
}

/** An error of a compiled query (locations without a source) as graphql-js makes it: at positions of the request's source. */
function placed(error: GraphQLError, source: Source): GraphQLError {
  const lineStarts = [0];
  // Line ends as graphql-js counts them (getLocation).
  for (const m of source.body.matchAll(/\r\n|[\n\r]/g)) lineStarts.push(m.index + m[0].length);
  const positions = error.locations!.map((l) => (lineStarts[l.line - 1] ?? 0) + l.column - 1);
  return new GraphQLError(error.message, { source, positions, path: error.path, originalError: error.originalError, extensions: error.extensions });
}

/** graphql-js's "Did you mean …?" names schema members: with introspection off, they are not told. */
function withoutSuggestion<E>(error: E): E {
  if (!(error instanceof GraphQLError) || !/ Did you mean /.test(error.message)) return error;
  const message = error.message.replace(/ Did you mean [^?]*\?/g, '');
  return new GraphQLError(message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions: error.extensions }) as E;
}

function useApiKeys(keys: ApiKeyEntry[] | null): Plugin {
  return {
    onRequest({ request, endResponse }) {
      if (!keys) return;
      const header = request.headers.get('authorization') ?? '';
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (m && authenticate(keys, m[1]!)) return;
      endResponse(
        new Response(
          JSON.stringify({ errors: [{ message: m ? 'Invalid API key' : 'Missing API key: send Authorization: Bearer <key>', extensions: { code: 'UNAUTHENTICATED' } }] }),
          { status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' } },
        ),
      );
    },
  };
}

export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger ?? createLogger(config.logging.level);
  const clock = options.clock ?? systemClock;
  const base = options.adapters?.map(asVendorModule) ?? builtInVendors;
  const twice = base.find((a, i) => base.findIndex((b) => b.adapter.vendor === a.adapter.vendor) !== i);
  if (twice) throw new Error(`two adapters for vendor ${JSON.stringify(twice.adapter.vendor)}: a vendor has one adapter`);
  const external = await loadExternalAdapters(config, base);
  const vendors = [...base, ...external];
  const byVendor = new Map(vendors.map((v) => [v.adapter.vendor, v.adapter]));

  const observability = await createObservability(config, { logger, clock, traceExporter: options.traceExporter });
  const issues: string[] = [];
  const backends = new Map<string, Backend>();
  config.backends.forEach((entry, i) => {
    const adapter = byVendor.get(entry.vendor);
    if (!adapter) {
      issues.push(`backends[${i}].vendor: unknown vendor ${JSON.stringify(entry.vendor)}${suggestKey(entry.vendor, [...byVendor.keys()])}`);
      return;
    }
    const parsed = parseBackendEntry(adapter.configSchema, entry, i);
    if (!parsed.data) {
      issues.push(...parsed.issues);
      return;
    }
    const cfg = parsed.data as BackendConfigBase;
    const backendLogger = logger.child({ backend: entry.id });
    let writesObserved = false;
    const instance = adapter.create(cfg, {
      backendId: entry.id,
      logger: backendLogger,
      clock,
      http: (o) => {
        writesObserved = true;
        return observeWrites(createHttpClient({ ...o, backend: entry.id, logger: backendLogger, observer: observability.upstream, clock: options.upstreamClock ?? options.statusClock ?? clock }));
      },
    });
    backends.set(entry.id, {
      id: entry.id,
      vendor: adapter.vendor,
      adapter,
      instance,
      config: cfg,
      get writesObserved() {
        return writesObserved;
      },
    });
  });
  if (issues.length) throw new ConfigError('Invalid config:', issues);

  const usesOnlyBuiltIns = options.adapters === undefined && external.length === 0;
  const built = usesOnlyBuiltIns ? (builtInSchema ??= buildSchema(builtInVendors)) : buildSchema(vendors);

  const redisProblem = config.pubsub?.redis ? await checkRedis(config.pubsub.redis) : null;
  if (redisProblem) throw new ConfigError('Invalid config:', [redisProblem]);
  const redisUrl = config.pubsub?.redis ?? null;
  // The Redis modules (ioredis) are loaded only with pubsub.redis.
  const pubsubHandle: PubSubHandle = redisUrl ? await (await import('./status/redis-pubsub.js')).createRedisPubSub(redisUrl, logger) : createMemoryPubSub();
  let app: AppServices;
  try {
    app = await createAppServices({ clock, logger, redisUrl, lockWaitMs: options.lockWaitMs });
  } catch (err) {
    await pubsubHandle.close();
    throw err;
  }
  const statusClock = options.statusClock ?? clock;
  const ownership: PollOwnership = redisUrl ? await (await import('./status/redis-poll-ownership.js')).createRedisPollOwnership(redisUrl, logger) : createLocalPollOwnership();
  const budget = new UpstreamBudget({ callsPerSecond: config.limits.upstreamCallsPerSecond, queue: config.limits.upstreamQueue, clock: statusClock });
  const hub = new WatchHub(backends, pubsubHandle.pubsub, logger, {
    intervalMs: config.status.pollIntervalMs,
    clock: statusClock,
    ownership,
    beforeRead: (backend) => budget.acquire(backend, { poll: true }),
    observer: observability.hub,
  });

  const healthCache = new Map<string, { at: number; view: Promise<HealthView> }>();
  const healthTtlMs = options.healthTtlMs ?? DEFAULT_HEALTH_TTL_MS;
  const listeners = new Set<(d: ModelDeployment) => void>();
  const runtime: GatewayRuntime = {
    backends,
    logger,
    clock,
    config,
    health(backend) {
      const cached = healthCache.get(backend.id);
      const now = statusClock.now();
      if (cached && now - cached.at < healthTtlMs) return cached.view;
      const view = backend.instance.health().then(
        (h) => ({ ...h, checkedAt: new Date(statusClock.now()) }),
        (err) => ({ ok: false, message: err instanceof GatewayError ? err.message : 'health check failed', latencyMs: null, checkedAt: new Date(statusClock.now()) }),
      );
      healthCache.set(backend.id, { at: now, view });
      return view;
    },
    published(d) {
      hub.observe(d);
      for (const l of listeners) l(d);
    },
    onPublished(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    pubsub: pubsubHandle.pubsub,
    hub,
    app,
    budget,
    observability,
  };
  runtime.watches = createWatches({ runtime, hub, reader: (caller) => new DeploymentLoaders(runtime, randomUUID(), caller) });

  const apiKeys: ApiKeyEntry[] | null = config.auth
    ? config.auth.apiKeys.map((k) => ({ name: k.name, keySha256: k.keySha256 ?? sha256Hex(k.key!), scopes: k.scopes, backends: k.backends ?? null }))
    : null;

  const limits = config.server.limits;
  const streams: StreamEnder = { ended: false, open: new Set() };
  // Compiling an operation costs as much as running it on graphql-js a hundred times or more: an
  // operation is compiled once it has run JIT_AFTER_RUNS times (parsed documents are cached by
  // their text, so a document seen again is the same object). One-off and rarely run operations,
  // a hostile caller's generated ones among them, run on graphql-js and cost no compilation;
  // test/jit-lane.test.ts shows both lanes answer alike.
  const runs = new WeakMap<DocumentNode, number>();
  const jitCache = createLRUCache<Parameters<JITCache['set']>[1]>({ max: 1000 });
  const jitWorthy = (document: DocumentNode, contextValue: object): boolean => {
    const n = runs.get(document) ?? 0;
    if (n < JIT_AFTER_RUNS) {
      runs.set(document, n + 1);
      return false;
    }
    // Marked on the execution's own context, which lives as long as the request: a process-wide
    // WeakSet of every request's context would cost each garbage collection its entries.
    Reflect.set(contextValue, COMPILED, true);
    return true;
  };
  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema: built.schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    maxRequestBodySize: config.server.maxRequestBytes,
    // Errors of ours get their GraphQL form; anything else is masked, never in development mode (a
    // masked error must not carry the original's message or stack).
    maskedErrors: { maskError: (error, message) => withFixedCode(toGraphQLError(error) ?? yogaMaskError(error, message, false)) as Error },
    // GraphiQL is a static page of the edge (src/server/graphiql.ts), not rendered per request.
    graphiql: false,
    // Only listed origins get a CORS grant (yoga would otherwise echo a lone listed origin to anyone).
    cors: (request) => {
      const origin = request.headers.get('origin');
      return origin && config.server.cors?.origins.includes(origin) ? { origin: [origin], credentials: true } : false;
    },
    logging: {
      debug: (...a: unknown[]) => logger.debug(a.map(String).join(' ')),
      info: (...a: unknown[]) => logger.info(a.map(String).join(' ')),
      warn: (...a: unknown[]) => logger.warn(a.map(String).join(' ')),
      error: (...a: unknown[]) => {
        // Yoga names every error its mask function replaced; one of ours is an answer, not a fault.
        if (a.length === 1 && shownErrorOf(a[0])) return;
        if (a.length === 1 && isClientError(a[0])) logger.debug(String(a[0]));
        else logger.error(a.map(String).join(' '));
      },
    },
    context: ({ request }): GraphQLContext => {
      const requestId = sanitizeRequestId(request.headers.get('x-request-id')) ?? randomUUID();
      let principal: Principal | null = null;
      if (apiKeys) {
        const m = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '');
        principal = m ? authenticate(apiKeys, m[1]!) : null;
        // onRequest already refused requests without a valid key.
        if (!principal) throw new GatewayError('UNAUTHENTICATED', 'Missing or invalid API key');
      }
      return { runtime, requestId, principal, loaders: new DeploymentLoaders(runtime, requestId, principal ? `key:${principal.name}` : undefined), partialErrors: [] };
    },
    plugins: [
      observability.operations.plugin,
      useApiKeys(apiKeys),
      // A cross-site form or text/plain POST cannot carry a preflight header; GET cannot write.
      useCsrfPrevention(),
      useClearNotAcceptable(),
      ...(config.server.introspection ? [] : [useNoIntrospection()]),
      maxTokensPlugin({ n: limits.tokens }),
      maxDepthPlugin({ n: limits.depth, flattenFragments: true }),
      maxAliasesPlugin({ n: limits.aliases }),
      maxDirectivesPlugin({ n: limits.directives }),
      costLimitPlugin({ maxCost: limits.cost }),
      // graphql-jit compiles queries and mutations that run often; subscriptions run on graphql-js.
      useGraphQlJit(
        // (customJSONSerializer is off: graphql-jit cannot serialize custom scalars such as DateTime.)
        {},
        {
          enableIf: (args) => getOperationAST(args.document, args.operationName)?.operation !== 'subscription' && jitWorthy(args.document, args.contextValue as object),
          // Compiled queries keyed by their text: a document object is new for every request.
          cache: jitCache,
        },
      ),
      useExecutionHooks({ begin: observability.operations.begin, logger, hideSuggestions: !config.server.introspection }),
      // One execution per event for identical subscriptions, however many subscribers.
      useSharedSubscriptionExecution(),
      useFixedErrorCodes(!config.server.introspection),
      // Subscriptions end with `complete` when the server drains.
      useEndableStreams(streams),
    ],
  });

  return {
    yoga,
    runtime,
    schema: built.schema,
    authenticate(authorization) {
      if (!apiKeys) return 'open';
      const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      return m ? authenticate(apiKeys, m[1]!) : null;
    },
    compiledOperations: () => jitCache.size,
    endStreams() {
      if (streams.ended) return;
      streams.ended = true;
      for (const s of [...streams.open]) s.end();
    },
    async close() {
      await hub.close();
      await ownership.close();
      budget.close();
      await app.close();
      await pubsubHandle.close();
      await Promise.allSettled([...backends.values()].map((b) => b.instance.close?.()));
      await observability.close();
    },
  };
}

function sanitizeRequestId(v: string | null): string | null {
  return v && /^[A-Za-z0-9._:-]{1,128}$/.test(v) ? v : null;
}

export const DEFAULT_QUERY = `# model-gateway: one API over Northflank, NVIDIA NeMo and ZStack model deployments.
query FirstLook {
  backends { id vendor health { ok message } }
  modelDeployments(first: 20) {
    totalCount
    edges {
      node {
        id
        vendor
        name
        status
        vendorStatus
        version
        updatedAt
      }
    }
  }
}
`;

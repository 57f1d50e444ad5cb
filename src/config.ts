import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { BACKEND_ID_PATTERN } from './domain/ids.js';
import { closest } from './domain/closest.js';

/** A config that cannot be used; the message names every key and rule that failed. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(issues.length ? `${message}\n  - ${issues.join('\n  - ')}` : message);
    this.name = 'ConfigError';
  }
}

const ApiKeySchema = z
  .object({
    name: z.string().min(1),
    key: z.string().min(16, 'an API key must be at least 16 characters').optional(),
    keySha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters').optional(),
    scopes: z.array(z.enum(['read', 'write'])).min(1),
    backends: z.array(z.string()).optional(),
  })
  .strict()
  .refine((k) => Boolean(k.key) !== Boolean(k.keySha256), { message: 'give exactly one of key or keySha256' });

export const ConfigSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(4000),
        cors: z.object({ origins: z.array(z.string().url()).default([]) }).strict().optional(),
        /** Host names answered in open mode besides loopback and `host` (DNS-rebinding guard). @default [] */
        allowedHosts: z.array(z.string().min(1)).default([]),
        /** How long a shutdown waits for requests, streams and sockets to finish. @default 30000 */
        drainTimeoutMs: z.number().int().min(0).default(30_000),
        /** Time allowed to receive a whole request (headers and body). @default 30000 */
        requestTimeoutMs: z.number().int().min(1000).default(30_000),
        /** Serve GraphiQL (from the gateway itself, no CDN). @default true */
        graphiql: z.boolean().default(true),
        introspection: z.boolean().default(true),
        /** Largest request body accepted. @default 1048576 */
        maxRequestBytes: z.number().int().min(1024).default(1024 * 1024),
        /** Query limits (graphql-armor). */
        limits: z
          .object({
            depth: z.number().int().min(1).default(12),
            aliases: z.number().int().min(1).default(30),
            directives: z.number().int().min(1).default(20),
            tokens: z.number().int().min(100).default(5000),
            cost: z.number().int().min(100).default(250000),
          })
          .strict()
          .default({ depth: 12, aliases: 30, directives: 20, tokens: 5000, cost: 250000 }),
        /** Prometheus metrics at /metrics: on the API port (default), on a port of their own, behind a key, or off. */
        metrics: z
          .object({
            enabled: z.boolean().default(true),
            port: z.number().int().min(0).max(65535).optional(),
            key: z.string().min(16, 'a metrics key must be at least 16 characters').optional(),
          })
          .strict()
          .default({ enabled: true }),
      })
      .strict()
      .default({
        host: '127.0.0.1',
        port: 4000,
        allowedHosts: [],
        drainTimeoutMs: 30_000,
        requestTimeoutMs: 30_000,
        graphiql: true,
        introspection: true,
        maxRequestBytes: 1024 * 1024,
        limits: { depth: 12, aliases: 30, directives: 20, tokens: 5000, cost: 250000 },
        metrics: { enabled: true },
      }),
    /** Modules of extra adapters, relative to the config file. */
    adapters: z.array(z.string().min(1)).default([]),
    backends: z
      .array(
        z.looseObject({
          id: z.string().regex(BACKEND_ID_PATTERN, 'must be lower-case letters, digits, - or _ and start with a letter'),
          vendor: z.string().min(1),
        }),
      )
      .min(1, 'configure at least one backend'),
    auth: z
      .object({ apiKeys: z.array(ApiKeySchema).min(1) })
      .strict()
      .optional(),
    status: z
      .object({ pollIntervalMs: z.number().int().min(10).default(5000) })
      .strict()
      .default({ pollIntervalMs: 5000 }),
    pubsub: z
      .object({ redis: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL') })
      .strict()
      .optional(),
    /** What one caller may cost the vendors (README "Watching status"). */
    limits: z
      .object({
        /** Upstream reads one request may make; the rest are refused (RATE_LIMITED). @default 50 */
        upstreamCallsPerRequest: z.number().int().min(1).default(50),
        /** Live subscriptions per API key (without auth: per gateway). @default 1000 */
        subscriptionsPerKey: z.number().int().min(1).default(1000),
        /** Upstream reads per second per backend, shared by every caller; polls keep a reserve. @default 100 */
        upstreamCallsPerSecond: z.number().positive().default(100),
        /** Reads that may wait for the budget per backend; beyond it the greediest caller is refused. @default 500 */
        upstreamQueue: z.number().int().min(1).default(500),
      })
      .strict()
      .default({ upstreamCallsPerRequest: 50, subscriptionsPerKey: 1000, upstreamCallsPerSecond: 100, upstreamQueue: 500 }),
    /** OpenTelemetry traces, sent with OTLP over HTTP; off unless enabled. */
    tracing: z
      .object({
        enabled: z.boolean().default(false),
        /** OTLP/HTTP traces endpoint. @default http://localhost:4318/v1/traces */
        endpoint: z.string().url().optional(),
        headers: z.record(z.string(), z.string()).default({}),
        serviceName: z.string().min(1).default('model-gateway'),
        /** Share of new traces recorded (a client's sampled traceparent is followed). @default 1 */
        sampleRatio: z.number().min(0).max(1).default(1),
      })
      .strict()
      .optional(),
    /** Every write made through the gateway: a log line each, and with `file`, appended as JSON lines. */
    audit: z
      .object({ file: z.string().min(1).optional() })
      .strict()
      .optional(),
    logging: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.backends.forEach((b, i) => {
      if (seen.has(b.id)) ctx.addIssue({ code: 'custom', path: ['backends', i, 'id'], message: `duplicate backend id ${b.id}` });
      seen.add(b.id);
    });
    // Two entries for one name, or one key listed twice, would leave it to list order which
    // scopes a caller gets: each must appear once. (A key's value is never put in a message.)
    const names = new Map<string, number>();
    const values = new Map<string, number>();
    cfg.auth?.apiKeys.forEach((k, i) => {
      const sameName = names.get(k.name);
      if (sameName !== undefined) ctx.addIssue({ code: 'custom', path: ['auth', 'apiKeys', i, 'name'], message: `duplicate API key name ${JSON.stringify(k.name)} (also auth.apiKeys[${sameName}])` });
      else names.set(k.name, i);
      const digest = k.keySha256 ?? (k.key ? createHash('sha256').update(k.key).digest('hex') : null);
      if (!digest) return;
      const sameKey = values.get(digest);
      if (sameKey !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['auth', 'apiKeys', i, k.keySha256 ? 'keySha256' : 'key'], message: `the same key as auth.apiKeys[${sameKey}]: each key must be listed once, with all its scopes` });
      } else values.set(digest, i);
    });
  });

export type GatewayConfig = z.output<typeof ConfigSchema> & {
  /** Folder that relative paths in the config (adapters) are resolved against. */
  baseDir?: string;
};
export type GatewayConfigInput = z.input<typeof ConfigSchema>;

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

/** The keys an object schema accepts at `path` (through defaults, optionals and arrays); null if no object is there. */
function keysAt(schema: z.ZodType | undefined, path: readonly PropertyKey[]): string[] | null {
  const unwrap = (t: unknown): unknown => {
    let s = t;
    while (s && !(s instanceof z.ZodObject) && !(s instanceof z.ZodArray) && typeof (s as { unwrap?: unknown }).unwrap === 'function') s = (s as { unwrap(): unknown }).unwrap();
    return s;
  };
  let s = unwrap(schema);
  for (const p of path) {
    if (typeof p === 'number' && s instanceof z.ZodArray) s = unwrap(s.element);
    else if (typeof p === 'string' && s instanceof z.ZodObject) s = unwrap(s.shape[p]);
    else return null;
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : null;
}

export { closest };

/** `; did you mean "port"?` when a known key is a likely typo of `key`, else the keys allowed there. */
export function suggestKey(key: string, known: readonly string[]): string {
  const best = closest(key, known);
  if (best !== null) return `; did you mean ${JSON.stringify(best)}?`;
  return known.length ? ` (allowed here: ${known.join(', ')})` : '';
}

const unknownKey = (path: readonly PropertyKey[], key: string, known: readonly string[]) =>
  `${formatPath([...path, key])}: unknown key${suggestKey(key, known)}`;

/** One line per problem, each with its key path; an unknown key names the full path and a likely meant key. */
export function zodConfigIssues(error: z.ZodError, prefix: (string | number)[] = [], schema?: z.ZodType): string[] {
  return error.issues.flatMap((i) => {
    const path = [...prefix, ...(i.path as (string | number)[])];
    if (i.code === 'unrecognized_keys') {
      const known = keysAt(schema, i.path as (string | number)[]) ?? [];
      return i.keys.map((k) => unknownKey(path, k, known));
    }
    return [`${formatPath(path) || '(root)'}: ${i.message}`];
  });
}

/** Keys of `given` (recursively through objects and arrays) that the parse dropped: an object schema left loose strips them. */
function droppedKeys(given: unknown, kept: unknown, path: (string | number)[], out: string[], topKnown: readonly string[] | null): void {
  if (Array.isArray(given) && Array.isArray(kept)) {
    given.forEach((g, i) => droppedKeys(g, kept[i], [...path, i], out, null));
    return;
  }
  if (!isPlainObject(given) || !isPlainObject(kept)) return;
  const known = [...new Set([...(topKnown ?? []), ...Object.keys(kept)])];
  for (const [k, v] of Object.entries(given)) {
    if (!(k in kept)) out.push(unknownKey(path, k, known));
    else droppedKeys(v, kept[k], [...path, k], out, null);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates one backend entry with its adapter's schema, strictly: a key the schema does not know
 * (at any depth) is a problem naming its path, whether the adapter's schema is strict or not.
 */
export function parseBackendEntry<C>(schema: z.ZodType<C>, entry: unknown, index: number): { data: C | null; issues: string[] } {
  const prefix = ['backends', index];
  const topKnown = keysAt(schema, []);
  const parsed = schema.safeParse(entry);
  if (!parsed.success) {
    const issues = zodConfigIssues(parsed.error, prefix, schema);
    // A failing parse says nothing of the keys it did not know: name those at the top level too.
    if (topKnown && isPlainObject(entry)) {
      for (const k of Object.keys(entry)) if (!topKnown.includes(k) && !issues.some((m) => m.startsWith(`${formatPath([...prefix, k])}:`))) issues.push(unknownKey(prefix, k, topKnown));
    }
    return { data: null, issues };
  }
  const issues: string[] = [];
  droppedKeys(entry, parsed.data, prefix, issues, topKnown);
  return { data: issues.length ? null : parsed.data, issues };
}

/** What an adapter contributes to validating its backend entries. */
export interface BackendSchemaSource {
  vendor: string;
  configSchema: z.ZodType;
}

/** Every problem of the backend entries, checked by their adapters' schemas. */
export function backendIssues(config: Pick<GatewayConfig, 'backends'>, adapters: readonly BackendSchemaSource[]): string[] {
  const byVendor = new Map(adapters.map((a) => [a.vendor, a]));
  return config.backends.flatMap((entry, i) => {
    const adapter = byVendor.get(entry.vendor);
    if (!adapter) return [`backends[${i}].vendor: unknown vendor ${JSON.stringify(entry.vendor)}${suggestKey(entry.vendor, [...byVendor.keys()])}`];
    return parseBackendEntry(adapter.configSchema, entry, i).issues;
  });
}

/** The host of a Redis URL as it may be shown: host and port, never the user or password. */
export function redisHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** Null when the Redis at `url` answers PING; else a problem naming pubsub.redis and the host. */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<string | null> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  // The socket's own error (ECONNREFUSED, ENOTFOUND …) says more than the "Connection is closed." connect() rejects with.
  let socketError: NodeJS.ErrnoException | null = null;
  client.on('error', (err: NodeJS.ErrnoException) => (socketError ??= err));
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (err) {
    const e = (socketError ?? err) as NodeJS.ErrnoException;
    // ioredis's own messages name no URL; a connection error's text may carry the host only.
    const reason = e.code ?? (e.message || 'no answer').replace(/redis:\/\/[^\s]*/g, '');
    return `pubsub.redis: Redis at ${redisHost(url)} does not answer (${reason})`;
  } finally {
    client.disconnect();
  }
}

/** Replaces `${NAME}` in every string with the environment's value; a missing variable is an error naming the key. */
export function interpolateEnv(value: unknown, env: Record<string, string | undefined>, path: (string | number)[] = [], missing: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined || v === '') {
        missing.push(`${formatPath(path)}: environment variable ${name} is not set`);
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, [...path, i], missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, [...path, k], missing)]));
  }
  return value;
}

/** Every problem of a config object (already read): unset `${ENV}` references and schema rules; the config when there are none. */
export function checkConfig(raw: unknown, env: Record<string, string | undefined> = process.env, baseDir?: string): { config: GatewayConfig | null; problems: string[] } {
  const missing: string[] = [];
  const filled = interpolateEnv(raw, env, [], missing);
  const result = ConfigSchema.safeParse(filled);
  const problems = [...missing, ...(result.success ? [] : zodConfigIssues(result.error, [], ConfigSchema))];
  return { config: result.success && !problems.length ? { ...result.data, baseDir } : null, problems };
}

/** Validates a config object (already read); secrets written `${ENV}` are filled from `env`. */
export function parseConfig(raw: unknown, env: Record<string, string | undefined> = process.env, baseDir?: string): GatewayConfig {
  const { config, problems } = checkConfig(raw, env, baseDir);
  if (!config) throw new ConfigError('Invalid config:', problems);
  return config;
}

/** Reads a YAML or JSON config file as data; a file that cannot be read or parsed is a ConfigError. */
export async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // yaml is loaded for YAML files only: demo mode and JSON configs start without it.
  const parseYaml = file.endsWith('.json') ? null : (await import('yaml')).parse;
  try {
    return parseYaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`Config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** Reads a YAML or JSON config file. */
export async function loadConfigFile(file: string, env: Record<string, string | undefined> = process.env): Promise<GatewayConfig> {
  return parseConfig(await readConfigFile(file), env, dirname(resolve(file)));
}

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BACKEND_ID_PATTERN } from './domain/ids.js';

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
  });

export type GatewayConfig = z.output<typeof ConfigSchema> & {
  /** Folder that relative paths in the config (adapters) are resolved against. */
  baseDir?: string;
};
export type GatewayConfigInput = z.input<typeof ConfigSchema>;

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

export function zodConfigIssues(error: z.ZodError, prefix: (string | number)[] = []): string[] {
  return error.issues.map((i) => `${formatPath([...prefix, ...(i.path as (string | number)[])]) || '(root)'}: ${i.message}`);
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

/** Validates a config object (already read); secrets written `${ENV}` are filled from `env`. */
export function parseConfig(raw: unknown, env: Record<string, string | undefined> = process.env, baseDir?: string): GatewayConfig {
  const missing: string[] = [];
  const filled = interpolateEnv(raw, env, [], missing);
  if (missing.length) throw new ConfigError('Config refers to unset environment variables:', missing);
  const result = ConfigSchema.safeParse(filled);
  if (!result.success) throw new ConfigError('Invalid config:', zodConfigIssues(result.error));
  return { ...result.data, baseDir };
}

/** Reads a YAML or JSON config file. */
export async function loadConfigFile(file: string, env: Record<string, string | undefined> = process.env): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`Config file ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  return parseConfig(raw, env, dirname(resolve(file)));
}

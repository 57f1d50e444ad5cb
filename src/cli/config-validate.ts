import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { loadExternalAdapters } from '../gateway.js';
import { CliError, usageError } from './client.js';
import { safe } from './output.js';
import type { CliIo } from './io.js';

/**
 * Every problem of a config file, each with its key path: the file itself, unset `${ENV}`
 * references, the schema (strict at every level), each backend entry by its adapter's schema,
 * external adapter modules, and whether the Redis of `pubsub.redis` answers.
 */
export async function validateConfigFile(file: string, env: Record<string, string | undefined> = process.env): Promise<{ problems: string[]; summary: string | null }> {
  // Loaded here, not at start: `--help` and the other commands need none of it.
  const [{ backendIssues, checkConfig, checkRedis, ConfigError, readConfigFile }, { builtInAdapters }, { loadExternalAdapters }] = await Promise.all([
    import('../config.js'),
    import('../../adapters/index.js'),
    import('../gateway.js'),
  ]);
  let raw: unknown;
  try {
    raw = await readConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError && /^Cannot read/.test(err.message)) throw usageError(err.message.replace(/^Cannot read config file/, 'cannot read'));
    return { problems: [(err as Error).message], summary: null };
  }
  const { config, problems } = checkConfig(raw, env, dirname(resolve(file)));
  // The backend entries and Redis are checked even when other keys have problems, as far as they can be read.
  const loose = (raw && typeof raw === 'object' ? raw : {}) as { backends?: unknown; pubsub?: { redis?: unknown } };
  if (config) {
    let external: Awaited<ReturnType<typeof loadExternalAdapters>> = [];
    try {
      external = await loadExternalAdapters(config);
    } catch (err) {
      problems.push(err instanceof ConfigError ? err.message.replace(/\n {2}- /g, '; ') : (err as Error).message);
    }
    problems.push(...backendIssues(config, [...builtInAdapters, ...external.map((v) => v.adapter)]));
  } else if (Array.isArray(loose.backends)) {
    const entries = loose.backends.filter((b): b is { id: string; vendor: string } => Boolean(b) && typeof (b as { vendor?: unknown }).vendor === 'string');
    if (entries.length === loose.backends.length) problems.push(...backendIssues({ backends: entries }, builtInAdapters));
  }
  const redis = config?.pubsub?.redis ?? (typeof loose.pubsub?.redis === 'string' && /^rediss?:\/\//.test(loose.pubsub.redis) ? loose.pubsub.redis : null);
  if (redis) {
    const problem = await checkRedis(redis);
    if (problem) problems.push(problem);
  }
  const summary = config
    ? `${config.backends.length} backend${config.backends.length === 1 ? '' : 's'} (${config.backends.map((b) => `${b.id}: ${b.vendor}`).join(', ')}), ` +
      (config.auth ? `${config.auth.apiKeys.length} API key${config.auth.apiKeys.length === 1 ? '' : 's'}` : 'no auth (the API is open)') +
      `, pubsub ${config.pubsub?.redis ? 'redis' : 'in memory'}`
    : null;
  return { problems, summary };
}

export function registerConfig(program: Command, io: CliIo): void {
  const config = program.command('config').description('Check a gateway config file.');
  config
    .command('validate')
    .description('Print every problem of a config file with its key path; exit 0 when it is valid, 1 when not.')
    .argument('<file>', 'YAML or JSON config file')
    .action(async (file: string) => {
      const { problems, summary } = await validateConfigFile(file, io.env);
      if (problems.length) {
        io.stdout.write(`${safe(file)}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  ${safe(p)}\n`).join('')}`);
        throw new CliError(`${safe(file)} is not a valid config`);
      }
      io.stdout.write(`${safe(file)} is valid: ${safe(summary ?? '')}\n`);
    });
}

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { readAuditFile, type AuditEntry } from '../observability/audit.js';
import { CliError, EXIT_USAGE } from './client.js';
import { safe } from './output.js';
import type { CliIo } from './io.js';

interface TailOptions {
  config?: string;
  file?: string;
  lines: string;
  json?: boolean;
}

export function registerAudit(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('The audit trail of the writes made through the gateway.');
  audit
    .command('tail')
    .description("Print the last entries of the audit file (the config's audit.file).")
    .option('-c, --config <file>', 'config file naming the audit file (or MODEL_GATEWAY_CONFIG)')
    .option('-f, --file <file>', 'the audit file itself')
    .option('-n, --lines <n>', 'how many entries', '20')
    .option('--json', 'one JSON object per line, as stored')
    .action(async (opts: TailOptions) => {
      const count = Number(opts.lines);
      if (!Number.isInteger(count) || count < 1) throw new CliError(`--lines: ${JSON.stringify(opts.lines)} is not a positive whole number`, EXIT_USAGE);
      const file = opts.file ?? (await auditFileOf(opts.config ?? io.env.MODEL_GATEWAY_CONFIG));
      let entries: AuditEntry[];
      try {
        entries = await readAuditFile(file, count);
      } catch (err) {
        throw new CliError(`cannot read the audit file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const out = entries.map((e) => (opts.json ? JSON.stringify(e) : safe(line(e))));
      if (out.length) io.stdout.write(`${out.join('\n')}\n`);
    });
}

/** The config's audit.file, resolved against the config's folder. Secrets in the config are not needed for this. */
async function auditFileOf(config: string | undefined): Promise<string> {
  if (!config) throw new CliError('give --file, or --config (or MODEL_GATEWAY_CONFIG) with an audit.file', EXIT_USAGE);
  let raw: { audit?: { file?: unknown } } | null;
  try {
    const text = await readFile(config, 'utf8');
    raw = config.endsWith('.json') ? JSON.parse(text) : (await import('yaml')).parse(text);
  } catch (err) {
    throw new CliError(`cannot read config file ${config}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]}`);
  }
  const file = raw?.audit?.file;
  if (typeof file !== 'string' || !file) throw new CliError(`config file ${config} has no audit.file`);
  return resolve(dirname(resolve(config)), file);
}

function line(e: AuditEntry): string {
  const requests = e.requests.map((r) => `${r.method} ${r.path}`).join(', ') || '-';
  const outcome = e.code ? `${e.outcome} (${e.code})` : e.outcome;
  const items = e.items ? ` items ${Object.entries(e.items).map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
  return `${e.at}  ${e.keyName ?? '-'}  ${e.action} ${e.target}  ${outcome}${items}  ${requests}  ${e.durationMs} ms  request ${e.requestId}`;
}

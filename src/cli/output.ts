/** Plain-text rendering shared by the commands: tables, values, diffs, progress, output formats. */
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { systemClock, type Clock, type TimerHandle } from '../domain/clock.js';
import { CliError, usageError } from './client.js';
import { didYouMean } from './suggest.js';

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text from a vendor (or anyone but us) made safe for a terminal: C0 and C1 control characters,
 * DEL, line/paragraph separators and bidirectional overrides are shown as escapes (`\x1b`, `\n`,
 * `\u202e`), so a name can neither move the cursor, recolour, retitle the terminal, nor forge a
 * line of output. Every other character, non-Latin scripts included, is kept.
 */
export function safe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (NAMED_ESCAPES[c]) return NAMED_ESCAPES[c];
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export interface Column<T> {
  header: string;
  value: (row: T) => string;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => safe(c.value(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** A value as a person reads it: text bare, lists comma-separated, the rest as compact JSON; always terminal-safe. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value === '' ? '""' : safe(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.length ? `[${value.map(safe).join(', ')}]` : '[]';
  return safe(JSON.stringify(value));
}

export interface Change {
  field: string;
  before: unknown;
  after: unknown;
}

/** One line per changed field; for string lists the added and removed members too. */
export function diffLines(changes: Change[], indent = '    '): string[] {
  return changes.map((c) => {
    let extra = '';
    if (Array.isArray(c.before) && Array.isArray(c.after)) {
      const added = c.after.filter((v) => !(c.before as unknown[]).includes(v));
      const removed = c.before.filter((v) => !(c.after as unknown[]).includes(v));
      const parts = [...added.map((v) => `+${show(v)}`), ...removed.map((v) => `-${show(v)}`)];
      if (parts.length) extra = `  (${parts.join(' ')})`;
    }
    return `${indent}${safe(c.field)}: ${show(c.before)} → ${show(c.after)}${extra}`;
  });
}

/** Stable JSON for scripts: two-space indent, one trailing newline. */
export const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export interface Progress {
  stop(): void;
}

/**
 * A live `label done/total (note)` line on stderr (the note: backends waiting out a rate limit), only when stderr is a terminal and the run lasts past
 * `afterMs`: short runs, piped output and stdout stay clean.
 */
export function startProgress(label: string, poll: () => Promise<{ done: number; total: number; note?: string } | null>, options: { afterMs?: number; everyMs?: number; out?: NodeJS.WriteStream; clock?: Clock } = {}): Progress {
  const out = options.out ?? process.stderr;
  // A CLI run shows progress on its own process's clock.
  const clock = options.clock ?? systemClock;
  if (!out.isTTY) return { stop() {} };
  let shown = false;
  let stopped = false;
  let timer: TimerHandle | null = null;
  const tick = async () => {
    const p = await poll().catch(() => null);
    if (stopped) return;
    if (p) {
      out.write(`\r\x1b[2K${label} ${p.done}/${p.total}${p.note ? ` (${p.note})` : ''}`);
      shown = true;
    }
    timer = clock.setTimer(tick, options.everyMs ?? 400);
  };
  timer = clock.setTimer(tick, options.afterMs ?? 800);
  return {
    stop() {
      stopped = true;
      timer?.cancel();
      if (shown) out.write('\r\x1b[2K');
    },
  };
}

/** `30s`, `5m`, `1h`, `250ms` or plain milliseconds. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(n * unit);
}

/** How a command prints its result: `-o FORMAT` (or `--json`), optionally through `--jq EXPR`. */
export type OutputFormat = 'text' | 'wide' | 'name' | 'json' | 'yaml';

export interface OutputFlags {
  output?: string;
  json?: boolean;
  jq?: string;
}

export interface Output {
  format: OutputFormat;
  jq: string | null;
  /** JSON or YAML: no progress lines, no prompts' chatter on stdout. */
  machine: boolean;
}

/** Adds `-o, --output`, `--json` and `--jq` to a command printing one of `formats` ('text' is the default). */
export function withOutputOptions(cmd: Command, formats: readonly OutputFormat[]): Command {
  const named = formats.filter((f) => f !== 'text');
  return cmd
    .option('-o, --output <format>', `output format: ${named.join(', ')} (default: text for people)`)
    .option('--json', 'same as -o json')
    .option('--jq <expr>', 'filter the JSON output with a jq expression (implies -o json); strings print bare');
}

export function outputOf(flags: OutputFlags, formats: readonly OutputFormat[]): Output {
  let format: OutputFormat = 'text';
  if (flags.output !== undefined) {
    const f = flags.output.toLowerCase();
    const named = formats.filter((x) => x !== 'text');
    if (!(named as string[]).includes(f)) throw usageError(`-o ${JSON.stringify(flags.output)} is not an output format of this command${didYouMean(flags.output, named)}`);
    format = f as OutputFormat;
  }
  if (flags.json) {
    if (flags.output !== undefined && format !== 'json') throw usageError(`--json and -o ${format} ask for two formats: give one`);
    format = 'json';
  }
  if (flags.jq !== undefined) {
    if (format !== 'text' && format !== 'json') throw usageError(`--jq filters JSON: it cannot be used with -o ${format}`);
    format = 'json';
  }
  return { format, jq: flags.jq ?? null, machine: format === 'json' || format === 'yaml' };
}

/** Writes a value as JSON (through jq when asked) or YAML. */
export async function emit(value: unknown, out: Output, stream: NodeJS.WriteStream = process.stdout): Promise<void> {
  if (out.format === 'yaml') {
    stream.write(toYaml(value));
    return;
  }
  if (!out.jq) {
    stream.write(json(value));
    return;
  }
  stream.write(await runJq(value, out.jq, Boolean(stream.isTTY)));
}

/**
 * Runs a jq expression (real jq, compiled to WebAssembly) over a value: one result per line,
 * strings bare (as `gh --jq` prints them), other values as compact JSON. On a terminal the bare
 * strings are escaped like all other text.
 */
export async function runJq(value: unknown, expr: string, terminal: boolean): Promise<string> {
  const { default: ready } = await import('jq-web');
  const jq = await ready;
  let text: string;
  try {
    text = jq.raw(JSON.stringify(value), expr, ['-c']);
  } catch (err) {
    const e = err as { exitCode?: number; stderr?: string; message?: string };
    const reason = (e.stderr ?? e.message ?? String(err)).split('\n').find((l) => l.startsWith('jq: error')) ?? (e.stderr ?? e.message ?? '').split('\n')[0];
    if (e.exitCode === 3) throw usageError(`--jq: ${reason}`);
    throw new CliError(`--jq: ${reason}`);
  }
  const lines = text.split('\n').filter((l) => l !== '');
  return lines
    .map((l) => {
      const v = JSON.parse(l) as unknown;
      return typeof v === 'string' ? (terminal ? safe(v) : v) : l;
    })
    .map((l) => `${l}\n`)
    .join('');
}

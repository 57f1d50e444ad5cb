/** Plain-text rendering shared by the commands: tables, values, diffs, progress. */

export interface Column<T> {
  header: string;
  value: (row: T) => string;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r).replace(/\s+/g, ' ')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** A value as a person reads it: text bare, lists comma-separated, the rest as compact JSON. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.length ? `[${value.join(', ')}]` : '[]';
  return JSON.stringify(value);
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
    return `${indent}${c.field}: ${show(c.before)} → ${show(c.after)}${extra}`;
  });
}

/** Stable JSON for scripts: two-space indent, one trailing newline. */
export const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export interface Progress {
  stop(): void;
}

/**
 * A live `label done/total` line, only when stdout is a terminal and the run lasts past
 * `afterMs`: short runs and piped output stay clean.
 */
export function startProgress(label: string, poll: () => Promise<{ done: number; total: number } | null>, options: { afterMs?: number; everyMs?: number; out?: NodeJS.WriteStream } = {}): Progress {
  const out = options.out ?? process.stdout;
  if (!out.isTTY) return { stop() {} };
  let shown = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const tick = async () => {
    const p = await poll().catch(() => null);
    if (stopped) return;
    if (p) {
      out.write(`\r\x1b[2K${label} ${p.done}/${p.total}`);
      shown = true;
    }
    timer = setTimeout(tick, options.everyMs ?? 400);
  };
  timer = setTimeout(tick, options.afterMs ?? 800);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
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

import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';

/** One write made through the gateway (or refused by it). Names and paths only: never a value or secret. */
export interface AuditEntry {
  /** ISO time the write ended. */
  at: string;
  /** What was asked: `update` (one deployment), or `plan.apply` (a whole plan; its items have lines of their own). */
  action: 'update' | 'plan.apply';
  /** The API key's name; null when the gateway runs without auth. */
  keyName: string | null;
  /** The deployment id (`update`) or the plan id (`plan.apply`). */
  target: string;
  /** Fields the write changes (or, if refused, asked to change). */
  fields: string[];
  /** The vendor requests sent (or, when one failed, the one that failed). */
  requests: { method: string; path: string }[];
  /** APPLIED, or REFUSED (by the gateway: auth, validation, conflict, not found), or the failed write's outcome: NOT_SENT, NOT_APPLIED, UNKNOWN. */
  outcome: string;
  /** The error code when the write did not apply. */
  code: string | null;
  durationMs: number;
  requestId: string;
  traceId: string | null;
  /** `plan.apply`: items by outcome. */
  items?: Record<string, number>;
}

/**
 * The audit trail: every entry is one structured log line (`msg: "audit"`) and, with a file
 * configured, one JSON line appended to it (the file outlives restarts; `model-gateway audit tail`
 * reads it).
 */
export function createAuditTrail(options: { file?: string; logger: Logger }) {
  let stream: WriteStream | null = null;
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    stream = createWriteStream(options.file, { flags: 'a' });
    stream.on('error', (err) => options.logger.error({ err, file: options.file }, 'audit file cannot be written'));
  }
  return {
    file: options.file ?? null,
    record(entry: AuditEntry): void {
      options.logger.info({ audit: entry }, 'audit');
      stream?.write(`${JSON.stringify(entry)}\n`);
    },
    /** Flushes and closes the file. */
    close(): Promise<void> {
      const s = stream;
      stream = null;
      return s ? new Promise((resolve) => s.end(() => resolve())) : Promise.resolve();
    },
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;

/** The last `count` entries of an audit file (lines that are not entries are skipped). */
export async function readAuditFile(file: string, count: number): Promise<AuditEntry[]> {
  const text = await readFile(file, 'utf8');
  const out: AuditEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as AuditEntry);
    } catch {
      // a line cut short by a crash mid-write
    }
  }
  return out.slice(-count);
}

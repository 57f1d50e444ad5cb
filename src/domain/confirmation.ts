/**
 * Per-field write confirmation: after a write, each field sent is compared with the re-read.
 *
 * - CONFIRMED: the re-read shows the value sent;
 * - UNCONFIRMED: the vendor never shows this field (or could not be asked): nothing to compare;
 * - CONTRADICTED: the re-read shows another value.
 *
 * A write is APPLIED when no field is CONTRADICTED: fields the vendor never shows are not failures.
 */

export type FieldConfirmationState = 'CONFIRMED' | 'UNCONFIRMED' | 'CONTRADICTED';

export interface FieldConfirmation {
  /** The field in the vendor's words, as sent (e.g. `recommendedGpuNum`, `spec.configuration.engine`). */
  field: string;
  state: FieldConfirmationState;
  /** The value sent. */
  sent: unknown;
  /** What the re-read shows; null when it does not show the field. */
  seen: unknown;
  /** Why the field is UNCONFIRMED (or how it was compared), when that needs saying. */
  note: string | null;
}

/** What a re-read says about one field: its value, or that it does not show it (and why). */
export type Observation = { seen: unknown } | { unseen: string };

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  }) ?? 'undefined';

/** Structural equality (object key order ignored, bigint as its decimal text). */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** Equality of two lists taken as sets of values (order and repeats ignored). */
export function sameMembers(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return false;
  const x = new Set(a.map(canonical));
  const y = new Set(b.map(canonical));
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/** One field's confirmation from what the re-read shows. */
export function confirmField(
  field: string,
  sent: unknown,
  observation: Observation,
  options: { equal?: (seen: unknown, sent: unknown) => boolean; onMismatch?: 'CONTRADICTED' | 'UNCONFIRMED'; note?: string } = {},
): FieldConfirmation {
  if ('unseen' in observation) return { field, state: 'UNCONFIRMED', sent, seen: null, note: observation.unseen };
  const equal = options.equal ?? sameValue;
  if (equal(observation.seen, sent)) return { field, state: 'CONFIRMED', sent, seen: observation.seen, note: null };
  return { field, state: options.onMismatch ?? 'CONTRADICTED', sent, seen: observation.seen ?? null, note: options.onMismatch === 'UNCONFIRMED' ? (options.note ?? null) : null };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether `seen` shows everything of `sent`: objects may carry more keys; lists of objects match in any order. */
function covers(seen: unknown, sent: unknown): boolean {
  if (isPlainObject(sent)) return isPlainObject(seen) && Object.entries(sent).every(([k, v]) => covers(seen[k], v));
  if (Array.isArray(sent) && sent.some(isPlainObject)) {
    if (!Array.isArray(seen) || seen.length !== sent.length) return false;
    const left = [...seen];
    return sent.every((want) => {
      const i = left.findIndex((have) => covers(have, want));
      return i >= 0 && left.splice(i, 1).length === 1;
    });
  }
  return sameValue(seen, sent);
}

/**
 * The vendor-neutral comparison, for adapters that say nothing of their own: every leaf of the
 * request body (objects are walked, lists are leaves) is looked up at the same path in the re-read
 * payload. Absent there: UNCONFIRMED. Lists of objects match when each element sent is shown by
 * one element read (the vendor may add ids).
 */
export function confirmByPaths(body: unknown, reread: unknown): FieldConfirmation[] {
  const out: FieldConfirmation[] = [];
  const walk = (sent: unknown, seen: unknown, path: string[]) => {
    if (isPlainObject(sent) && Object.keys(sent).length > 0) {
      for (const [k, v] of Object.entries(sent)) walk(v, isPlainObject(seen) ? seen[k] : undefined, [...path, k]);
      return;
    }
    const field = path.join('.');
    out.push(
      seen === undefined
        ? { field, state: 'UNCONFIRMED', sent, seen: null, note: 'the re-read does not show this field' }
        : confirmField(field, sent, { seen }, { equal: covers }),
    );
  };
  if (isPlainObject(body)) walk(body, reread, []);
  return out;
}

/** APPLIED when no field sent is contradicted by the re-read. */
export function writeApplied(fields: readonly FieldConfirmation[]): boolean {
  return fields.every((f) => f.state !== 'CONTRADICTED');
}

export const contradictedFields = (fields: readonly FieldConfirmation[]): string[] => fields.filter((f) => f.state === 'CONTRADICTED').map((f) => f.field);

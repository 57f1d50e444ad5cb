/**
 * The secrets of one backend — its credentials, what is sent in their place (a hash), what it
 * issues at run time (a session) — and their removal from what the vendor answers: a vendor error
 * that quotes a credential back (some do) must not carry it on to clients or logs. The adapter
 * says what goes in (its rules); the HTTP client applies it to every error body it reads
 * (`HttpClientOptions.redact`), and the adapter to any other vendor text it passes on.
 */
import type { Redactor } from '../domain/http.js';

export type { Redactor };

export const REDACTED = '[redacted]';
/** Shorter values are not secrets worth the name, and would blank ordinary words. */
const MIN_SECRET_LENGTH = 4;

export function createRedactor(secrets: Iterable<string | null | undefined> = []): Redactor {
  const known = new Set<string>();
  const text = (s: string) => {
    let out = s;
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
  const value = <T>(v: T): T => {
    if (known.size === 0) return v;
    if (typeof v === 'string') return text(v) as T;
    if (Array.isArray(v)) return v.map(value) as T;
    if (v && typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x)])) as T;
    }
    return v;
  };
  const redactor: Redactor = {
    add(secret) {
      if (typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH) known.add(secret);
    },
    text,
    value,
  };
  for (const s of secrets) redactor.add(s);
  return redactor;
}

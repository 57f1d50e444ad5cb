import { ValidationError } from './errors.js';

/** A configured backend's id: the first segment of every deployment ID. */
export const BACKEND_ID_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
export const MAX_ID_LENGTH = 512;

export interface ParsedId {
  backend: string;
  nativeKey: string;
}

function badId(message: string, field = 'id'): ValidationError {
  return new ValidationError([{ path: [field], rule: 'id_format', message }]);
}

/**
 * Splits `<backendId>:<nativeKey>`. The native key is checked further by the backend's adapter
 * (`parseKey`), so an ID can never carry a path or host of its own.
 */
export function parseId(id: string, field = 'id'): ParsedId {
  if (typeof id !== 'string' || id.length === 0) throw badId('ID is empty', field);
  if (id.length > MAX_ID_LENGTH) throw badId(`ID is longer than ${MAX_ID_LENGTH} characters`, field);
  const colon = id.indexOf(':');
  if (colon <= 0) throw badId(`ID ${JSON.stringify(truncate(id))} is not <backend>:<key>`, field);
  const backend = id.slice(0, colon);
  const nativeKey = id.slice(colon + 1);
  if (!BACKEND_ID_PATTERN.test(backend)) throw badId(`ID has an invalid backend part ${JSON.stringify(truncate(backend))}`, field);
  if (nativeKey.length === 0) throw badId('ID has an empty key after the backend', field);
  return { backend, nativeKey };
}

export function formatId(backend: string, nativeKey: string): string {
  return `${backend}:${nativeKey}`;
}

export interface SegmentRule {
  name: string;
  pattern: RegExp;
  maxLength: number;
}

/**
 * Splits a native key into exactly `rules.length` segments on `/` and checks each one.
 * `.` and `..` are refused whatever the pattern allows, so no segment can climb a path.
 */
export function parseSegments(nativeKey: string, rules: SegmentRule[], field = 'id'): string[] {
  const parts = nativeKey.split('/');
  if (parts.length !== rules.length) {
    throw badId(
      `key ${JSON.stringify(truncate(nativeKey))} must be ${rules.map((r) => `<${r.name}>`).join('/')}`,
      field,
    );
  }
  return parts.map((part, i) => {
    const rule = rules[i]!;
    if (part === '' || part === '.' || part === '..') throw badId(`${rule.name} ${JSON.stringify(part)} is not allowed`, field);
    if (part.length > rule.maxLength) throw badId(`${rule.name} is longer than ${rule.maxLength} characters`, field);
    if (!rule.pattern.test(part)) throw badId(`${rule.name} ${JSON.stringify(truncate(part))} does not match ${rule.pattern.source}`, field);
    return part;
  });
}

/** Percent-encodes one path segment; refuses segments that would change the path's shape. */
export function pathSegment(value: string): string {
  if (value === '' || value === '.' || value === '..') throw badId(`path segment ${JSON.stringify(value)} is not allowed`);
  return encodeURIComponent(value);
}

function truncate(s: string, n = 80): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

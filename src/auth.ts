import { createHash, timingSafeEqual } from 'node:crypto';
import { ForbiddenError } from './domain/errors.js';

export type Scope = 'read' | 'write';

/** Who is calling: resolved from an API key before any execution. */
export interface Principal {
  name: string;
  scopes: Scope[];
  /** Backends this key may touch; null = all. */
  backends: string[] | null;
}

export interface ApiKeyEntry {
  name: string;
  keySha256: string;
  scopes: Scope[];
  backends: string[] | null;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Finds the key whose hash matches, comparing in constant time. */
export function authenticate(keys: ApiKeyEntry[], presented: string): Principal | null {
  const digest = Buffer.from(sha256Hex(presented), 'hex');
  let found: ApiKeyEntry | null = null;
  for (const k of keys) {
    const stored = Buffer.from(k.keySha256, 'hex');
    if (stored.length === digest.length && timingSafeEqual(stored, digest)) found = k;
  }
  return found ? { name: found.name, scopes: found.scopes, backends: found.backends } : null;
}

export function canSeeBackend(principal: Principal | null, backend: string): boolean {
  return !principal || principal.backends === null || principal.backends.includes(backend);
}

export function requireScope(principal: Principal | null, scope: Scope, backend?: string): void {
  if (!principal) return; // open mode (no auth section in the config)
  if (!principal.scopes.includes(scope)) {
    throw new ForbiddenError(`API key ${principal.name} lacks the ${scope} scope`, { scope });
  }
  if (backend && !canSeeBackend(principal, backend)) {
    throw new ForbiddenError(`API key ${principal.name} may not use backend ${backend}`, { backend });
  }
}

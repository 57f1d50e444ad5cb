/**
 * undici's Pool and error classes, the parts of undici the upstream client uses. undici's entry
 * point loads all of undici (fetch, WebSocket, EventSource, caches, mocks, proxies: ~110 modules,
 * the largest single module cost of the gateway's start), so the pool's own files are loaded
 * instead, and what the entry point does besides is done here too: the request API put on every
 * dispatcher, and the global dispatcher set. Where an undici keeps them elsewhere, the entry point.
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

type Parts = Pick<typeof Undici, 'Pool' | 'errors'>;

const require = createRequire(import.meta.url);

function fromFiles(): Parts | null {
  try {
    const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
    const api = require('undici/lib/api/index.js') as Record<string, unknown>;
    const Pool = require('undici/lib/dispatcher/pool.js') as Parts['Pool'];
    const errors = require('undici/lib/core/errors.js') as Parts['errors'];
    // undici's index.js: `Object.assign(Dispatcher.prototype, api)` and, by requiring lib/global.js,
    // a global dispatcher when there is none.
    require('undici/lib/global.js');
    if (typeof api.request !== 'function' || typeof Pool !== 'function' || typeof errors?.UndiciError !== 'function') return null;
    Object.assign(Dispatcher.prototype, api);
    // A required file is typed by hand here: its class, for instanceof, is only known to be a constructor.
    return Pool.prototype instanceof (Dispatcher as unknown as new () => object) ? { Pool, errors } : null;
  } catch {
    return null;
  }
}

const files = fromFiles();
const parts: Parts = files ?? (require('undici') as Parts);

export const { Pool, errors } = parts;
/** Where the classes came from: undici's own files, or its entry point (another layout). */
export const undiciLoadedFrom: 'files' | 'entry' = files ? 'files' : 'entry';

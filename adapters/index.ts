import type { Adapter } from '../src/domain/adapter.js';

/** The built-in adapters, spelled out. A fourth vendor is a folder and one line here (or in the config). */
export const builtInAdapters: Adapter[] = [];

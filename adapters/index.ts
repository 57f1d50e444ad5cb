import type { Adapter } from '../src/domain/adapter.js';
import { northflankAdapter } from './northflank/adapter.js';
import { nemoAdapter } from './nemo/adapter.js';
import { zstackAdapter } from './zstack/adapter.js';

/** The built-in adapters, spelled out. A fourth vendor is a folder and one line here (or in the config). */
export const builtInAdapters: Adapter[] = [northflankAdapter as Adapter, nemoAdapter as Adapter, zstackAdapter as Adapter];

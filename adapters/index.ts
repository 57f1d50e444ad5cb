import type { Adapter } from '../src/domain/adapter.js';
import type { VendorModule } from '../src/graphql/vendor.js';
import * as northflank from './northflank/index.js';
import * as nemo from './nemo/index.js';
import * as zstack from './zstack/index.js';

/**
 * The built-in vendors, spelled out: each folder's index.ts pairs its adapter with its GraphQL part,
 * as a config's `adapters:` module does. A fourth vendor is a folder and one line here (or in the config).
 */
export const builtInVendors: VendorModule[] = [northflank, nemo, zstack];
export const builtInAdapters: Adapter[] = builtInVendors.map((v) => v.adapter);

import type { Adapter } from '../src/domain/adapter.js';
import { vendorRegistry, type VendorModule } from '../src/vendor-module.js';
import northflank from './northflank/index.js';
import nemo from './nemo/index.js';
import zstack from './zstack/index.js';

/**
 * The built-in vendors, spelled out: a fourth is its folder (adapters/<vendor>/index.ts) and one
 * line here — or, outside this repository, a module in the config's `adapters:` list. The
 * gateway's adapters, the demo's and `simulate`'s simulators and the tests' vendors come from here.
 */
export const builtInVendors: readonly VendorModule[] = vendorRegistry([northflank, nemo, zstack]);

export const builtInAdapters: Adapter[] = builtInVendors.map((v) => v.adapter);

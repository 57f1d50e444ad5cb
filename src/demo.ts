import { builtInVendors } from '../adapters/index.js';
import type { SimulatorOptions, VendorModule } from './vendor-module.js';
import type { VendorSimulator } from './simulator/server.js';
import type { GatewayConfigInput } from './config.js';

export interface Demo {
  simulators: Record<string, VendorSimulator>;
  /** Backend entries pointing at the simulators; the backend id is the vendor name. */
  backends: GatewayConfigInput['backends'];
  close(): Promise<void>;
}

export interface DemoOptions extends SimulatorOptions {
  /** The vendors whose simulators start. @default every vendor of the registry */
  vendors?: string[];
  /** @default the built-in vendors (adapters/index.ts) */
  registry?: readonly VendorModule[];
}

/** Starts the simulators of the registry's vendors with their sample deployments, on free loopback ports. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const registry = options.registry ?? builtInVendors;
  const vendors = options.vendors ?? registry.map((m) => m.vendor);
  const simulators: Record<string, VendorSimulator> = {};
  try {
    for (const vendor of vendors) {
      const module = registry.find((m) => m.vendor === vendor);
      if (!module) throw new Error(`no simulator for vendor ${vendor}`);
      simulators[vendor] = await module.simulator({ clock: options.clock, phaseMs: options.phaseMs, seed: options.seed ?? true });
    }
  } catch (err) {
    await Promise.allSettled(Object.values(simulators).map((s) => s.close()));
    throw err;
  }
  return {
    simulators,
    backends: Object.values(simulators).map((s) => ({ id: s.vendor, ...s.backendConfig })),
    close: async () => {
      await Promise.allSettled(Object.values(simulators).map((s) => s.close()));
    },
  };
}

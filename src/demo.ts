import { builtInSimulators, type SimulatorOptions } from '../adapters/simulators.js';
import type { VendorSimulator } from './simulator/server.js';
import type { GatewayConfigInput } from './config.js';

export interface Demo {
  simulators: Record<string, VendorSimulator>;
  /** Backend entries pointing at the simulators; the backend id is the vendor name. */
  backends: GatewayConfigInput['backends'];
  close(): Promise<void>;
}

/** Starts the built-in simulators with their sample deployments, on free loopback ports. */
export async function startDemo(options: SimulatorOptions & { vendors?: string[] } = {}): Promise<Demo> {
  const vendors = options.vendors ?? Object.keys(builtInSimulators);
  const simulators: Record<string, VendorSimulator> = {};
  try {
    for (const vendor of vendors) {
      const create = builtInSimulators[vendor];
      if (!create) throw new Error(`no simulator for vendor ${vendor}`);
      simulators[vendor] = await create({ clock: options.clock, phaseMs: options.phaseMs, seed: options.seed ?? true });
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

import type { Clock } from '../src/domain/clock.js';
import type { VendorSimulator } from '../src/simulator/server.js';
import { createNorthflankSimulator } from './northflank/simulator.js';
import { createNemoSimulator } from './nemo/simulator.js';
import { createZStackSimulator } from './zstack/simulator.js';

export interface SimulatorOptions {
  clock?: Clock;
  port?: number;
  /** How long each status phase lasts on the clock. */
  phaseMs?: number;
  seed?: boolean;
}

/** The built-in simulators by vendor, spelled out like adapters/index.ts. */
export const builtInSimulators: Record<string, (options?: SimulatorOptions) => Promise<VendorSimulator>> = {
  northflank: createNorthflankSimulator,
  // Auth is optional on NeMo installations; the demo runs with it on, as production usually does.
  nemo: (options) => createNemoSimulator({ token: 'nemo-simulator-token', ...options }),
  zstack: createZStackSimulator,
};

/**
 * A vendor as one folder offers it (adapters/<vendor>/index.ts): the adapter the gateway runs,
 * the simulator that the demo, `model-gateway simulate` and the tests start, and what the tests
 * run against that simulator. The registry (adapters/index.ts) lists them; the gateway's
 * adapters, the demo's simulators and the tests' vendor lists are all derived from it.
 */
import type { Adapter } from './domain/adapter.js';
import type { ModelDeployment } from './domain/deployment.js';
import type { UpdatePatch } from './domain/patch.js';
import type { RecordedCall, SimulatorOptions, VendorSimulator } from './simulator/server.js';
import type { VendorModule as ServedVendor } from './graphql/vendor.js';

export type { SimulatorOptions };

/** The cases the shared conformance suite (test/adapters.test.ts) runs against the vendor's simulator. */
export interface ConformanceCase {
  /** A seeded deployment that exists. */
  existingKey: string;
  /** Well-formed but absent. */
  missingKey: string;
  /** Malformed native keys the adapter must refuse before any upstream call. */
  badKeys: string[];
  /** A patch the vendor accepts, and how to see it applied on the re-read deployment. */
  validPatch: UpdatePatch;
  applied(d: ModelDeployment): boolean;
  /** A patch breaking a vendor rule, and the input path the ValidationError must name. */
  invalidPatch: UpdatePatch;
  invalidPath: (string | number)[];
  /** Upstream GET calls that one read of `existingKey` costs (a vendor may keep tags apart). @default 1 */
  readCalls?: number;
}

/** A secret by its kind (never named by its value). */
export type NamedSecret = [kind: string, value: string];

/** The gateway serves it as a ServedVendor (its adapter and GraphQL part); the rest is for the demo and the tests. */
export interface VendorModule<S extends VendorSimulator = VendorSimulator> extends ServedVendor {
  /** The adapter's vendor name: one per registry. */
  readonly vendor: string;
  readonly adapter: Adapter;
  /**
   * Starts the vendor's simulator with its sample deployments, configured as the demo runs it.
   * Its code is loaded on the first call: a gateway serving real backends never loads it.
   */
  simulator(options?: SimulatorOptions): Promise<S>;
  readonly conformance: ConformanceCase;
  /**
   * Secrets beyond the credential fields of a backend entry (token, password …) that reach the
   * vendor, and so could be quoted back: a password's hash sent in its place, a session a call
   * carries. The tests scan every log line and answer for them.
   */
  readonly secrets?: {
    ofBackend?(entry: Record<string, unknown>): NamedSecret[];
    ofCall?(call: RecordedCall): NamedSecret[];
  };
}

/** `export default defineVendor({ adapter, graphql, simulator, conformance })` in adapters/<vendor>/index.ts. */
// Any config and key types: a vendor module holds an adapter of its own types, which only its folder uses.
export function defineVendor<S extends VendorSimulator>(module: Omit<VendorModule<S>, 'vendor' | 'adapter'> & { adapter: Adapter<any, any> }): VendorModule<S> {
  return { ...module, adapter: module.adapter as Adapter, vendor: module.adapter.vendor };
}

/**
 * A list of vendors, checked: one module per vendor name. The built-in one is adapters/index.ts;
 * a test adds its own vendors to it the same way.
 */
export function vendorRegistry(modules: readonly VendorModule[]): readonly VendorModule[] {
  const seen = new Set<string>();
  for (const m of modules) {
    if (m.vendor !== m.adapter.vendor) throw new Error(`vendor module ${m.vendor}: its adapter says vendor ${JSON.stringify(m.adapter.vendor)}`);
    if (seen.has(m.vendor)) throw new Error(`vendor ${JSON.stringify(m.vendor)} is registered twice`);
    seen.add(m.vendor);
  }
  return Object.freeze([...modules]);
}

/** The module of a vendor, or an error naming the ones there are. */
export function vendorModule(registry: readonly VendorModule[], vendor: string): VendorModule {
  const m = registry.find((r) => r.vendor === vendor);
  if (!m) throw new Error(`no vendor ${JSON.stringify(vendor)} (registered: ${registry.map((r) => r.vendor).join(', ')})`);
  return m;
}

import type { Adapter, AdapterInstance, BackendConfigBase } from './adapter.js';

/** One configured backend: its entry of the config and the running adapter instance serving it. */
export interface Backend {
  id: string;
  vendor: string;
  adapter: Adapter;
  instance: AdapterInstance;
  config: BackendConfigBase;
  /** The adapter talks through the gateway's HTTP client, so an update sees whether its write left. */
  readonly writesObserved: boolean;
}

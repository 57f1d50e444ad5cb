import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { FieldConfirmation } from './confirmation.js';
import type { ModelDeployment } from './deployment.js';
import type { DeploymentStatus } from './status.js';
import type { UpdateOptions, UpdatePatch, UpdatePlan, PlannedRequest, FieldChange } from './patch.js';
import type { HttpClient, HttpClientSettings } from './http.js';

/** Every backend entry in the config has these; the adapter's configSchema validates the rest. */
export interface BackendConfigBase {
  id: string;
  vendor: string;
  baseUrl: string;
  /** Per-request timeout towards the vendor. @default 10000 */
  timeoutMs?: number;
}

export interface Capabilities {
  /** Unified fields the vendor can change with an update. */
  updatableFields: ('name' | 'description' | 'tags')[];
  /** getMany costs one upstream request for many keys. */
  batchGet: boolean;
  /** List filters the vendor applies itself (the gateway applies the rest). */
  listFilters: ('status' | 'tags' | 'search')[];
  /** Paths inside the vendor's update block where an explicit null is sent on (the vendor takes null there). */
  nullablePaths?: readonly (readonly string[])[];
}

export interface ListFilter {
  vendors?: string[];
  backends?: string[];
  statuses?: DeploymentStatus[];
  /** Every tag must be present. */
  tags?: string[];
  /** Case-insensitive substring of name, description or native id. */
  search?: string;
}

export interface BackendHealth {
  ok: boolean;
  message: string | null;
  latencyMs: number | null;
}

export interface AdapterContext {
  backendId: string;
  logger: Logger;
  clock: Clock;
  /** Makes the pooled HTTP client for this backend (timeouts, retries, redaction, error table). */
  http(options: HttpClientSettings): HttpClient;
}

export interface UpdateResult {
  /** The deployment as re-read (or returned) after the write. */
  deployment: ModelDeployment;
  /** What was sent, in order. */
  requests: PlannedRequest[];
  /** Field-by-field difference the update made, when the adapter knows it. */
  changes?: FieldChange[];
  /** Each field sent, as the re-read shows it; without it the vendor-neutral confirmByPaths is used. */
  fields?: FieldConfirmation[];
}

export interface PlanResult extends UpdatePlan {
  /** Field-by-field difference between now and after the update, in vendor-neutral names. */
  changes: FieldChange[];
  current: ModelDeployment;
}

/**
 * A running adapter for one backend. Keys (`K`) are the adapter's parsed native keys;
 * nothing outside the vendor folder looks inside them.
 */
export interface AdapterInstance<K = unknown> {
  /** Checks a native key against the vendor's patterns; throws ValidationError. */
  parseKey(nativeKey: string): K;
  formatKey(key: K): string;
  /** Batch read for DataLoader: one result per key, in order; NotFoundError for missing ones. */
  /**
   * One batch of reads. Every method that is given `opts.requestId` passes it on to
   * `http.request({ requestId })`, which sends it to the vendor as x-request-id.
   */
  getMany(keys: readonly K[], opts?: { requestId?: string }): Promise<(ModelDeployment | Error)[]>;
  /** Every deployment this backend is configured for, with the filters it can push down. */
  list(filter: ListFilter, opts?: { requestId?: string }): Promise<ModelDeployment[]>;
  /**
   * Validates the patch against the vendor's rules and returns the exact requests that an update
   * would send, without sending them. Throws ValidationError / UnsupportedFieldError.
   */
  planUpdate(key: K, patch: UpdatePatch, opts?: UpdateOptions): Promise<PlanResult>;
  /** Applies the patch; ConflictError when expectedVersion is stale; UpstreamError with an outcome on failure. */
  update(key: K, patch: UpdatePatch, opts?: UpdateOptions): Promise<UpdateResult>;
  health(): Promise<BackendHealth>;
  /** Tags of many deployments in one upstream call, for deployments read with `tagsDeferred`. */
  loadTags?(keys: readonly K[], opts?: { requestId?: string }): Promise<(string[] | Error)[]>;
  close?(): Promise<void>;
}

/**
 * A vendor's adapter: how its backends are configured, what they can do, and the running instance
 * for one backend. How its deployments are shown in the API is not its business: a vendor folder's
 * GraphQL part (adapters/<vendor>/graphql.ts) adds that, beside it.
 */
export interface Adapter<C extends BackendConfigBase = BackendConfigBase, K = unknown> {
  vendor: string;
  configSchema: z.ZodType<C>;
  capabilities: Capabilities;
  create(config: C, ctx: AdapterContext): AdapterInstance<K>;
}

/** Identity with a type check: `export const myAdapter = defineAdapter({...})`. */
export function defineAdapter<C extends BackendConfigBase, K>(adapter: Adapter<C, K>): Adapter<C, K> {
  return adapter;
}

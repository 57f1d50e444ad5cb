import DataLoader from 'dataloader';
import type { ListFilter } from '../domain/adapter.js';
import type { ModelDeployment } from '../domain/deployment.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { RequestBudgetError } from '../app/upstream-budget.js';
import { parseId } from '../domain/ids.js';
import type { Backend } from '../domain/backend.js';
import type { GatewayRuntime } from '../app/runtime.js';
import type { Principal } from '../auth.js';

export interface GraphQLContext {
  runtime: GatewayRuntime;
  requestId: string;
  principal: Principal | null;
  loaders: DeploymentLoaders;
  /** Errors of backends that failed while others answered (added to the result beside the data). */
  partialErrors: Error[];
}

/** More ids than this on a backend without batch reads are read by one list, not one GET each. */
const LIST_OVER = 3;

export interface ReadManyResult {
  /** The deployments found, in no particular order. */
  found: ModelDeployment[];
  /** Backends whose read failed, with the error. */
  failed: Map<string, Error>;
}

/**
 * Per-request DataLoaders, one per backend, keyed by native key: a query that touches the same
 * deployment twice, or a list whose items are read again, costs no second upstream call; nor do
 * identical lists (aliases) or any other identical read (`shared`). Every upstream read counts
 * against the request's budget (`limits.upstreamCallsPerRequest`) and waits for the backend's
 * budget shared by all callers (src/app/upstream-budget.ts).
 */
export class DeploymentLoaders {
  /** Upstream reads this request has made (a list, a batch read, one GET: one each). */
  private spent = 0;
  /** Whether `limits.upstreamCallsPerRequest` applies (queries and subscriptions; a mutation has caps of its own). */
  private capped = true;
  // Made when first used: a subscription keeps its request's loaders for as long as it lives.
  private reads: Map<string, Promise<unknown>> | null = null;
  private byBackend: Map<string, DataLoader<string, ModelDeployment>> | null = null;
  private tagsByBackend: Map<string, DataLoader<string, string[]>> | null = null;
  /**
   * Lists in flight, per backend: the items each will return, by native key (null if it failed).
   * A batch of reads for such a backend waits for the list instead of asking upstream for what
   * the list is about to bring.
   */
  private listing: Map<string, Promise<ReadonlyMap<string, ModelDeployment> | null>> | null = null;
  constructor(
    private readonly runtime: GatewayRuntime,
    private readonly requestId: string,
    /** Who pays for the reads in the backends' shared budget: the API key's name, else this request. */
    private readonly caller = `request:${requestId}`,
  ) {}

  /**
   * Counts `cost` reads of the backend against the request's cap, then waits for the backend's
   * budget. (Not an async function: every upstream read passes here, and the budget mostly grants
   * at once.)
   */
  private spend(backend: Backend, cost: number): Promise<void> {
    const max = this.runtime.config.limits.upstreamCallsPerRequest;
    if (this.capped && this.spent + cost > max) return Promise.reject(new RequestBudgetError(max));
    this.spent += cost;
    return this.runtime.budget?.acquire(backend.id, { caller: this.caller }, cost) ?? Promise.resolve();
  }

  /** Lifts the per-request cap: a mutation's reads are bounded by its own limits (bulk's items and concurrency). */
  uncap(): void {
    this.capped = false;
  }

  /**
   * One read per request for one key: identical reads (aliases, the same field on the same
   * deployment) share it. `key` names the backend, the operation and its arguments.
   */
  shared<T>(backendId: string, key: string, read: () => Promise<T>): Promise<T> {
    const full = `${backendId}\n${key}`;
    let p = this.reads?.get(full) as Promise<T> | undefined;
    if (!p) {
      const backend = this.runtime.backends.get(backendId);
      p = (backend ? this.spend(backend, 1) : Promise.resolve()).then(read);
      (this.reads ??= new Map()).set(full, p);
    }
    return p;
  }

  /** A backend's list for a filter, once per request however many fields (aliases) ask for it. */
  list(backend: Backend, filter: ListFilter): Promise<ModelDeployment[]> {
    return this.shared(backend.id, `list ${JSON.stringify(filter)}`, () => backend.instance.list(filter, { requestId: this.requestId }));
  }

  /**
   * Many ids at once: one batch read per backend that has one, else one list of the backend when
   * more than a few ids are asked for, else one GET each. Missing ids are left out; a backend that
   * fails is named in `failed` and the others' deployments are returned.
   */
  async readMany(ids: Iterable<string>): Promise<ReadManyResult> {
    const byBackend = new Map<string, { backend: Backend; keys: string[] }>();
    for (const id of ids) {
      const { backend, nativeKey } = this.resolveId(id);
      (byBackend.get(backend.id) ?? byBackend.set(backend.id, { backend, keys: [] }).get(backend.id)!).keys.push(nativeKey);
    }
    const found: ModelDeployment[] = [];
    const failed = new Map<string, Error>();
    await Promise.all(
      [...byBackend.values()].map(async ({ backend, keys }) => {
        try {
          if (!backend.adapter.capabilities.batchGet && keys.length > LIST_OVER) {
            const wanted = new Set(keys);
            for (const d of await this.list(backend, {})) if (wanted.has(d.nativeId)) found.push(d);
            return;
          }
          const results = await this.loader(backend).loadMany(keys);
          for (const r of results) {
            if (r instanceof NotFoundError) continue;
            if (r instanceof Error) throw r;
            found.push(r);
          }
        } catch (err) {
          failed.set(backend.id, err as Error);
        }
      }),
    );
    return { found, failed };
  }

  private loader(backend: Backend): DataLoader<string, ModelDeployment> {
    let loader = this.byBackend?.get(backend.id);
    if (!loader) {
      const getMany = async (nativeKeys: readonly string[]) => {
        await this.spend(backend, backend.adapter.capabilities.batchGet ? 1 : nativeKeys.length);
        return backend.instance.getMany(nativeKeys.map((k) => backend.instance.parseKey(k)), { requestId: this.requestId });
      };
      loader = new DataLoader<string, ModelDeployment>(
        (nativeKeys) => {
          // DataLoader dispatches once the pending microtasks have run, i.e. after every sibling
          // resolver was called: a list started beside these reads, in either field order, is
          // registered by now (and still running, as it needs upstream I/O).
          const listed = this.listing?.get(backend.id);
          return listed ? this.afterList(listed, nativeKeys, getMany) : getMany(nativeKeys);
        },
        { maxBatchSize: 100 },
      );
      (this.byBackend ??= new Map()).set(backend.id, loader);
    }
    return loader;
  }

  /** Takes what the list brought; reads upstream only the keys it did not (or all, if it failed). */
  private async afterList(
    listed: Promise<ReadonlyMap<string, ModelDeployment> | null>,
    nativeKeys: readonly string[],
    getMany: (keys: readonly string[]) => Promise<(ModelDeployment | Error)[]>,
  ): Promise<(ModelDeployment | Error)[]> {
    const found = await listed;
    const out: (ModelDeployment | Error | undefined)[] = nativeKeys.map((k) => found?.get(k));
    const missing = nativeKeys.filter((_k, i) => out[i] === undefined);
    if (missing.length === 0) return out as ModelDeployment[];
    const fetched = await getMany(missing);
    let j = 0;
    return out.map((d) => d ?? fetched[j++]!);
  }

  /**
   * Registers a list across `backendIds` while it runs: reads of those backends made meanwhile
   * wait for it and use its items; when it ends, its items are primed. Returns `list`.
   */
  trackList<T extends { items: ModelDeployment[] }>(backendIds: readonly string[], list: Promise<T>): Promise<T> {
    const settled = list.then(
      (r) => {
        for (const d of r.items) this.prime(d);
        return r.items;
      },
      () => null,
    );
    for (const id of backendIds) {
      const entry = settled.then((items) => (items ? new Map(items.filter((d) => d.backend === id).map((d) => [d.nativeId, d])) : null));
      const listing = (this.listing ??= new Map());
      listing.set(id, entry);
      void entry.then(() => {
        if (listing.get(id) === entry) listing.delete(id);
      });
    }
    return list;
  }

  /** Resolves an ID to its backend and canonical native key; throws ValidationError. */
  resolveId(id: string, field = 'id'): { backend: Backend; nativeKey: string } {
    const { backend: backendId, nativeKey } = parseId(id, field);
    const backend = this.runtime.backends.get(backendId);
    if (!backend) {
      throw new ValidationError([
        { path: [field], rule: 'unknown_backend', message: `no backend named ${JSON.stringify(backendId)} is configured` },
      ]);
    }
    let canonical: string;
    try {
      canonical = backend.instance.formatKey(backend.instance.parseKey(nativeKey));
    } catch (err) {
      if (err instanceof ValidationError) {
        throw new ValidationError(err.issues.map((i) => ({ ...i, path: [field] })));
      }
      throw err;
    }
    return { backend, nativeKey: canonical };
  }

  load(id: string, field = 'id'): Promise<ModelDeployment> {
    const { backend, nativeKey } = this.resolveId(id, field);
    return this.loader(backend).load(nativeKey);
  }

  /** Seeds the cache with list results so nested reads of the same items cost nothing. */
  prime(deployment: ModelDeployment): void {
    const backend = this.runtime.backends.get(deployment.backend);
    if (backend) this.loader(backend).prime(deployment.nativeId, deployment);
  }

  /** Tags of a deployment whose adapter keeps them apart (`tagsDeferred`): one batched call per request. */
  tags(d: ModelDeployment): Promise<string[]> | string[] {
    const backend = this.runtime.backends.get(d.backend);
    const instance = backend?.instance;
    if (!d.tagsDeferred || !backend || !instance?.loadTags) return d.tags;
    let loader = this.tagsByBackend?.get(backend.id);
    if (!loader) {
      loader = new DataLoader<string, string[]>(async (keys) => {
        await this.spend(backend, 1);
        return instance.loadTags!(keys.map((k) => instance.parseKey(k)), { requestId: this.requestId });
      }, {
        maxBatchSize: 100,
      });
      (this.tagsByBackend ??= new Map()).set(backend.id, loader);
    }
    return loader.load(d.nativeId);
  }

  /** Forgets a deployment after a write, so the re-read is fresh. */
  clear(backendId: string, nativeKey: string): void {
    this.byBackend?.get(backendId)?.clear(nativeKey);
    this.tagsByBackend?.get(backendId)?.clear(nativeKey);
  }
}

import type { Logger } from 'pino';
import type { ListFilter } from '../domain/adapter.js';
import type { ModelDeployment } from '../domain/deployment.js';
import { GatewayError, NotFoundError } from '../domain/errors.js';
import type { DeploymentStatus } from '../domain/status.js';
import type { Backend } from '../gateway.js';
import { topicFor, type HubEvent } from './events.js';
import type { GatewayPubSub } from './pubsub.js';

export interface HubOptions {
  /** @default 5000 */
  intervalMs: number;
  /** Fraction of the interval added or removed at random. @default 0.1 */
  jitter?: number;
  /** Longest wait between polls of a failing backend. @default 30000 */
  maxBackoffMs?: number;
}

/** What one subscription watches on one backend: some ids, or everything (a filter). */
export interface WatchSpec {
  backend: string;
  ids: string[] | null;
}

interface Snapshot {
  status: DeploymentStatus;
  fingerprint: string;
}

export type HubListener = (event: HubEvent) => void;

interface BackendWatch {
  backend: Backend;
  watches: Map<symbol, WatchSpec>;
  listeners: Map<symbol, HubListener>;
  /** Watch tokens by deployment id; watches of the whole backend are in `all`. */
  byId: Map<string, Set<symbol>>;
  all: Set<symbol>;
  snapshot: Map<string, Snapshot>;
  timer: NodeJS.Timeout | null;
  polling: Promise<void> | null;
  failures: number;
  unavailable: boolean;
  stopSync: (() => void) | null;
  polls: number;
}

/** The fields whose change is a change worth telling (not `raw`: it is derived). */
export function fingerprint(d: ModelDeployment): string {
  return JSON.stringify([d.name, d.description, d.tags, d.status, d.vendorStatus, d.statusMessage, d.version, d.updatedAt, d.model, d.resources], (_k, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
}

const CHANGE_FIELDS = ['name', 'description', 'tags', 'status', 'vendorStatus', 'statusMessage', 'version', 'updatedAt', 'model', 'resources'] as const;
function changedFields(before: ModelDeployment | null, after: ModelDeployment): string[] {
  if (!before) return [];
  return CHANGE_FIELDS.filter((f) => JSON.stringify(before[f], big) !== JSON.stringify(after[f], big));
}
const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/**
 * Turns polling into push. Every gateway instance subscribes once per watched backend to the
 * pubsub topic and fans events out locally by deployment id, so 10,000 subscribers cost one
 * pubsub listener and an index lookup per event. Polls only backends somebody watches, with one list (or one batch
 * read) per backend per interval whatever the number of subscribers; publishes only real
 * changes; backs off while a backend fails and says so with an event; stops when the last
 * watcher leaves.
 */
export class WatchHub {
  private readonly byBackend = new Map<string, BackendWatch>();
  private readonly last = new Map<string, ModelDeployment>();
  private closed = false;

  constructor(
    private readonly backends: Map<string, Backend>,
    private readonly pubsub: GatewayPubSub,
    private readonly logger: Logger,
    private readonly options: HubOptions,
  ) {}

  /**
   * Starts (or joins) the polling of a backend; `listener` receives that backend's events for
   * the watched ids (or all of them). Returns the function that leaves.
   */
  watch(spec: WatchSpec, listener: HubListener): () => void {
    const backend = this.backends.get(spec.backend);
    if (!backend || this.closed) return () => {};
    let bw = this.byBackend.get(spec.backend);
    const fresh = !bw;
    if (!bw) {
      bw = {
        backend,
        watches: new Map(),
        listeners: new Map(),
        byId: new Map(),
        all: new Set(),
        snapshot: new Map(),
        timer: null,
        polling: null,
        failures: 0,
        unavailable: false,
        stopSync: null,
        polls: 0,
      };
      this.byBackend.set(spec.backend, bw);
    }
    const token = Symbol('watch');
    bw.watches.set(token, spec);
    bw.listeners.set(token, listener);
    if (spec.ids === null) bw.all.add(token);
    else for (const id of spec.ids) (bw.byId.get(id) ?? bw.byId.set(id, new Set()).get(id)!).add(token);
    if (fresh) {
      this.startSync(bw);
      this.schedule(bw, 0);
    }
    const owner = bw;
    return () => {
      owner.watches.delete(token);
      owner.listeners.delete(token);
      owner.all.delete(token);
      for (const id of spec.ids ?? []) {
        const set = owner.byId.get(id);
        set?.delete(token);
        if (set && set.size === 0) owner.byId.delete(id);
      }
      if (owner.watches.size === 0 && this.byBackend.get(spec.backend) === owner) this.stopBackend(owner);
    };
  }

  private dispatch(bw: BackendWatch, ev: HubEvent) {
    const targets = ev.type === 'status' || ev.type === 'change' ? [...bw.all, ...(bw.byId.get(ev.id) ?? [])] : [...bw.listeners.keys()];
    for (const token of targets) {
      try {
        bw.listeners.get(token)?.(ev);
      } catch (err) {
        this.logger.error({ err }, 'subscriber listener failed');
      }
    }
  }

  /** Backends being polled now and how many watches each has. */
  stats(): Record<string, { watches: number; polls: number; unavailable: boolean }> {
    return Object.fromEntries([...this.byBackend].map(([id, bw]) => [id, { watches: bw.watches.size, polls: bw.polls, unavailable: bw.unavailable }]));
  }

  /** A deployment read or written through this gateway: publish if it changed, then refresh its backend at once. */
  observe(d: ModelDeployment): void {
    const bw = this.byBackend.get(d.backend);
    if (!bw) return;
    this.compare(bw, d, Date.now());
    this.schedule(bw, 0);
  }

  /** Waits for the polls under way (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.byBackend.values()].map((bw) => bw.polling));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const bw of this.byBackend.values()) this.stopBackend(bw);
  }

  private stopBackend(bw: BackendWatch) {
    if (bw.timer) clearTimeout(bw.timer);
    bw.timer = null;
    bw.stopSync?.();
    this.byBackend.delete(bw.backend.id);
    for (const id of bw.snapshot.keys()) this.last.delete(id);
  }

  /** Events published by other gateway instances (Redis) keep this one's picture current, so it does not publish them again. */
  private startSync(bw: BackendWatch) {
    const iterator = this.pubsub.subscribe(topicFor(bw.backend.id))[Symbol.asyncIterator]();
    let stopped = false;
    bw.stopSync = () => {
      stopped = true;
      void iterator.return?.();
    };
    void (async () => {
      try {
        while (!stopped) {
          const { value, done } = await iterator.next();
          if (done) return;
          const ev = value as HubEvent;
          if (this.byBackend.get(bw.backend.id) !== bw) continue;
          if (ev.type === 'status' || ev.type === 'change') {
            bw.snapshot.set(ev.id, { status: ev.current, fingerprint: ev.fingerprint });
            this.last.set(ev.id, ev.deployment);
          }
          this.dispatch(bw, ev);
        }
      } catch (err) {
        this.logger.warn({ err }, 'status sync stopped');
      }
    })();
  }

  private schedule(bw: BackendWatch, delayMs: number) {
    if (this.closed || this.byBackend.get(bw.backend.id) !== bw) return;
    if (bw.timer) clearTimeout(bw.timer);
    bw.timer = setTimeout(() => {
      bw.timer = null;
      if (bw.polling) {
        // A poll is under way: run again right after it.
        void bw.polling.then(() => this.schedule(bw, 0));
        return;
      }
      bw.polling = this.poll(bw).finally(() => {
        bw.polling = null;
      });
    }, delayMs);
    bw.timer.unref?.();
  }

  private nextDelay(bw: BackendWatch): number {
    const base = bw.failures === 0 ? this.options.intervalMs : Math.min(this.options.maxBackoffMs ?? 30_000, this.options.intervalMs * 2 ** bw.failures);
    const j = this.options.jitter ?? 0.1;
    return Math.max(10, Math.round(base * (1 - j + Math.random() * 2 * j)));
  }

  private async poll(bw: BackendWatch): Promise<void> {
    const now = () => Date.now();
    bw.polls += 1;
    try {
      const specs = [...bw.watches.values()];
      const idsOnly = specs.every((s) => s.ids !== null);
      const wanted = new Set(specs.flatMap((s) => s.ids ?? []));
      let seen: ModelDeployment[];
      const missing: string[] = [];
      if (idsOnly && bw.backend.adapter.capabilities.batchGet) {
        // One batch read of exactly the watched deployments.
        const ids = [...wanted];
        const keys = ids.map((id) => bw.backend.instance.parseKey(id.slice(bw.backend.id.length + 1)));
        const results = await bw.backend.instance.getMany(keys);
        seen = [];
        results.forEach((r, i) => {
          if (r instanceof NotFoundError) missing.push(ids[i]!);
          else if (r instanceof Error) throw r;
          else seen.push(r);
        });
      } else {
        // One list of the backend (its own pagination aside) serves every watcher.
        const filter: ListFilter = {};
        seen = await bw.backend.instance.list(filter);
        const present = new Set(seen.map((d) => d.id));
        for (const id of bw.snapshot.keys()) if (!present.has(id)) missing.push(id);
        for (const id of wanted) if (!present.has(id) && !bw.snapshot.has(id)) missing.push(id);
      }
      if (this.byBackend.get(bw.backend.id) !== bw) return;
      const at = now();
      if (bw.unavailable) {
        bw.unavailable = false;
        await this.pubsub.publish(topicFor(bw.backend.id), { type: 'recovered', backend: bw.backend.id, at });
      }
      bw.failures = 0;
      for (const d of seen) this.compare(bw, d, at);
      for (const id of missing) this.gone(bw, id, at);
    } catch (err) {
      bw.failures += 1;
      const retryInMs = this.nextDelay(bw);
      const code = err instanceof GatewayError ? err.code : 'UPSTREAM_ERROR';
      const message = err instanceof GatewayError ? err.message : `Backend ${bw.backend.id}: poll failed`;
      if (!(err instanceof GatewayError)) this.logger.error({ err, backend: bw.backend.id }, 'status poll failed');
      if (!bw.unavailable) {
        bw.unavailable = true;
        await this.pubsub.publish(topicFor(bw.backend.id), { type: 'unavailable', backend: bw.backend.id, code, message, retryInMs, at: now() });
      }
      this.schedule(bw, retryInMs);
      return;
    }
    this.schedule(bw, this.nextDelay(bw));
  }

  private compare(bw: BackendWatch, d: ModelDeployment, at: number) {
    const prev = bw.snapshot.get(d.id);
    const fp = fingerprint(d);
    bw.snapshot.set(d.id, { status: d.status, fingerprint: fp });
    const before = this.last.get(d.id) ?? null;
    this.last.set(d.id, d);
    if (!prev) return; // first sight: the baseline
    const topic = topicFor(bw.backend.id);
    const base = { backend: bw.backend.id, id: d.id, deployment: d, previous: prev.status, current: d.status, vendorStatus: d.vendorStatus, fingerprint: fp, at };
    if (prev.status !== d.status) void this.pubsub.publish(topic, { type: 'status', ...base });
    if (prev.fingerprint !== fp) void this.pubsub.publish(topic, { type: 'change', ...base, changedFields: changedFields(before, d) });
  }

  /** A watched deployment that no longer exists is DELETED (ZStack: gone = deleted, DESIGN.md). */
  private gone(bw: BackendWatch, id: string, at: number) {
    const prev = bw.snapshot.get(id);
    const before = this.last.get(id);
    if (!prev || prev.status === 'DELETED' || !before) {
      bw.snapshot.set(id, { status: 'DELETED', fingerprint: 'deleted' });
      return;
    }
    const d: ModelDeployment = { ...before, status: 'DELETED', vendorStatus: before.vendorStatus, statusMessage: 'no longer exists upstream' };
    this.compare(bw, d, at);
  }
}

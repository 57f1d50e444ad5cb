import type { Logger } from 'pino';
import type { ModelDeployment } from '../domain/deployment.js';
import { GatewayError, NotFoundError } from '../domain/errors.js';
import type { DeploymentStatus } from '../domain/status.js';
import type { Backend } from '../domain/backend.js';
import { systemClock, type Clock, type TimerHandle } from '../domain/clock.js';
import { topicFor, type Availability, type BackendMessage, type HubEvent, type Observation } from './events.js';
import type { GatewayPubSub } from './pubsub.js';
import { createLocalPollOwnership, type PollOwnership, type Watching } from './poll-ownership.js';

/** Fraction of the poll interval added or removed at random, unless the options say otherwise. */
export const POLL_JITTER = 0.1;

/** Observations published by one poll before the hub lets them be read (see `poll`). */
const PUBLISH_SLICE = 256;

/** How much earlier than the state taken a read may have begun and still be dropped as stale. */
const STALE_READ_MS = 60_000;

export interface HubOptions {
  /** @default 5000 */
  intervalMs: number;
  /** Fraction of the interval added or removed at random. @default POLL_JITTER */
  jitter?: number;
  /** Longest wait between polls of a failing backend. @default 30000 */
  maxBackoffMs?: number;
  /** Time, timers and jitter of the polling. @default systemClock */
  clock?: Clock;
  /** Who polls each backend: this instance alone, or one owner across instances. @default local */
  ownership?: PollOwnership;
  /** Waits for the backend's upstream budget before a poll reads. */
  beforeRead?: (backend: string) => Promise<void>;
  /** Told of each poll and of each event's delivery lag (metrics). */
  observer?: { poll(backend: string, seconds: number, ok: boolean): void; delivered(lagMs: number): void };
}

type UnavailableEvent = Extract<HubEvent, { type: 'unavailable' }>;

/** What one subscription watches on one backend: some ids, or everything (null). */
export interface WatchSpec {
  backend: string;
  ids: string[] | null;
}

export type HubListener = (event: HubEvent) => void;

interface Seen {
  status: DeploymentStatus;
  fingerprint: string;
  deployment: ModelDeployment;
  /** When the read that showed this state began (or the mutation was observed): older reads are stale. */
  readAt: number | undefined;
  /**
   * Handed over by a subscription's own read (`offerBaseline`) and not shown by a read of the hub
   * yet. A list that does not show it says nothing (the read may have been outside the list's
   * scope): it is forgotten rather than told DELETED.
   */
  offered: boolean;
}

interface BackendWatch {
  backend: Backend;
  listeners: Map<symbol, { spec: WatchSpec; listener: HubListener }>;
  /** Watch tokens by deployment id; watches of the whole backend are in `all`. */
  byId: Map<string, Set<symbol>>;
  all: Set<symbol>;
  seen: Map<string, Seen>;
  timer: TimerHandle | null;
  /** When `timer` fires (clock time). */
  dueAt: number;
  polling: Promise<void> | null;
  /** Another poll was asked for while one was running (it may not have read the new ids). */
  again: boolean;
  /**
   * When the first of the unbroken run of lists began (null: the last read was no list, or there
   * was none yet). A list has read every deployment there is: one first seen by a later read is
   * new upstream, and its first sighting is news.
   */
  listedSince: number | null;
  /**
   * Batch reads: per id the last one asked for, when the first read that asked for it began
   * (carried over from a list before it). An id read and not found that shows up later is news.
   */
  readSince: Map<string, number>;
  failures: number;
  /** The backend's state as last seen by a poll (any instance's) or a subscription's read. */
  unavailable: boolean;
  /** What this instance's listeners were told last (null: nothing, it is available). */
  told: UnavailableEvent | null;
  /** Whether this instance held the poll lease at its last claim. */
  owner: boolean;
  /** When the owner's next poll is due (it renews the lease more often than it polls a failing backend). */
  nextPollAt: number;
  /** When this instance began watching the backend. */
  startedAt: number;
  /** When this instance's last successful read began (undefined: none since it polls). */
  lastReadAt: number | undefined;
  /** What was last announced to the other instances (JSON), and when. */
  announced: string | null;
  announcedAt: number;
  stopSync: () => void;
  /** Polls begun. */
  polls: number;
  /** Polls ended: the read answered or failed, and what it showed (or the outage) was published. */
  polled: number;
}

/** The fields whose change is worth telling (not `raw`: it is derived from the rest). */
export function fingerprint(d: ModelDeployment): string {
  return JSON.stringify([d.name, d.description, d.tagsDeferred ? null : d.tags, d.status, d.vendorStatus, d.statusMessage, d.version, d.updatedAt, d.model, d.resources], big);
}
const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/**
 * A read that leaves tags to a second call (`tagsDeferred`: the adapter keeps them apart from the
 * deployment) says nothing about them: keep the ones last seen.
 */
function withKnownTags(d: ModelDeployment, prev: { deployment: ModelDeployment } | undefined): ModelDeployment {
  return d.tagsDeferred && prev && !prev.deployment.tagsDeferred ? { ...d, tags: prev.deployment.tags, tagsDeferred: false } : d;
}

const CHANGE_FIELDS = ['name', 'description', 'tags', 'status', 'vendorStatus', 'statusMessage', 'version', 'updatedAt', 'model', 'resources'] as const;
function changedFields(before: ModelDeployment, after: ModelDeployment): string[] {
  return CHANGE_FIELDS.filter((f) => JSON.stringify(before[f], big) !== JSON.stringify(after[f], big));
}

/**
 * Turns polling into push, Hasura-style: every subscription on a backend shares one poller,
 * which makes one list call (or one batch read) per interval however many subscribers there
 * are. Two polls of a backend are never closer than the interval less its jitter: a watch of
 * new ids brings the next poll forward to that limit at most, and a mutation publishes what it
 * read back without polling. Polls and mutations publish *observations* on the pubsub (memory,
 * or Redis across instances); each instance compares them with what it saw before and fans real
 * transitions out to its own subscribers by deployment id. What the first read of a backend (or
 * of a newly watched id) shows is the baseline and is told nobody; a deployment first seen by a
 * later read is new upstream and is told with `previous: null`. A failing backend is polled with
 * backoff and its subscribers get BackendUnavailable, then BackendRecovered. Polling stops with
 * the last watcher.
 */
export class WatchHub {
  private readonly byBackend = new Map<string, BackendWatch>();
  /** When each backend's last poll began: outlives its watches, so churn cannot add polls. */
  private readonly lastPollAt = new Map<string, number>();
  /** Polls ended per backend since the hub started: outlives its watches too. */
  private readonly pollsEnded = new Map<string, number>();
  private closed = false;
  readonly clock: Clock;
  private readonly ownership: PollOwnership;

  constructor(
    private readonly backends: Map<string, Backend>,
    private readonly pubsub: GatewayPubSub,
    private readonly logger: Logger,
    private readonly options: HubOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.ownership = options.ownership ?? createLocalPollOwnership();
  }

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
        listeners: new Map(),
        byId: new Map(),
        all: new Set(),
        seen: new Map(),
        timer: null,
        dueAt: 0,
        polling: null,
        again: false,
        listedSince: null,
        readSince: new Map(),
        failures: 0,
        unavailable: false,
        told: null,
        owner: false,
        nextPollAt: 0,
        startedAt: this.clock.now(),
        lastReadAt: undefined,
        announced: null,
        announcedAt: 0,
        stopSync: () => {},
        polls: 0,
        polled: 0,
      };
      this.byBackend.set(spec.backend, bw);
    }
    const token = Symbol('watch');
    bw.listeners.set(token, { spec, listener });
    if (spec.ids === null) bw.all.add(token);
    else for (const id of spec.ids) (bw.byId.get(id) ?? bw.byId.set(id, new Set()).get(id)!).add(token);
    if (fresh) this.startSync(bw);
    // A subscriber joining while the backend is down hears so, as those before it did.
    const down = bw.told;
    if (down) queueMicrotask(() => bw!.listeners.get(token)?.listener(down));
    // New ids on a batch-reading backend: their baseline at the earliest poll the interval allows,
    // rather than at the next tick. A list has read every deployment there is: an id it did not
    // show does not exist (yet), and neither does one a batch read did not find.
    if (fresh || spec.ids?.some((id) => !this.covers(bw!, id))) this.pollSoon(bw);
    const owner = bw;
    return () => {
      owner.listeners.delete(token);
      owner.all.delete(token);
      for (const id of spec.ids ?? []) {
        const set = owner.byId.get(id);
        set?.delete(token);
        if (set && set.size === 0) owner.byId.delete(id);
      }
      if (owner.listeners.size === 0 && this.byBackend.get(spec.backend) === owner) void this.stopBackend(owner);
    };
  }

  /**
   * Backends being polled now: watchers, polls begun, polls ended, whether one is under way,
   * availability. A poll has ended once what it read is published: on the in-memory pubsub, its
   * events reach the listeners before the next turn of the event loop.
   */
  stats(): Record<string, { watches: number; polls: number; polled: number; polling: boolean; unavailable: boolean; owner: boolean }> {
    return Object.fromEntries(
      [...this.byBackend].map(([id, bw]) => [id, { watches: bw.listeners.size, polls: bw.polls, polled: bw.polled, polling: bw.polling !== null, unavailable: bw.unavailable, owner: bw.owner }]),
    );
  }

  /**
   * Polls of the backend ended since the hub started, whether it is watched now or not: a count
   * that a poll's own outcome (its last subscriber leaving on the event it published) cannot reset.
   */
  polledSinceStart(backend: string): number {
    return this.pollsEnded.get(backend) ?? 0;
  }

  /** What this instance's subscribers of the backend were told while it is down; null when it is up. */
  unavailableEvent(backend: string): UnavailableEvent | null {
    return this.byBackend.get(backend)?.told ?? null;
  }

  /**
   * A read made for a subscription (its emitCurrent states) failed on a watched backend: the
   * backend's subscribers are told it is unavailable, once, as if a poll had failed, and the
   * polls tell its recovery. Returns what they are told (null: the backend is not watched here).
   */
  noteFailure(backend: string, err: unknown): UnavailableEvent | null {
    const bw = this.byBackend.get(backend);
    if (!bw) return null;
    if (!bw.unavailable) {
      bw.unavailable = true;
      void this.publishAvailability(bw, this.unavailableOf(bw, err, this.options.intervalMs));
    }
    return bw.told ?? this.unavailableOf(bw, err, this.options.intervalMs);
  }

  /**
   * A deployment written through this gateway: every instance's subscribers hear of it at once.
   * What the mutation read back is the refresh; the next regular poll takes it from there.
   */
  observe(d: ModelDeployment): void {
    const now = this.clock.now();
    void this.publish(d, now, now, 'mutation');
  }

  /**
   * A state read by somebody else (a subscription's emitCurrent read, which began at `readAt`),
   * taken as the baseline of a deployment this hub has not read yet, so that a change before the
   * hub's own first read of it (on a batch backend, up to the shortest gap after the last poll)
   * is a transition rather than a new baseline. Tells nobody. Ignored when the hub holds a state
   * of the deployment (whatever its age), or has read what it watches since the deployment would
   * have been in that read: then a deployment it has not seen is new upstream, which its next poll
   * tells.
   */
  offerBaseline(d: ModelDeployment, readAt: number): void {
    const bw = this.byBackend.get(d.backend);
    if (!bw || bw.seen.has(d.id) || this.sinceOf(bw, d.id) !== undefined) return;
    bw.seen.set(d.id, { status: d.status, fingerprint: fingerprint(d), deployment: d, readAt, offered: true });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.byBackend.values()].map((bw) => this.stopBackend(bw)));
  }

  private publish(d: ModelDeployment, at: number, readAt: number, source: Observation['source'], absentAt?: number) {
    const observation: Observation = { type: 'observed', backend: d.backend, deployment: d, at, readAt, source, ...(absentAt !== undefined ? { absentAt } : {}) };
    return this.send(d.backend, observation);
  }

  private send(backend: string, message: BackendMessage) {
    return Promise.resolve(this.pubsub.publish(topicFor(backend), message)).catch((err) =>
      this.logger.warn({ err: { message: (err as Error).message } }, 'publishing an observation failed'),
    );
  }

  private unavailableOf(bw: BackendWatch, err: unknown, retryInMs: number): UnavailableEvent {
    return {
      type: 'unavailable',
      backend: bw.backend.id,
      code: err instanceof GatewayError ? err.code : 'UPSTREAM_ERROR',
      message: err instanceof GatewayError ? err.message : `Backend ${bw.backend.id}: poll failed`,
      retryInMs,
      at: this.clock.now(),
    };
  }

  /** One log line per change of a backend's state, wherever it was seen; every instance hears of it. */
  private publishAvailability(bw: BackendWatch, ev: UnavailableEvent | { type: 'recovered'; backend: string; at: number }) {
    if (ev.type === 'unavailable') this.logger.warn({ backend: ev.backend, code: ev.code, retryInMs: ev.retryInMs }, `backend unavailable: ${ev.message}`);
    else this.logger.info({ backend: ev.backend }, 'backend recovered');
    const message: Availability =
      ev.type === 'unavailable'
        ? { type: 'availability', backend: ev.backend, available: false, code: ev.code, message: ev.message, retryInMs: ev.retryInMs, at: ev.at }
        : { type: 'availability', backend: ev.backend, available: true, at: ev.at };
    return this.send(bw.backend.id, message);
  }

  private async stopBackend(bw: BackendWatch) {
    bw.timer?.cancel();
    bw.timer = null;
    bw.stopSync();
    this.byBackend.delete(bw.backend.id);
    if (!this.ownership.shared) return;
    await Promise.all([bw.owner ? this.ownership.release(bw.backend.id) : null, bw.announced !== null ? this.ownership.announce(bw.backend.id, null, 0) : null]);
  }

  private dispatch(bw: BackendWatch, ev: HubEvent) {
    const tokens = ev.type === 'status' || ev.type === 'change' ? [...bw.all, ...(bw.byId.get(ev.id) ?? [])] : [...bw.listeners.keys()];
    if ((ev.type === 'status' || ev.type === 'change') && tokens.length) this.options.observer?.delivered(this.clock.now() - ev.at);
    for (const token of tokens) {
      try {
        bw.listeners.get(token)?.listener(ev);
      } catch (err) {
        this.logger.error({ err }, 'subscriber listener failed');
      }
    }
  }

  /** Listens to the backend's topic once for this instance and turns observations into events. */
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
          if (done || stopped) return;
          const m = value as BackendMessage;
          if (m?.type === 'observed' && m.deployment) this.compare(bw, m);
          else if (m?.type === 'availability') this.availability(bw, m);
        }
      } catch (err) {
        this.logger.warn({ err }, 'status sync stopped');
      }
    })();
  }

  private compare(bw: BackendWatch, o: Observation) {
    let d = o.deployment;
    const { at, readAt } = o;
    const prev = bw.seen.get(d.id);
    // A poll that began before a newer observation (a mutation's, another instance's poll) may
    // show the state from before it: telling that would be a transition back and forth. In the
    // same millisecond a mutation's wins; a poll's is left to the next poll. Far older is a clock
    // that was set back, not a read in flight: taken as it comes.
    if (prev?.readAt !== undefined && o.readAt !== undefined) {
      const older = prev.readAt - o.readAt;
      if (older <= STALE_READ_MS && (older > 0 || (older === 0 && o.source !== 'mutation'))) return;
    }
    d = withKnownTags(d, prev);
    const fp = fingerprint(d);
    // Tags unknown before (a batch read's baseline) and known now are no change of them.
    const learnsTags = prev !== undefined && prev.deployment.tagsDeferred === true && !d.tagsDeferred;
    if (prev && prev.fingerprint === (learnsTags ? fingerprint({ ...d, tagsDeferred: true }) : fp)) {
      if (readAt !== undefined && (prev.readAt === undefined || readAt > prev.readAt)) prev.readAt = readAt;
      if (learnsTags) Object.assign(prev, { fingerprint: fp, deployment: d });
      return;
    }
    bw.seen.set(d.id, { status: d.status, fingerprint: fp, deployment: d, readAt, offered: false });
    let unread = false;
    if (!prev) {
      // First sight. What the first read of the backend (or of a newly watched id) shows is the
      // baseline; so is what this instance has no read of its own to set against (another
      // instance's observation before this one's first read). Seen first by a read that began
      // after one that covered it, the deployment is new upstream: news. The poller of another
      // instance says so (`absentAt`: its last read without it), and it is news here when this
      // instance was watching by then.
      const since = this.sinceOf(bw, d.id);
      const ownNews = since !== undefined && readAt !== undefined && readAt > since;
      const theirNews = o.absentAt !== undefined && o.absentAt >= bw.startedAt;
      if (!ownNews && !theirNews) {
        // A write through a gateway before this instance read the deployment: no baseline to set it
        // against, yet its subscribers must hear of it (README "Watching status").
        if (o.source !== 'mutation') return;
        unread = true;
      }
    }
    const base = { backend: bw.backend.id, id: d.id, deployment: d, previous: prev?.status ?? null, current: d.status, vendorStatus: d.vendorStatus, fingerprint: fp, at };
    // Unread before, the status may not have moved: only the change is told.
    if (prev?.status !== d.status && !unread) this.dispatch(bw, { type: 'status', ...base });
    const fields = prev ? changedFields(prev.deployment, d).filter((f) => !(learnsTags && f === 'tags')) : CHANGE_FIELDS.filter((f) => !(f === 'tags' && d.tagsDeferred));
    this.dispatch(bw, { type: 'change', ...base, changedFields: fields });
  }

  /** Another instance's (or this one's) word on the backend's availability: told once per change. */
  private availability(bw: BackendWatch, m: Availability) {
    bw.unavailable = !m.available;
    if (!m.available && !bw.told) {
      const ev: UnavailableEvent = { type: 'unavailable', backend: bw.backend.id, code: m.code ?? 'UPSTREAM_ERROR', message: m.message ?? `Backend ${bw.backend.id} is unavailable`, retryInMs: m.retryInMs ?? this.options.intervalMs, at: m.at };
      bw.told = ev;
      this.dispatch(bw, ev);
    } else if (m.available && bw.told) {
      bw.told = null;
      this.dispatch(bw, { type: 'recovered', backend: bw.backend.id, at: m.at });
    }
  }

  /** When the reads that cover the id began (see `listedSince`, `readSince`); undefined: not covered. */
  private sinceOf(bw: BackendWatch, id: string): number | undefined {
    return bw.listedSince ?? bw.readSince.get(id);
  }

  /** Records what a successful read (begun at `readAt`) covered. */
  private cover(bw: BackendWatch, covered: 'all' | string[], readAt: number) {
    if (covered === 'all') {
      bw.listedSince ??= readAt;
      bw.readSince.clear();
      return;
    }
    const next = new Map<string, number>();
    for (const id of covered) next.set(id, bw.readSince.get(id) ?? bw.listedSince ?? readAt);
    bw.readSince = next;
    bw.listedSince = null;
  }

  private get jitter(): number {
    return this.options.jitter ?? POLL_JITTER;
  }

  /** The shortest time between two polls of one backend: the interval less its jitter. */
  private get minGapMs(): number {
    return this.options.intervalMs * (1 - this.jitter);
  }

  /** Whether the id has a baseline, or a read has found it does not exist (yet). */
  private covers(bw: BackendWatch, id: string): boolean {
    return bw.seen.has(id) || this.sinceOf(bw, id) !== undefined;
  }

  /**
   * A poll as soon as the limit allows: never sooner than the shortest gap after the backend's
   * last poll (kept across watches, so subscribers coming and going cannot add polls), and never
   * while a failing backend waits for its retry.
   */
  private pollSoon(bw: BackendWatch) {
    if (this.closed || this.byBackend.get(bw.backend.id) !== bw || bw.failures > 0) return;
    if (bw.polling) {
      bw.again = true;
      return;
    }
    const now = this.clock.now();
    const due = Math.max(now, (this.lastPollAt.get(bw.backend.id) ?? -Infinity) + this.minGapMs);
    bw.nextPollAt = Math.min(bw.nextPollAt, due);
    if (bw.timer && bw.dueAt <= due) return;
    this.schedule(bw, due - now);
  }

  private schedule(bw: BackendWatch, delayMs: number) {
    if (this.closed || this.byBackend.get(bw.backend.id) !== bw) return;
    bw.timer?.cancel();
    bw.dueAt = this.clock.now() + delayMs;
    bw.timer = this.clock.setTimer(() => {
      bw.timer = null;
      if (bw.polling) {
        bw.again = true;
        return;
      }
      bw.polling = this.tick(bw).then((nextMs) => {
        bw.polling = null;
        if (nextMs === null) return;
        if (bw.again && bw.failures === 0 && bw.owner) {
          // Asked for during the poll: as soon as the limit allows, if that is sooner.
          const early = (this.lastPollAt.get(bw.backend.id) ?? 0) + this.minGapMs - this.clock.now();
          nextMs = Math.min(nextMs, Math.max(0, early));
        }
        bw.again = false;
        this.schedule(bw, nextMs);
      });
    }, delayMs);
  }

  /** How long a poll lease lasts without renewal: an owner that died is replaced within two intervals. */
  private get leaseMs(): number {
    return Math.round(this.options.intervalMs * 1.5);
  }

  /**
   * One turn of a backend's timer: tell the other instances what is watched here, take or renew
   * the poll lease, and poll when this instance owns the backend and the poll is due. Instances
   * that do not own it try again every quarter interval, so one of them takes over within two
   * intervals of the owner's death; an owner renews twice per interval, even while a
   * failing backend waits for its retry (every half interval: a busy event loop has half an
   * interval of slack before the lease lapses).
   */
  private async tick(bw: BackendWatch): Promise<number | null> {
    const id = bw.backend.id;
    if (this.ownership.shared) {
      await this.announce(bw);
      const owns = await this.ownership.claim(id, this.leaseMs);
      if (this.byBackend.get(id) !== bw) return null;
      if (!owns) {
        // Reads of its own no longer cover anything: what it took for news it now learns from the owner.
        if (bw.owner) Object.assign(bw, { listedSince: null, readSince: new Map(), lastReadAt: undefined, nextPollAt: 0 });
        bw.owner = false;
        return Math.max(5, Math.round(this.options.intervalMs / 4));
      }
      bw.owner = true;
      const renewEvery = Math.max(5, Math.round(this.options.intervalMs / 2));
      const wait = bw.nextPollAt - this.clock.now();
      if (wait > 0) return Math.min(wait, renewEvery);
      const next = await this.poll(bw);
      if (next === null) return null;
      bw.nextPollAt = this.clock.now() + next;
      return Math.min(next, renewEvery);
    }
    bw.owner = true;
    return this.poll(bw);
  }

  /** Tells the other instances what is watched here: when it changed, and once per interval. */
  private async announce(bw: BackendWatch) {
    const watching: Watching = { all: bw.all.size > 0, ids: [...bw.byId.keys()].sort() };
    const text = JSON.stringify(watching);
    const now = this.clock.now();
    if (text === bw.announced && now - bw.announcedAt < this.options.intervalMs) return;
    bw.announced = text;
    bw.announcedAt = now;
    await this.ownership.announce(bw.backend.id, watching, this.leaseMs * 2);
  }

  private nextDelay(bw: BackendWatch): number {
    const base = bw.failures === 0 ? this.options.intervalMs : Math.min(this.options.maxBackoffMs ?? 30_000, this.options.intervalMs * 2 ** bw.failures);
    const j = this.jitter;
    return Math.max(5, Math.round(base * (1 - j + this.clock.random() * 2 * j)));
  }

  /** One poll; resolves to the wait before the next one, or null when the backend is no longer watched. */
  private async poll(bw: BackendWatch): Promise<number | null> {
    bw.polls += 1;
    try {
      return await this.readAndPublish(bw);
    } finally {
      bw.polled += 1;
      this.pollsEnded.set(bw.backend.id, (this.pollsEnded.get(bw.backend.id) ?? 0) + 1);
    }
  }

  private async readAndPublish(bw: BackendWatch): Promise<number | null> {
    const readAt = this.clock.now();
    this.lastPollAt.set(bw.backend.id, readAt);
    let found: ModelDeployment[];
    let missing: string[];
    let covered: 'all' | string[];
    const started = performance.now();
    try {
      ({ found, missing, covered } = await this.read(bw));
      this.options.observer?.poll(bw.backend.id, (performance.now() - started) / 1000, true);
    } catch (err) {
      this.options.observer?.poll(bw.backend.id, (performance.now() - started) / 1000, false);
      bw.failures += 1;
      const retryInMs = this.nextDelay(bw);
      if (this.byBackend.get(bw.backend.id) !== bw) return null;
      if (!bw.unavailable) {
        bw.unavailable = true;
        // A fault of ours rather than the vendor's: its detail, once per outage like the rest.
        if (!(err instanceof GatewayError)) this.logger.error({ err, backend: bw.backend.id }, 'status poll failed');
        await this.publishAvailability(bw, this.unavailableOf(bw, err, retryInMs));
      }
      return retryInMs;
    }
    if (this.byBackend.get(bw.backend.id) !== bw) return null;
    const at = this.clock.now();
    if (bw.unavailable) {
      bw.unavailable = false;
      // Before the observations of this read: subscribers hear of the recovery, then of what changed meanwhile.
      await this.publishAvailability(bw, { type: 'recovered', backend: bw.backend.id, at });
    }
    bw.failures = 0;
    // Which deployments this read is the first to show, after reads that covered them (news).
    const absentAt = bw.lastReadAt;
    const news = new Set(found.filter((d) => !bw.seen.has(d.id) && absentAt !== undefined && this.sinceOf(bw, d.id) !== undefined).map((d) => d.id));
    bw.lastReadAt = readAt;
    // Before the observations come round: those of this read are compared against it.
    this.cover(bw, covered, readAt);
    const publishes: Promise<unknown>[] = [];
    for (const d of found) {
      const prev = bw.seen.get(d.id);
      if (prev) prev.offered = false;
      if (prev?.fingerprint !== fingerprint(withKnownTags(d, prev))) {
        publishes.push(this.publish(d, at, readAt, 'poll', news.has(d.id) ? absentAt : undefined));
        // The in-memory pubsub queues at most 1024 unread messages per subscriber: a first read of
        // a large backend is published in slices, each read by the hub before the next is sent.
        if (publishes.length % PUBLISH_SLICE === 0) await new Promise((r) => setImmediate(r));
      }
    }
    for (const id of missing) {
      // A watched deployment that no longer exists is DELETED (gone upstream means deleted, DESIGN.md).
      const last = bw.seen.get(id);
      if (last?.offered && covered === 'all') bw.seen.delete(id);
      else if (last && last.status !== 'DELETED') publishes.push(this.publish({ ...last.deployment, status: 'DELETED', statusMessage: 'no longer exists upstream' }, at, readAt, 'poll'));
    }
    await Promise.all(publishes);
    return this.nextDelay(bw);
  }

  /**
   * A batch read without tags (`tagsDeferred`) would leave a first-seen deployment's tags unknown, and a
   * later observation that carries them (a mutation's re-read) would then list `tags` among the
   * changed fields of a plain rename. One tag read for the newcomers, at first sight only, keeps
   * later polls to the one batch call.
   */
  private async withBaselineTags(bw: BackendWatch, found: ModelDeployment[], keyOf: (id: string) => unknown): Promise<ModelDeployment[]> {
    const loadTags = bw.backend.instance.loadTags?.bind(bw.backend.instance);
    // An offered baseline read without tags (not yet confirmed by a read of the hub's) learns them here too.
    const fresh = found.filter((d) => {
      const prev = bw.seen.get(d.id);
      return d.tagsDeferred && (!prev || (prev.offered && prev.deployment.tagsDeferred));
    });
    if (!loadTags || fresh.length === 0) return found;
    let tags: (string[] | Error)[];
    try {
      tags = await loadTags(fresh.map((d) => keyOf(d.id)));
    } catch (err) {
      this.logger.debug({ err, backend: bw.backend.id }, 'reading the tags of new watches failed; they stay unknown');
      return found;
    }
    const known = new Map(fresh.map((d, i) => [d.id, tags[i]] as const));
    return found.map((d) => {
      const t = known.get(d.id);
      return Array.isArray(t) ? { ...d, tags: t, tagsDeferred: false } : d;
    });
  }

  /** One upstream read for everything watched on the backend. */
  private async read(bw: BackendWatch): Promise<{ found: ModelDeployment[]; missing: string[]; covered: 'all' | string[] }> {
    await this.options.beforeRead?.(bw.backend.id);
    // What any instance watches: the owner polls for the cluster.
    const others = this.ownership.shared ? await this.ownership.others(bw.backend.id) : [];
    const idsOnly = bw.all.size === 0 && others.every((w) => !w.all);
    if (idsOnly && bw.backend.adapter.capabilities.batchGet) {
      const ids = [...new Set([...bw.byId.keys(), ...others.flatMap((w) => w.ids)])];
      const keyOf = (id: string) => bw.backend.instance.parseKey(id.slice(bw.backend.id.length + 1));
      const results = await bw.backend.instance.getMany(ids.map(keyOf));
      const found: ModelDeployment[] = [];
      const missing: string[] = [];
      results.forEach((r, i) => {
        if (r instanceof NotFoundError) missing.push(ids[i]!);
        else if (r instanceof Error) throw r;
        else found.push(r);
      });
      return { found: await this.withBaselineTags(bw, found, keyOf), missing, covered: ids };
    }
    const found = await bw.backend.instance.list({});
    const present = new Set(found.map((d) => d.id));
    const missing = [...bw.seen.keys()].filter((id) => !present.has(id));
    return { found, missing, covered: 'all' };
  }
}

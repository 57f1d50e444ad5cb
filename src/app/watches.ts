import type { ListFilter } from '../domain/adapter.js';
import type { ModelDeployment } from '../domain/deployment.js';
import { GatewayError } from '../domain/errors.js';
import { matchesFilter } from '../deployments.js';
import type { Backend } from '../domain/backend.js';
import type { GatewayRuntime } from './runtime.js';
import type { HubEvent } from '../status/events.js';
import { fingerprint, type WatchHub } from '../status/hub.js';
import { RequestBudgetError, UpstreamBudgetError } from './upstream-budget.js';
import type { Pullable, PullReader } from './pull.js';

export type WatchKind = 'status' | 'change';
/**
 * A refusal that ends one subscriber's stream (its own budget, a cap): its last event, which the
 * transport delivers as a typed GraphQL error before completing, rather than a broken stream.
 */
export interface Refusal {
  type: 'refused';
  error: GatewayError;
}

export type Emitted = HubEvent | Refusal | (Extract<HubEvent, { type: 'status' }> & { initial: true }) | (Extract<HubEvent, { type: 'change' }> & { initial: true });

/** Events a subscriber may leave unread before it is ended (it can resubscribe with emitCurrent). */
const MAX_BACKLOG = 1024;

/** Ids one subscription may watch, as for bulk operations. */
export const MAX_SUBSCRIPTION_IDS = 1000;

/** A key has as many live subscriptions as `limits.subscriptionsPerKey` allows. */
export class SubscriptionLimitError extends GatewayError {
  constructor(max: number) {
    super('RATE_LIMITED', `This API key has ${max} live subscriptions (limits.subscriptionsPerKey); end one before starting another`, {
      limit: 'subscriptionsPerKey',
      max,
    });
  }
}

/**
 * A subscriber's event stream: a plain queue rather than a Repeater, so that a push allocates no
 * promise and the stream keeps nothing of `subscribe`'s scope alive. One change goes to thousands
 * of subscribers; whatever each one costs is paid thousands of times. It can be read without a
 * promise too (src/app/pull.ts): `take` what is queued when the reader is told it is there.
 */
class Feed<T> implements AsyncIterableIterator<T>, Pullable<T> {
  private readonly queue: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private failWaiting: ((err: unknown) => void) | null = null;
  private ended = false;
  private error: unknown = null;
  /** Present states sent by emitCurrent, on top of MAX_BACKLOG: a fleet larger than it is still sent whole. */
  extra = 0;
  reader: PullReader | null = null;

  constructor(private readonly owner: { ended(): void; sent(): void }) {}

  push(value: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = null;
      resolve({ value, done: false });
      this.owner.sent();
    } else if (this.queue.length >= MAX_BACKLOG + this.extra) {
      this.fail(new GatewayError('RATE_LIMITED', `the subscriber left ${MAX_BACKLOG} events unread; subscribe again (with emitCurrent) to resume`));
    } else {
      this.queue.push(value);
      this.owner.sent();
      this.tell();
    }
  }

  take(): IteratorResult<T> | null {
    if (this.queue.length) return { value: this.queue.shift()!, done: false };
    if (!this.ended) return null;
    const err = this.error;
    this.error = null;
    if (err) throw err;
    return DONE;
  }

  ready(): boolean {
    return this.queue.length > 0 || this.ended;
  }

  /** Tells a pulling reader that a result is ready (nobody waits in next(): it would have had it). */
  private tell() {
    if (this.waiting || !this.reader) return;
    try {
      this.reader.wake();
    } catch {
      // A reader's failure is its own: the watch goes on delivering to the others.
    }
  }

  /** Ends the stream with an error, after what is already queued. */
  fail(err: unknown): void {
    if (this.ended) return;
    if (err instanceof GatewayError) {
      // Told as the last event: the subscriber reads a typed error, then the end of the stream.
      const refusal = { type: 'refused', error: err } as Refusal as T;
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = this.failWaiting = null;
        resolve({ value: refusal, done: false });
      } else this.queue.push(refusal);
      this.owner.sent();
      this.finish();
      return;
    }
    this.error = err;
    this.finish();
    if (this.failWaiting) {
      const reject = this.failWaiting;
      this.waiting = this.failWaiting = null;
      reject(err);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.ended) {
      const err = this.error;
      this.error = null;
      return err ? Promise.reject(err) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.queue.length = 0;
    this.finish();
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = this.failWaiting = null;
      resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  private finish() {
    if (this.ended) return;
    this.ended = true;
    this.owner.ended();
    this.tell();
  }
}

const DONE: IteratorResult<never> = { value: undefined, done: true };

/** Marks an id whose events reached a subscriber while its emitCurrent states were being read. */
const SENT = '\u0000sent';

/**
 * One subscriber of a shared watch. A class rather than closures: a closure made in `subscribe`
 * would keep that function's whole scope (its ids, its context) alive for the subscription's life.
 */
class Member {
  readonly feed = new Feed<Emitted>(this);
  /**
   * emitCurrent only: per id, the key of the present state sent first (the first event equal to
   * it is no news), or SENT when an event got there first.
   */
  initial: Map<string, string> | null;
  /** Reads of present states under way for this member (emitCurrent, or again after a recovery). */
  loading: number;
  /** Backends this subscriber was told are unavailable: each is told once per change. */
  down: Set<string> | null = null;
  /** emitCurrent: backends whose present states could not be read; sent when they recover. */
  owed: Set<string> | null = null;

  constructor(
    private readonly watches: Watches,
    readonly watch: SharedWatch,
    emitCurrent: boolean,
    private readonly key: string | null,
  ) {
    this.initial = emitCurrent ? new Map() : null;
    this.loading = emitCurrent ? 1 : 0;
    watch.members.add(this);
    if (key !== null) watches.perKey.set(key, (watches.perKey.get(key) ?? 0) + 1);
  }

  sent() {
    this.watches.sent += 1;
  }

  ended() {
    const w = this.watch;
    if (this.key !== null) {
      const left = (this.watches.perKey.get(this.key) ?? 1) - 1;
      if (left > 0) this.watches.perKey.set(this.key, left);
      else this.watches.perKey.delete(this.key);
    }
    w.members.delete(this);
    if (w.members.size === 0 && this.watches.byKey.get(w.key) === w) {
      this.watches.byKey.delete(w.key);
      w.unwatch.forEach((u) => u());
    }
  }
}

/**
 * Subscriptions that ask for the same thing (kind, ids, filter, backends) share one watch: one
 * hub listener per backend, one id set, and one filter test and duplicate check per event,
 * whatever the number of subscribers. Dashboards open identical subscriptions by the thousand;
 * this is the multiplexing that the hub's single poller per backend starts.
 */
interface SharedWatch {
  key: string;
  kind: WatchKind;
  watches: Watches;
  backendIds: string[];
  ids: Set<string> | null;
  filter: ListFilter;
  /** Present states of one backend read again after its recovery, for members owed them. */
  rereads: Map<string, Promise<ModelDeployment[]>>;
  wants: (d: ModelDeployment) => boolean;
  /** Whether the deployment is one this watch observes (whatever the filter says of it now). */
  covers: (d: ModelDeployment) => boolean;
  members: Set<Member>;
  /** Per id, the key of the last event delivered: two gateway instances may both see one transition. */
  delivered: Map<string, string>;
  /** Events on their way to the members, oldest first. */
  queue: Array<{ ev: HubEvent; key: string | null; members: Member[]; next: number }>;
  draining: boolean;
  unwatch: Array<() => void>;
  /**
   * emitCurrent: the present states, read once for all members and kept current by the watch's
   * own events, so a thousand subscribers joining cost one upstream read, not a thousand.
   */
  baseline: Baseline | null;
}

interface Baseline {
  /** When the read began: the states are reused for one poll interval after it. */
  startedAt: number;
  states: Map<string, ModelDeployment>;
  /** Backends whose states could not be read, with the error. */
  failed: Map<string, Error>;
  /** Until the read is done. */
  pending: Promise<Baseline> | null;
}

/** A gateway's shared watches, and its live subscriptions per API key. */
interface Watches {
  hub: WatchHub;
  runtime: GatewayRuntime;
  reader: (caller: string) => WatchReader;
  byKey: Map<string, SharedWatch>;
  perKey: Map<string, number>;
  /** Events handed to members' streams, refusals included, since the gateway started. */
  sent: number;
}

const watchesOf = new WeakMap<WatchHub, GatewayWatches>();

/** Subscribers and shared watches on the gateway whose hub this is, now. */
export function subscriptionStats(hub: WatchHub): { subscribers: number; watches: number } {
  return watchesOf.get(hub)?.stats() ?? { subscribers: 0, watches: 0 };
}

/**
 * Events handed to subscribers on the gateway whose hub this is, since it started (present states,
 * transitions, availability, refusals): each reaches its subscriber as one message.
 */
export function subscriptionEventsSent(hub: WatchHub): number {
  return watchesOf.get(hub)?.sent() ?? 0;
}

const keyOf = (kind: WatchKind, ev: { current: string; fingerprint: string }) => (kind === 'status' ? ev.current : ev.fingerprint);

/**
 * Subscribers served per turn of the event loop. One event to 10,000 subscribers is about a
 * second of work: in batches, the first subscribers hear sooner (p50 at 10,000: about 400 ms
 * instead of 700 in `npm run bench`) and polls and queries are not held up meanwhile.
 */
const BATCH = 1024;

function fanOut(w: SharedWatch, ev: HubEvent) {
  // Every change (status ones included) comes as a `change` event too: it keeps the baseline current.
  if (ev.type === 'change' && w.baseline) w.baseline.states.set(ev.id, ev.deployment);
  let key: string | null = null;
  if (ev.type === 'status' || ev.type === 'change') {
    if (ev.type !== w.kind || !w.wants(ev.deployment)) return;
    key = keyOf(w.kind, ev);
    if (w.delivered.get(ev.id) === key) return;
    w.delivered.set(ev.id, key);
  }
  // Who is there when the event happens gets it, in the order the hub saw the events.
  w.queue.push({ ev, key, members: [...w.members], next: 0 });
  if (!w.draining) drain(w);
}

function drain(w: SharedWatch) {
  w.draining = true;
  let budget = BATCH;
  while (w.queue.length) {
    const d = w.queue[0]!;
    while (d.next < d.members.length) {
      if (budget-- === 0) {
        setImmediate(drain, w);
        return;
      }
      deliver(d.members[d.next++]!, d.ev, d.key);
    }
    w.queue.shift();
  }
  w.draining = false;
}

function deliver(m: Member, ev: HubEvent, key: string | null) {
  if (ev.type === 'unavailable') {
    if (m.down?.has(ev.backend)) return;
    (m.down ??= new Set()).add(ev.backend);
  } else if (ev.type === 'recovered') {
    if (!m.down?.delete(ev.backend)) return;
    m.feed.push(ev);
    if (m.owed?.delete(ev.backend)) void sendOwed(m, ev.backend);
    return;
  }
  const initial = m.initial;
  if (initial && key !== null && 'id' in ev) {
    if (m.loading > 0) initial.set(ev.id, SENT);
    else {
      const sent = initial.get(ev.id);
      if (sent !== undefined) {
        initial.delete(ev.id);
        if (initial.size === 0) m.initial = null;
        if (sent === key) return;
      }
    }
  }
  m.feed.push(ev);
}

/** What reads present states for a watch: a request's loaders (src/graphql/context.ts). */
export interface WatchReader {
  readMany(ids: Iterable<string>): Promise<{ found: ModelDeployment[]; failed: Map<string, Error> }>;
  list(backend: Backend, filter: ListFilter): Promise<ModelDeployment[]>;
}

/** One subscription's wish, checked by the caller (ids resolved, scopes and backends settled). */
export interface WatchRequest {
  kind: WatchKind;
  /** Canonical ids, or null: every deployment of `backendIds` that the filter selects. */
  ids: Set<string> | null;
  filter: ListFilter;
  backendIds: string[];
  emitCurrent: boolean;
  /** Whose subscription it is: live ones are counted per API key (null without auth: no key to count by). */
  caller: string | null;
  /** Reads the present states (emitCurrent), on the subscriber's request. */
  reader: WatchReader;
}

export interface GatewayWatches {
  /** Joins (or starts) the shared watch of what the request asks for; the stream of its events. */
  open(request: WatchRequest): AsyncIterableIterator<Emitted>;
  stats(): { subscribers: number; watches: number };
  /** Events handed to subscribers since the gateway started. */
  sent(): number;
}

export interface WatchesOptions {
  runtime: GatewayRuntime;
  hub: WatchHub;
  /** Reads for a watch itself (states owed after a recovery), paid by `caller`. */
  reader(caller: string): WatchReader;
}

/**
 * The subscriptions of one gateway: shared watches over the hub, their members, the present
 * states they are sent, and the caps on them. Knows nothing of GraphQL.
 */
export function createWatches(options: WatchesOptions): GatewayWatches {
  const { runtime, hub } = options;
  const watches: Watches = { hub, runtime, reader: options.reader, byKey: new Map(), perKey: new Map(), sent: 0 };
  // A write through this gateway is in every baseline at once, before its event comes round
  // the pubsub: a subscriber who joins right after the mutation answered sees it.
  runtime.onPublished((d) => {
    for (const w of watches.byKey.values()) if (w.baseline && w.covers(d)) w.baseline.states.set(d.id, d);
  });
  const api: GatewayWatches = {
    open(request) {
      const max = runtime.config.limits.subscriptionsPerKey;
      if (request.caller !== null && (watches.perKey.get(request.caller) ?? 0) >= max) throw new SubscriptionLimitError(max);
      const { kind, ids, filter, backendIds } = request;
      const key = JSON.stringify([kind, ids ? [...ids].sort() : null, filter, backendIds]);
      const watch = watches.byKey.get(key) ?? startWatch(watches, key, kind, ids, filter, backendIds);
      const member = new Member(watches, watch, request.emitCurrent, request.caller);
      // Joining while a backend is down: told so at once, as those before were.
      for (const b of backendIds) {
        const down = hub.unavailableEvent(b);
        if (down) deliver(member, down, null);
      }
      if (request.emitCurrent) void sendCurrent(member, watch, request.reader);
      return member.feed;
    },
    stats() {
      const all = [...watches.byKey.values()];
      return { subscribers: all.reduce((n, w) => n + w.members.size, 0), watches: all.length };
    },
    sent: () => watches.sent,
  };
  watchesOf.set(hub, api);
  return api;
}

function startWatch(watches: Watches, key: string, kind: WatchKind, ids: Set<string> | null, filter: ListFilter, backendIds: string[]): SharedWatch {
  const watch: SharedWatch = {
    key,
    kind,
    watches,
    backendIds,
    ids,
    filter,
    rereads: new Map(),
    // Statuses select the transitions: an event is delivered when the deployment enters one of them.
    wants: (d) => (!ids || ids.has(d.id)) && matchesFilter(d, filter),
    covers: (d) => (ids ? ids.has(d.id) : backendIds.includes(d.backend)),
    members: new Set(),
    delivered: new Map(),
    queue: [],
    draining: false,
    unwatch: [],
    baseline: null,
  };
  watches.byKey.set(key, watch);
  watch.unwatch = backendIds.map((b) => watches.hub.watch({ backend: b, ids: ids ? [...ids].filter((id) => id.startsWith(`${b}:`)) : null }, (ev) => fanOut(watch, ev)));
  return watch;
}

/** Present states of the watch's ids, or of its filter's deployments, with the backends that failed. */
async function readCurrent(w: SharedWatch, reader: WatchReader, only?: string): Promise<{ found: ModelDeployment[]; failed: Map<string, Error> }> {
  if (w.ids) return reader.readMany(only ? [...w.ids].filter((id) => id.startsWith(`${only}:`)) : w.ids);
  const found: ModelDeployment[] = [];
  const failed = new Map<string, Error>();
  const backends = (only ? [only] : w.backendIds).map((id) => w.watches.runtime.backends.get(id)).filter((b): b is Backend => b !== undefined);
  await Promise.all(
    backends.map((b) =>
      reader.list(b, w.filter).then(
        (items) => found.push(...items.filter((d) => matchesFilter(d, w.filter))),
        (err: Error) => failed.set(b.id, err),
      ),
    ),
  );
  return { found, failed };
}

/** The watch's present states: a read shared by every member that joins while it runs or soon after. */
function baselineOf(w: SharedWatch, reader: WatchReader): Baseline | Promise<Baseline> {
  const hub = w.watches.hub;
  const now = hub.clock.now();
  const b = w.baseline;
  if (b && (b.pending || now - b.startedAt < w.watches.runtime.config.status.pollIntervalMs)) return b.pending ?? b;
  const fresh: Baseline = { startedAt: now, states: new Map(), failed: new Map(), pending: null };
  fresh.pending = (async () => {
    const { found, failed } = await readCurrent(w, reader);
    fresh.failed = failed;
    for (const d of found) {
      // An event that came during the read is newer than what the read saw.
      if (fresh.states.has(d.id)) continue;
      fresh.states.set(d.id, d);
      // The hub's baseline too, where it has none yet (a batch backend reads new ids at the
      // earliest poll the interval allows): a change before that poll is still a transition.
      hub.offerBaseline(d, now);
    }
    return fresh;
  })();
  fresh.pending.then(
    () => (fresh.pending = null),
    () => {
      if (w.baseline === fresh) w.baseline = null;
    },
  );
  w.baseline = fresh;
  return fresh.pending;
}

/** Sends a member the present states it has not had an event for, as `initial` events. */
function sendStates(w: SharedWatch, member: Member, states: Iterable<ModelDeployment>) {
  // Named ids are sent whatever their status; a filter's statuses select the deployments.
  const shown = w.ids ? { ...w.filter, statuses: undefined } : w.filter;
  const at = w.watches.hub.clock.now();
  const initial = (member.initial ??= new Map());
  for (const d of states) {
    if (initial.has(d.id)) continue;
    const fp = fingerprint(d);
    initial.set(d.id, w.kind === 'status' ? d.status : fp);
    const base = { backend: d.backend, id: d.id, deployment: d, previous: null, current: d.status, vendorStatus: d.vendorStatus, fingerprint: fp, at, initial: true as const };
    if (matchesFilter(d, shown)) member.feed.push(w.kind === 'status' ? { type: 'status', ...base } : { type: 'change', ...base, changedFields: [] });
  }
}

/**
 * Backends whose states could not be read: the subscriber hears they are unavailable (once, with
 * every subscriber of theirs) and gets their states when they recover; the other backends' states
 * and events flow on. A caller over its own budget is refused, and nobody else hears of it.
 */
function owe(member: Member, failed: Map<string, Error>) {
  for (const [backend, err] of failed) {
    if (err instanceof UpstreamBudgetError || err instanceof RequestBudgetError) throw err;
    const ev = member.watch.watches.hub.noteFailure(backend, err);
    if (!ev) continue;
    (member.owed ??= new Set()).add(backend);
    deliver(member, ev, null);
  }
}

async function sendCurrent(member: Member, watch: SharedWatch, reader: WatchReader) {
  try {
    const { states, failed } = await baselineOf(watch, reader);
    owe(member, failed);
    member.feed.extra += states.size;
    sendStates(watch, member, states.values());
  } catch (err) {
    member.feed.fail(err);
  } finally {
    member.loading -= 1;
    if (member.loading === 0 && member.initial?.size === 0) member.initial = null;
  }
}

/** After a recovery: the states of the backend a member was owed, read once per watch. */
async function sendOwed(member: Member, backend: string) {
  const w = member.watch;
  let read = w.rereads.get(backend);
  if (!read) {
    read = readCurrent(w, w.watches.reader(`watch:${w.key}`), backend).then(({ found, failed }) => {
      const err = failed.get(backend);
      if (err) throw err;
      return found;
    });
    w.rereads.set(backend, read);
    const forget = () => w.rereads.get(backend) === read && w.rereads.delete(backend);
    read.then(forget, forget);
  }
  member.loading += 1;
  try {
    const states = await read;
    member.feed.extra += states.length;
    sendStates(w, member, states);
  } catch (err) {
    try {
      owe(member, new Map([[backend, err as Error]]));
    } catch (refused) {
      member.feed.fail(refused);
    }
  } finally {
    member.loading -= 1;
  }
}

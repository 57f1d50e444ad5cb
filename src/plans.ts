import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from './domain/clock.js';
import { storeUnavailable } from './app/store-errors.js';
import {
  ConflictError,
  ForbiddenError,
  GatewayError,
  NotFoundError,
  UnsupportedFieldError,
  UpstreamError,
  ValidationError,
  type UpstreamErrorInit,
} from './domain/errors.js';
import type { FieldChange, PlannedRequest } from './domain/patch.js';
import type { GatewayRuntime } from './app/runtime.js';

/** What the dry run decided for one deployment. */
export type PlannedOutcome = 'CHANGED' | 'UNCHANGED' | 'FAILED';

export interface PlannedItem {
  id: string;
  outcome: PlannedOutcome;
  /** The per-item update input (common fields already resolved against the deployment, e.g. added tags). */
  input: Record<string, unknown> | null;
  /** The deployment's version when the plan was made; apply sends it as expectedVersion. */
  version: string | null;
  requests: PlannedRequest[];
  changes: FieldChange[];
  /** Why the item would be refused (outcome FAILED). */
  error: StoredError | null;
}

export interface StoredPlan {
  id: string;
  createdAt: number;
  expiresAt: number;
  /** The API key that made the plan (null in open mode): only it may read or apply the plan. */
  owner: string | null;
  concurrency: number;
  items: PlannedItem[];
}

export type PlanState = 'PLANNED' | 'APPLYING' | 'APPLIED';

export interface PlanView extends StoredPlan {
  state: PlanState;
  /** Items handled so far by a running (or finished) apply. */
  done: number;
  /** Backends the apply waits on after a 429 (Retry-After), with the epoch ms it waits until. */
  waits: Record<string, number>;
}

export interface PlanStore {
  readonly kind: 'memory' | 'redis';
  save(plan: StoredPlan): Promise<void>;
  get(id: string): Promise<PlanView | null>;
  /** Marks the plan as being applied; only the first caller gets `claimed`. */
  claim(id: string): Promise<'claimed' | 'missing' | 'taken'>;
  step(id: string): Promise<void>;
  /** Records that the apply waits on `backend` until `untilMs` (a rate limit). */
  wait(id: string, backend: string, untilMs: number): Promise<void>;
  finish(id: string): Promise<void>;
  close(): Promise<void>;
}

export interface PlanStoreOptions {
  clock: Clock;
  /** How long a plan can be applied after it was made. @default 900000 (15 minutes) */
  ttlMs?: number;
  /** Plans kept in memory at most; the oldest go first. @default 1000 */
  maxPlans?: number;
}

export const DEFAULT_PLAN_TTL_MS = 15 * 60_000;

/** Unguessable: a plan id is all a caller needs to apply the writes it describes. */
export const newPlanId = () => `plan_${randomBytes(12).toString('base64url')}`;

export function createMemoryPlanStore(options: PlanStoreOptions): PlanStore {
  const plans = new Map<string, PlanView>();
  const maxPlans = options.maxPlans ?? 1000;
  const live = (id: string) => {
    const p = plans.get(id);
    if (p && p.expiresAt <= options.clock.now()) {
      plans.delete(id);
      return null;
    }
    return p ?? null;
  };
  return {
    kind: 'memory',
    async save(plan) {
      for (const [id] of plans) if (!live(id)) plans.delete(id);
      while (plans.size >= maxPlans) plans.delete(plans.keys().next().value!);
      plans.set(plan.id, { ...structuredClone(plan), state: 'PLANNED', done: 0, waits: {} });
    },
    async get(id) {
      const p = live(id);
      return p ? structuredClone(p) : null;
    },
    async claim(id) {
      const p = live(id);
      if (!p) return 'missing';
      if (p.state !== 'PLANNED') return 'taken';
      p.state = 'APPLYING';
      return 'claimed';
    },
    async step(id) {
      const p = plans.get(id);
      if (p) p.done += 1;
    },
    async wait(id, backend, untilMs) {
      const p = plans.get(id);
      if (p) p.waits[backend] = Math.max(p.waits[backend] ?? 0, untilMs);
    },
    async finish(id) {
      const p = plans.get(id);
      if (p) p.state = 'APPLIED';
    },
    async close() {
      plans.clear();
    },
  };
}

/**
 * Plans in Redis, so that a plan made through one gateway instance can be applied through
 * another. The plan itself is one immutable JSON value; its apply state is a hash beside it,
 * claimed with HSETNX so that two instances never apply one plan twice. While Redis is
 * unreachable every call fails with a typed UpstreamError naming the store (backend `redis`).
 */
export function createRedisPlanStore(redis: Redis, options: PlanStoreOptions): PlanStore {
  const key = (id: string) => `model-gateway:plan:${id}`;
  const stateKey = (id: string) => `model-gateway:plan:${id}:apply`;
  const ttlOf = (plan: Pick<StoredPlan, 'expiresAt'>) => Math.max(1, plan.expiresAt - options.clock.now());
  const call = async <T>(what: string, command: () => Promise<T>, outcome: 'NOT_SENT' | null = 'NOT_SENT'): Promise<T> => {
    try {
      return await command();
    } catch (err) {
      throw storeUnavailable(`cannot ${what} (${(err as Error).message})`, outcome);
    }
  };
  const read = async (id: string): Promise<StoredPlan | null> => {
    const text = await call('read the plan', () => redis.get(key(id)), null);
    if (!text) return null;
    const plan = decodePlan(text);
    return plan.expiresAt > options.clock.now() ? plan : null;
  };
  return {
    kind: 'redis',
    async save(plan) {
      await call('keep the plan', () => redis.set(key(plan.id), encodePlan(plan), 'PX', ttlOf(plan)), null);
    },
    async get(id) {
      const plan = await read(id);
      if (!plan) return null;
      const state = await call('read the plan state', () => redis.hgetall(stateKey(id)), null);
      const waits = Object.fromEntries(Object.entries(state).filter(([k]) => k.startsWith('wait:')).map(([k, v]) => [k.slice('wait:'.length), Number(v)]));
      return { ...plan, state: (state.state as PlanState | undefined) ?? 'PLANNED', done: Number(state.done ?? 0), waits };
    },
    async claim(id) {
      const plan = await read(id);
      if (!plan) return 'missing';
      const won = await call('claim the plan', () => redis.hsetnx(stateKey(id), 'state', 'APPLYING'));
      if (won !== 1) return 'taken';
      await call('claim the plan', () => redis.pexpire(stateKey(id), ttlOf(plan))).catch(() => {});
      return 'claimed';
    },
    async step(id) {
      await call('count the plan progress', () => redis.hincrby(stateKey(id), 'done', 1));
    },
    async wait(id, backend, untilMs) {
      await call('note a rate-limit wait', () => redis.hset(stateKey(id), `wait:${backend}`, String(untilMs)));
    },
    async finish(id) {
      await call('mark the plan applied', () => redis.hset(stateKey(id), 'state', 'APPLIED'));
    },
    // The connection belongs to the gateway's services.
    async close() {},
  };
}

/** The plan store of a running gateway: Redis when the config names one (shared by instances), else memory. */
export function plansFor(runtime: GatewayRuntime): PlanStore {
  return runtime.app.plans;
}

/** Closes the plan store of a gateway (kept for callers of the former API; the gateway closes it). */
export async function closePlans(runtime: GatewayRuntime): Promise<void> {
  await runtime.app.plans.close();
}

// --- errors and values as they are kept in a plan --------------------------------------------

/** A refused item's error, as data: enough to rebuild the same typed error when the plan is read back. */
export type StoredError =
  | { type: 'ValidationError'; message: string; issues: ValidationError['issues'] }
  | { type: 'NotFoundError'; message: string; id: string; backend: string | null }
  | { type: 'ForbiddenError'; message: string; backend: string | null; scope: string | null }
  | { type: 'ConflictError'; message: string; id: string; expectedVersion: string | null; actualVersion: string | null }
  | { type: 'UnsupportedFieldError'; message: string; field: string; vendor: string; reason: string }
  | { type: 'UpstreamError'; message: string; init: UpstreamErrorInit };

export function storeError(err: GatewayError): StoredError {
  if (err instanceof ValidationError) return { type: 'ValidationError', message: err.message, issues: err.issues };
  if (err instanceof NotFoundError) return { type: 'NotFoundError', message: err.message, id: err.id, backend: err.backend };
  if (err instanceof ForbiddenError) return { type: 'ForbiddenError', message: err.message, backend: err.backend, scope: err.scope };
  if (err instanceof ConflictError) {
    return { type: 'ConflictError', message: err.message, id: err.id, expectedVersion: err.expectedVersion, actualVersion: err.actualVersion };
  }
  if (err instanceof UnsupportedFieldError) return { type: 'UnsupportedFieldError', message: err.message, field: err.field, vendor: err.vendor, reason: err.reason };
  const u = err as UpstreamError;
  return {
    type: 'UpstreamError',
    message: err.message,
    init: {
      code: u.code as UpstreamErrorInit['code'],
      backend: u.backend,
      message: u.message.replace(`Backend ${u.backend}: `, ''),
      request: u.request ?? undefined,
      status: u.status,
      vendorCode: u.vendorCode,
      vendorMessage: u.vendorMessage,
      retryable: u.transient,
      retryAfterMs: u.retryAfterMs,
      outcome: u.outcome,
      detail: u.detail ?? undefined,
    },
  };
}

export function restoreError(e: StoredError): GatewayError {
  switch (e.type) {
    case 'ValidationError':
      return new ValidationError(e.issues, e.message);
    case 'NotFoundError':
      return new NotFoundError(e.id, e.backend, e.message);
    case 'ForbiddenError':
      return new ForbiddenError(e.message, { backend: e.backend, scope: e.scope });
    case 'ConflictError':
      return new ConflictError(e.id, e.expectedVersion, e.actualVersion, e.message);
    case 'UnsupportedFieldError':
      return new UnsupportedFieldError(e.field, e.vendor, e.reason);
    case 'UpstreamError':
      return new UpstreamError(e.init);
  }
}

// Bodies and diffs may hold bigints (byte counts); JSON keeps them as tagged strings.
const BIGINT = '$bigint';
const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? { [BIGINT]: v.toString() } : v);
const reviver = (_k: string, v: unknown) =>
  v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as Record<string, unknown>)[BIGINT] === 'string'
    ? BigInt((v as Record<string, string>)[BIGINT]!)
    : v;

export const encodePlan = (plan: StoredPlan) => JSON.stringify(plan, replacer);
export const decodePlan = (text: string) => JSON.parse(text, reviver) as StoredPlan;

/** One canonical text for a value (sorted keys, tagged bigints): equal texts mean equal plans. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (k, v) => {
    const r = replacer(k, v);
    if (r && typeof r === 'object' && !Array.isArray(r)) {
      return Object.fromEntries(Object.entries(r as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return r;
  });
}

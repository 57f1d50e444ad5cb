import type { ListFilter } from '../domain/adapter.js';
import type { ModelDeployment } from '../domain/deployment.js';
import { ConflictError, ForbiddenError, GatewayError, NotFoundError, UpstreamError, ValidationError } from '../domain/errors.js';
import { requireScope } from '../auth.js';
import { listAcrossBackends, failureError, matchesFilter, type BackendFailure } from '../deployments.js';
import {
  DEFAULT_PLAN_TTL_MS,
  canonical,
  newPlanId,
  plansFor,
  restoreError,
  storeError,
  type PlannedItem,
  type PlannedOutcome,
  type PlanView,
  type StoredPlan,
} from '../plans.js';
import type { InputFieldMap, InputRef } from '@pothos/core';
import type { GatewayBuilder } from './builder.js';
import type { GraphQLContext } from './context.js';
import { asResultError, nullIssues, runUpdate, UPDATE_RESULT_ERRORS, type registerMutations, type UpdateInputShape, type UpdateSuccess } from './mutations.js';
import type { Clock } from '../domain/clock.js';
import { toListFilter, type registerFilterInput, type registerQueries } from './queries.js';
import type { registerErrorTypes } from './errors.js';

/** One patch for many deployments; vendor blocks apply to that vendor's deployments only. */
export interface BulkPatch {
  name?: string | null;
  description?: string | null;
  tags?: string[] | null;
  addTags?: string[] | null;
  removeTags?: string[] | null;
  [vendorBlock: string]: unknown;
}

export interface BulkItem {
  id: string;
  outcome: PlannedOutcome;
  success: UpdateSuccess | null;
  error: GatewayError | null;
}

export interface BulkSummary {
  matched: number;
  changed: number;
  unchanged: number;
  failed: number;
}

export interface BulkPayload {
  dryRun: boolean;
  planId: string | null;
  expiresAt: Date | null;
  items: BulkItem[];
  summary: BulkSummary;
  failures: BackendFailure[];
}

export interface BulkOptions {
  /** Writes in flight per backend at once. @default 4 */
  concurrency?: number;
  /** Deployments one call may select. @default 1000 */
  maxItems?: number;
  /** Longest total wait on a backend's 429 Retry-After, per item, before the item is reported RATE_LIMITED. @default 120000 */
  maxRateLimitWaitMs?: number;
  planTtlMs?: number;
}

export const DEFAULT_CONCURRENCY = 4;
export const MAX_CONCURRENCY = 16;
const DEFAULT_MAX_ITEMS = 1000;
const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 120_000;
const RATE_LIMIT_ATTEMPTS = 8;

/**
 * A backend's rate-limit gate: once it answers 429, every worker of the batch on that backend
 * waits out Retry-After before its next call, rather than hammering it and failing items.
 */
class BackendGate {
  private until = 0;
  constructor(
    private readonly clock: Clock,
    readonly backend: string,
    private readonly onPause?: (untilMs: number) => void,
  ) {}
  pause(ms: number) {
    this.until = Math.max(this.until, this.clock.now() + ms);
    this.onPause?.(this.until);
  }
  /** Waits until calls may go out; refuses (NOT_SENT) when that is later than `latest`. */
  async ready(latest: number) {
    for (let wait = this.until - this.clock.now(); wait > 0; wait = this.until - this.clock.now()) {
      if (this.until > latest) {
        throw new UpstreamError({
          code: 'RATE_LIMITED',
          backend: this.backend,
          message: `rate limited: the wait it asks for ends after this item's budget of waiting; nothing was sent`,
          retryable: true,
          retryAfterMs: wait,
          outcome: 'NOT_SENT',
        });
      }
      await this.clock.sleep(wait);
    }
  }
}

/** Runs `work` again after a 429 that sent nothing (or a read), waiting as the backend asked, at most `maxWaitMs` in all. */
async function withRateLimit<T>(gate: BackendGate, clock: Clock, maxWaitMs: number, work: () => Promise<T>): Promise<T> {
  const latest = clock.now() + maxWaitMs;
  for (let attempt = 0; ; attempt++) {
    await gate.ready(latest);
    try {
      return await work();
    } catch (err) {
      const safeToRepeat = err instanceof UpstreamError && err.code === 'RATE_LIMITED' && (err.outcome === null || err.outcome === 'NOT_SENT' || err.outcome === 'NOT_APPLIED');
      if (!safeToRepeat) throw err;
      const wait = err.retryAfterMs ?? Math.min(30_000, 500 * 2 ** attempt);
      if (attempt + 1 >= RATE_LIMIT_ATTEMPTS || clock.now() + wait > latest) throw err;
      gate.pause(wait);
    }
  }
}

/** Runs one job per item, at most `concurrency` at once per backend; backends run side by side. */
async function perBackend<T, R>(
  clock: Clock,
  items: T[],
  backendOf: (item: T) => string,
  concurrency: number,
  job: (item: T, gate: BackendGate) => Promise<R>,
  onPause?: (backend: string, untilMs: number) => void,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const queues = new Map<string, number[]>();
  items.forEach((item, i) => {
    const b = backendOf(item);
    (queues.get(b) ?? queues.set(b, []).get(b)!).push(i);
  });
  await Promise.all(
    [...queues.entries()].map(async ([backend, queue]) => {
      const gate = new BackendGate(clock, backend, onPause && ((until) => onPause(backend, until)));
      let next = 0;
      const worker = async () => {
        while (next < queue.length) {
          const i = queue[next++]!;
          results[i] = await job(items[i]!, gate);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    }),
  );
  return results;
}

/** Errors that are not result-union members still fail only their item (and are logged). */
function asItemError(ctx: GraphQLContext, id: string, backend: string | null, err: unknown): GatewayError {
  return asResultError(ctx, err, backend, `update of ${id}`);
}

export function summarize(items: { outcome: PlannedOutcome }[]): BulkSummary {
  const count = (o: PlannedOutcome) => items.filter((i) => i.outcome === o).length;
  return { matched: items.length, changed: count('CHANGED'), unchanged: count('UNCHANGED'), failed: count('FAILED') };
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Checks the bulk patch itself, before anything is read. */
export function checkPatch(patch: BulkPatch, vendorBlocks: string[]): void {
  const issues: ValidationError['issues'] = nullIssues(patch, ['name', 'description', 'tags', 'addTags', 'removeTags'], vendorBlocks, ['patch']);
  if (patch.tags != null && (patch.addTags != null || patch.removeTags != null)) {
    issues.push({ path: ['patch', 'tags'], rule: 'conflict', message: 'give tags (replaces the list) or addTags/removeTags, not both' });
  }
  const both = (patch.addTags ?? []).filter((t) => (patch.removeTags ?? []).includes(t));
  if (both.length) issues.push({ path: ['patch', 'removeTags'], rule: 'conflict', message: `${both.join(', ')} both added and removed` });
  const sets = ['name', 'description', 'tags', 'addTags', 'removeTags', ...vendorBlocks].some((k) => patch[k] != null);
  if (!sets) issues.push({ path: ['patch'], rule: 'required', message: 'the patch sets no field' });
  if (issues.length) throw new ValidationError(issues);
}

/**
 * The single-update input for one deployment: fields that would not change it are left out, tag
 * additions and removals become its full new tag list, and only its own vendor's block is kept.
 * Null when nothing is left to do.
 */
export function itemInput(current: ModelDeployment, patch: BulkPatch, vendorBlocks: string[]): UpdateInputShape | null {
  const input: UpdateInputShape = { id: current.id };
  if (patch.name != null && patch.name !== current.name) input.name = patch.name;
  if (patch.description != null && patch.description !== current.description) input.description = patch.description;
  let tags: string[] | null = null;
  if (patch.tags != null) tags = [...new Set(patch.tags)];
  else if (patch.addTags != null || patch.removeTags != null) {
    const remove = new Set(patch.removeTags ?? []);
    tags = [...new Set([...current.tags, ...(patch.addTags ?? [])])].filter((t) => !remove.has(t));
  }
  if (tags && !sameList(tags, current.tags)) input.tags = tags;
  for (const vendor of vendorBlocks) if (vendor === current.vendor && patch[vendor] != null) input[vendor] = patch[vendor];
  return Object.keys(input).length > 1 ? input : null;
}

const ownerOf = (ctx: GraphQLContext) => ctx.principal?.name ?? null;

interface Target {
  /** As given, or the canonical id once resolved. */
  id: string;
  backend: string | null;
  current: ModelDeployment | null;
  error: GatewayError | null;
}

/** The deployments a bulk call selects: by ids (in the given order), by filter (ordered by id), or both. */
async function selectTargets(ctx: GraphQLContext, where: ListFilter | null, ids: readonly (string | number)[] | null, maxItems: number): Promise<{ targets: Target[]; failures: BackendFailure[] }> {
  if (!where && !ids) {
    throw new ValidationError([{ path: ['where'], rule: 'required', message: 'give where or ids: a bulk update never selects every deployment by default' }]);
  }
  const tooMany = (n: number) =>
    new ValidationError([{ path: [ids ? 'ids' : 'where'], rule: 'max_items', message: `selects ${n} deployments; at most ${maxItems} per call: narrow the selection` }]);
  if (ids) {
    const seen = new Set<string>();
    const targets: Target[] = [];
    ids.forEach((raw, i) => {
      try {
        const { backend, nativeKey } = ctx.loaders.resolveId(String(raw), `ids.${i}`);
        requireScope(ctx.principal, 'write', backend.id);
        const id = `${backend.id}:${nativeKey}`;
        if (!seen.has(id)) targets.push({ id, backend: backend.id, current: null, error: null });
        seen.add(id);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        targets.push({ id: String(raw), backend: null, current: null, error: err });
      }
    });
    if (targets.length > maxItems) throw tooMany(targets.length);
    const wanted = (d: ModelDeployment) =>
      !where ||
      ((!where.vendors?.length || where.vendors.includes(d.vendor)) && (!where.backends?.length || where.backends.includes(d.backend)) && matchesFilter(d, where));
    await Promise.all(
      targets.map(async (t) => {
        if (t.error) return;
        try {
          const d = await ctx.loaders.load(t.id);
          // A read by id may leave tags to a second call (tagsDeferred); the patch is computed from
          // the full current state, as on the --where path, or adding a tag would drop the others.
          t.current = d.tagsDeferred ? { ...d, tags: await ctx.loaders.tags(d), tagsDeferred: false } : d;
        } catch (err) {
          t.error = asItemError(ctx, t.id, t.backend, err);
        }
      }),
    );
    return { targets: targets.filter((t) => !t.current || wanted(t.current)), failures: [] };
  }
  const { items, failures } = await listAcrossBackends(ctx.runtime, where!, ctx.principal, ctx.requestId);
  if (items.length > maxItems) throw tooMany(items.length);
  for (const d of items) {
    requireScope(ctx.principal, 'write', d.backend);
    ctx.loaders.prime(d);
  }
  return { targets: items.map((d) => ({ id: d.id, backend: d.backend, current: d, error: null })), failures };
}

/**
 * `updateModelDeployments`: one patch over many deployments, each through the adapter's own
 * planUpdate/update (the single mutation's path), with a per-backend cap on calls in flight. One
 * item failing never stops the others. A dry run sends nothing and keeps the plan for
 * `applyModelDeploymentPlan`.
 */
export async function runBulkUpdate(
  ctx: GraphQLContext,
  args: { where?: Record<string, unknown> | null; ids?: readonly (string | number)[] | null; patch: BulkPatch; dryRun?: boolean | null; concurrency?: number | null },
  vendorBlocks: string[],
  options: BulkOptions = {},
): Promise<BulkPayload> {
  requireScope(ctx.principal, 'write');
  const concurrency = args.concurrency ?? options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new ValidationError([{ path: ['concurrency'], rule: 'max', message: `concurrency must be between 1 and ${MAX_CONCURRENCY}` }]);
  }
  checkPatch(args.patch, vendorBlocks);
  const dryRun = args.dryRun === true;
  const where = args.where ? toListFilter(args.where) : null;
  const { targets, failures } = await selectTargets(ctx, where, args.ids ?? null, options.maxItems ?? DEFAULT_MAX_ITEMS);
  for (const f of failures) ctx.partialErrors.push(failureError(f));
  const maxWait = options.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS;

  const clock = ctx.runtime.clock;
  const done = await perBackend(clock, targets, (t) => t.backend ?? '', concurrency, async (t, gate): Promise<BulkItem & { planned: PlannedItem }> => {
    const failed = (error: GatewayError) => ({
      id: t.id,
      outcome: 'FAILED' as const,
      success: null,
      error,
      planned: { id: t.id, outcome: 'FAILED' as const, input: null, version: t.current?.version ?? null, requests: [], changes: [], error: storeError(error) },
    });
    if (t.error || !t.current) return failed(t.error ?? new NotFoundError(t.id, t.backend));
    let current = t.current;
    if (current.tagsDeferred && (args.patch.addTags != null || args.patch.removeTags != null)) {
      // Tags the vendor keeps apart and that were not read with the deployment: read them now, or
      // refuse the item — adding to an unknown list would replace it.
      try {
        current = { ...current, tags: await ctx.loaders.tags(current), tagsDeferred: false };
      } catch (err) {
        return failed(err instanceof GatewayError ? err : new UpstreamError({ backend: current.backend, message: 'tags unknown: they could not be read' }));
      }
    }
    const input = itemInput(current, args.patch, vendorBlocks);
    if (!input) {
      const success: UpdateSuccess = { deployment: current, requests: [], changes: [], dryRun };
      return { id: t.id, outcome: 'UNCHANGED', success, error: null, planned: { id: t.id, outcome: 'UNCHANGED', input: null, version: current.version, requests: [], changes: [], error: null } };
    }
    // The input was derived from what was just read (e.g. the tag list): refuse if it moved since.
    const expectedVersion = current.version ?? undefined;
    try {
      const success = await withRateLimit(gate, clock, maxWait, () => runUpdate(ctx, { ...input, expectedVersion, dryRun }, vendorBlocks));
      const outcome: PlannedOutcome = success.requests.length ? 'CHANGED' : 'UNCHANGED';
      const { id: _id, ...kept } = input;
      return {
        id: t.id,
        outcome,
        success,
        error: null,
        planned: { id: t.id, outcome, input: outcome === 'CHANGED' ? kept : null, version: success.deployment.version, requests: success.requests, changes: success.changes, error: null },
      };
    } catch (err) {
      return failed(asItemError(ctx, t.id, t.backend, err));
    }
  });

  let planId: string | null = null;
  let expiresAt: Date | null = null;
  if (dryRun) {
    const now = ctx.runtime.clock.now();
    const plan: StoredPlan = {
      id: newPlanId(),
      createdAt: now,
      expiresAt: now + (options.planTtlMs ?? DEFAULT_PLAN_TTL_MS),
      owner: ownerOf(ctx),
      concurrency,
      items: done.map((d) => d.planned),
    };
    await plansFor(ctx.runtime).save(plan);
    planId = plan.id;
    expiresAt = new Date(plan.expiresAt);
  }
  const items = done.map(({ planned: _p, ...item }) => item);
  return { dryRun, planId, expiresAt, items, summary: summarize(items), failures };
}

/** Where a re-planned item differs from its plan, in words. */
function drift(planned: PlannedItem, now: UpdateSuccess): string {
  const before = new Map(planned.changes.map((c) => [c.field, c]));
  for (const c of now.changes) {
    const p = before.get(c.field);
    if (!p || canonical(p.before) !== canonical(c.before)) return `${c.field} is now ${canonical(c.before)}, the plan saw ${canonical(p?.before ?? null)}`;
    if (canonical(p.after) !== canonical(c.after)) return `${c.field} would now become ${canonical(c.after)}, the plan showed ${canonical(p.after)}`;
  }
  return 'the vendor requests would differ from the plan';
}

/**
 * `applyModelDeploymentPlan`: sends exactly what a dry run showed. Each item is first re-planned
 * at the version the plan saw; a deployment whose version, current values or resulting requests
 * moved since is refused with ConflictError and left as it is. Items the plan refused are
 * reported again; items it found unchanged are reported again (a ConflictError if their version
 * moved since) and not sent.
 */
export function applyPlan(ctx: GraphQLContext, planId: string, vendorBlocks: string[], options: BulkOptions = {}): Promise<BulkPayload> {
  return ctx.runtime.observability.auditedPlanApply(ctx, planId, () => applyPlanOnce(ctx, planId, vendorBlocks, options));
}

async function applyPlanOnce(ctx: GraphQLContext, planId: string, vendorBlocks: string[], options: BulkOptions): Promise<BulkPayload> {
  requireScope(ctx.principal, 'write');
  const store = plansFor(ctx.runtime);
  // Nothing is sent before the plan is read: a store that cannot be read refuses the apply as NOT_SENT.
  const plan = await store.get(planId).catch((err: unknown) => {
    throw err instanceof UpstreamError && !err.outcome ? err.withOutcome('NOT_SENT') : err;
  });
  const ttlMinutes = Math.round((options.planTtlMs ?? DEFAULT_PLAN_TTL_MS) / 60_000);
  const missing = () => new NotFoundError(planId, null, `Plan ${planId} not found: plans expire ${ttlMinutes} minutes after they are made and belong to the key that made them`);
  if (!plan || plan.owner !== ownerOf(ctx)) throw missing();
  // Plan ids are canonical `<backend>:<key>`; an id the config no longer serves fails in its own item.
  const backendOf = (item: PlannedItem) => item.id.slice(0, item.id.indexOf(':'));
  for (const item of plan.items) if (item.outcome === 'CHANGED') requireScope(ctx.principal, 'write', backendOf(item));
  const claim = await store.claim(planId);
  if (claim === 'missing') throw missing();
  if (claim === 'taken') throw new ConflictError(planId, null, null, `Plan ${planId} is already being applied or was applied: make a new plan`);
  const maxWait = options.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS;

  try {
    const clock = ctx.runtime.clock;
    const items = await perBackend(clock, plan.items, (i) => (i.outcome === 'FAILED' ? '' : backendOf(i)), plan.concurrency, async (item, gate): Promise<BulkItem> => {
      try {
        if (item.outcome === 'FAILED') return { id: item.id, outcome: 'FAILED', success: null, error: restoreError(item.error!) };
        if (item.outcome === 'UNCHANGED') {
          const deployment = await ctx.loaders.load(item.id);
          // Found as the patch asks when planned; if another writer moved it since, that no longer holds.
          if (deployment.version !== item.version) {
            throw new ConflictError(item.id, item.version, deployment.version, `Model deployment ${item.id} changed since the plan was made (the plan found it already as the patch asks): make a new plan`);
          }
          return { id: item.id, outcome: 'UNCHANGED', success: { deployment, requests: [], changes: [], dryRun: false }, error: null };
        }
        const input = { ...(item.input as Omit<UpdateInputShape, 'id'>), id: item.id, expectedVersion: item.version ?? undefined };
        // Re-planned and written under the deployment's write lock: a concurrent apply of an
        // overlapping plan (or any other write through the gateway) cannot slip in between.
        const success = await withRateLimit(gate, clock, maxWait, () =>
          runUpdate(ctx, input, vendorBlocks, (now) => {
            if (canonical(now.requests) !== canonical(item.requests) || canonical(now.changes) !== canonical(item.changes)) {
              throw new ConflictError(item.id, item.version, now.deployment.version, `Model deployment ${item.id} changed since the plan was made: ${drift(item, now)}`);
            }
          }),
        );
        return { id: item.id, outcome: 'CHANGED', success, error: null };
      } catch (err) {
        return { id: item.id, outcome: 'FAILED', success: null, error: asItemError(ctx, item.id, backendOf(item), err) };
      } finally {
        await store.step(planId).catch(() => {});
      }
    }, (backend, untilMs) => void store.wait(planId, backend, untilMs).catch(() => {}));
    return { dryRun: false, planId, expiresAt: null, items, summary: summarize(items), failures: [] };
  } finally {
    await store.finish(planId).catch((err) => ctx.runtime.logger.warn({ err, planId }, 'could not mark the plan applied'));
  }
}

// --- schema -----------------------------------------------------------------------------------

/** Types defined by other modules that this one returns too: their refs. */
export interface BulkSharedRefs {
  success: ReturnType<typeof registerMutations>['SuccessRef'];
  vendorRequest: ReturnType<typeof registerMutations>['VendorRequestRef'];
  fieldChange: ReturnType<typeof registerMutations>['FieldChangeRef'];
  backendFailure: ReturnType<typeof registerQueries>['BackendFailureRef'];
  error: ReturnType<typeof registerErrorTypes>['ErrorInterface'];
}

export function registerBulkMutations(
  builder: GatewayBuilder,
  FilterInput: ReturnType<typeof registerFilterInput>,
  vendorInputs: Map<string, InputRef<unknown>>,
  shared: BulkSharedRefs,
  options: BulkOptions = {},
): void {
  const vendorBlocks = [...vendorInputs.keys()];

  const OutcomeEnum = builder.enumType('UpdateItemOutcome', {
    description: 'What an update did (or, in a dry run, would do) to one deployment.',
    values: {
      CHANGED: { description: 'Vendor requests were (or would be) sent.' },
      UNCHANGED: { description: 'The deployment already is as the patch asks: nothing is sent.' },
      FAILED: { description: 'Refused or failed: `result` holds the typed error.' },
    } as const,
  });

  const ItemRef = builder.objectRef<BulkItem>('ModelDeploymentUpdateItem').implement({
    description: 'One deployment of a bulk update, with the same result union as `updateModelDeployment`.',
    fields: (t) => ({
      id: t.exposeID('id'),
      outcome: t.field({ type: OutcomeEnum, resolve: (i) => i.outcome }),
      result: t.field({
        type: shared.success,
        // The union of updateModelDeployment: the same errors options give the very same type.
        errors: UPDATE_RESULT_ERRORS,
        resolve: (i) => {
          // Thrown, a failed item's error is told as its member of the union (the errors plugin).
          if (i.error) throw i.error;
          if (!i.success) throw new Error(`bulk item ${i.id} has neither a result nor an error`);
          return i.success;
        },
      }),
    }),
  });

  const SummaryRef = builder.objectRef<BulkSummary>('UpdateModelDeploymentsSummary').implement({
    description: 'matched = changed + unchanged + failed. In a dry run: what would happen.',
    fields: (t) => ({
      matched: t.exposeInt('matched'),
      changed: t.exposeInt('changed'),
      unchanged: t.exposeInt('unchanged'),
      failed: t.exposeInt('failed'),
    }),
  });

  const PayloadRef = builder.objectRef<BulkPayload>('UpdateModelDeploymentsPayload').implement({
    fields: (t) => ({
      dryRun: t.exposeBoolean('dryRun'),
      planId: t.exposeID('planId', {
        nullable: true,
        description: 'Dry run: the plan to pass to applyModelDeploymentPlan. Apply: the plan applied.',
      }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'Dry run: when the plan can no longer be applied.' }),
      summary: t.field({ type: SummaryRef, resolve: (p) => p.summary }),
      items: t.field({ type: [ItemRef], resolve: (p) => p.items }),
      failures: t.field({
        type: [shared.backendFailure],
        description: 'Backends that could not be listed for `where`: their deployments are not in `items`.',
        resolve: (p) => p.failures,
      }),
    }),
  });

  const PatchInput = builder.inputType('UpdateModelDeploymentsPatch', {
    description: 'Applied to every selected deployment. A vendor block applies to deployments of that vendor only.',
    fields: (t) => {
      const fields: InputFieldMap = {
        name: t.string({ required: false }),
        description: t.string({ required: false }),
        tags: t.stringList({ required: false, description: 'Replaces the whole tag list.' }),
        addTags: t.stringList({ required: false, description: 'Added to each deployment\u2019s tags (kept in order, no duplicates).' }),
        removeTags: t.stringList({ required: false }),
      };
      for (const [vendor, input] of vendorInputs) fields[vendor] = t.field({ type: input, required: false });
      return fields;
    },
  });

  builder.mutationField('updateModelDeployments', (t) =>
    t.field({
      type: PayloadRef,
      description:
        'Applies one patch to many deployments across backends (at most `concurrency` calls in flight per backend). ' +
        'With dryRun nothing is sent: the result is the plan, kept under `planId` for applyModelDeploymentPlan.',
      args: {
        where: t.arg({ type: FilterInput, required: false, description: 'Select by filter; with ids, both must hold.' }),
        ids: t.arg.idList({ required: false }),
        patch: t.arg({ type: PatchInput, required: true }),
        dryRun: t.arg.boolean({ required: false }),
        concurrency: t.arg.int({ required: false, description: `Calls in flight per backend, 1\u2013${MAX_CONCURRENCY}. Default ${DEFAULT_CONCURRENCY}.` }),
      },
      nullable: true,
      errors: { types: [ForbiddenError, ValidationError, UpstreamError], directResult: true, union: { name: 'UpdateModelDeploymentsResult' } },
      resolve: (_root, args, ctx) =>
        runBulkUpdate(ctx, args, vendorBlocks, options).catch((err) => {
          throw asResultError(ctx, err, null, 'bulk update');
        }),
    }),
  );

  builder.mutationField('applyModelDeploymentPlan', (t) =>
    t.field({
      type: PayloadRef,
      description: 'Applies a dry run\u2019s plan exactly; items whose deployment changed since are refused with ConflictError.',
      args: { planId: t.arg.id({ required: true }) },
      nullable: true,
      errors: { types: [ForbiddenError, NotFoundError, ConflictError, UpstreamError], directResult: true, union: { name: 'ApplyModelDeploymentPlanResult' } },
      resolve: (_root, { planId }, ctx) =>
        applyPlan(ctx, String(planId), vendorBlocks, options).catch((err) => {
          throw asResultError(ctx, err, null, `apply of plan ${String(planId)}`);
        }),
    }),
  );

  const PlanStateEnum = builder.enumType('ModelDeploymentPlanState', { values: ['PLANNED', 'APPLYING', 'APPLIED'] as const });

  const PlanItemRef = builder.objectRef<PlannedItem>('ModelDeploymentPlanItem').implement({
    fields: (t) => ({
      id: t.exposeID('id'),
      outcome: t.field({ type: OutcomeEnum, resolve: (i) => i.outcome }),
      version: t.exposeString('version', { nullable: true, description: 'The version the plan saw; apply refuses the item if it moved.' }),
      requests: t.field({ type: [shared.vendorRequest], resolve: (i) => i.requests }),
      changes: t.field({ type: [shared.fieldChange], resolve: (i) => i.changes }),
      error: t.field({ type: shared.error, nullable: true, resolve: (i) => (i.error ? restoreError(i.error) : null) }),
    }),
  });

  const WaitRef = builder.objectRef<{ backend: string; until: Date; remainingMs: number }>('PlanRateLimitWait').implement({
    description: 'One backend an apply waits on: it answered 429 and asked to wait until `until`.',
    fields: (t) => ({
      backend: t.exposeString('backend'),
      until: t.expose('until', { type: 'DateTime' }),
      remainingMs: t.exposeInt('remainingMs', { description: "How long the wait still lasts, by the gateway's clock (no need to compare clocks)." }),
    }),
  });

  const PlanRef = builder.objectRef<PlanView>('ModelDeploymentPlan').implement({
    description: 'A dry run of updateModelDeployments, kept until it expires.',
    fields: (t) => ({
      id: t.exposeID('id'),
      createdAt: t.field({ type: 'DateTime', resolve: (p) => new Date(p.createdAt) }),
      expiresAt: t.field({ type: 'DateTime', resolve: (p) => new Date(p.expiresAt) }),
      state: t.field({ type: PlanStateEnum, resolve: (p) => p.state }),
      done: t.exposeInt('done', { description: 'Items handled so far by applyModelDeploymentPlan.' }),
      rateLimitWaits: t.field({
        type: [WaitRef],
        description: 'Backends the running apply is waiting on now, after a 429 with Retry-After, and until when.',
        // The same time base as the wait itself (the per-backend gate above).
        resolve: (p, _args, ctx) => {
          const now = ctx.runtime.clock.now();
          return Object.entries(p.waits ?? {})
            .filter(([, until]) => until > now)
            .map(([backend, until]) => ({ backend, until: new Date(until), remainingMs: until - now }));
        },
      }),
      summary: t.field({ type: SummaryRef, resolve: (p) => summarize(p.items) }),
      items: t.field({ type: [PlanItemRef], resolve: (p) => p.items }),
    }),
  });

  builder.queryField('modelDeploymentPlan', (t) =>
    t.field({
      type: PlanRef,
      nullable: true,
      description: 'A plan made by your key, while it lasts; `done` shows the progress of its apply.',
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_root, { id }, ctx) => {
        requireScope(ctx.principal, 'read');
        const plan = await plansFor(ctx.runtime).get(String(id));
        return plan && plan.owner === ownerOf(ctx) ? plan : null;
      },
    }),
  );
}

import type { ListFilter } from '../domain/adapter.js';
import { ValidationError } from '../domain/errors.js';
import { requireScope } from '../auth.js';
import { selectBackends } from '../deployments.js';
import { MAX_SUBSCRIPTION_IDS, type Emitted, type WatchKind } from '../app/watches.js';
import type { HubEvent } from '../status/events.js';
import type { GatewayBuilder, CoreRefs } from './builder.js';
import type { GraphQLContext } from './context.js';
import { toListFilter, type registerFilterInput } from './queries.js';

export { MAX_SUBSCRIPTION_IDS, SubscriptionLimitError, subscriptionEventsSent, subscriptionStats } from '../app/watches.js';

/**
 * A refusal that ends the stream is the field's error (typed, with its code); anything else is the
 * event. A watch of one kind never sends the other kind's events.
 */
function statusEvent(ev: Emitted) {
  if (ev.type === 'refused') throw ev.error;
  if (ev.type === 'change') throw new Error('a change event on a status subscription');
  return ev;
}
function changeEvent(ev: Emitted) {
  if (ev.type === 'refused') throw ev.error;
  if (ev.type === 'status') throw new Error('a status event on a change subscription');
  return ev;
}

/**
 * One subscription: its ids resolved and checked (at most MAX_SUBSCRIPTION_IDS), its backends
 * those the filter and the caller's key select; then the gateway's watches (src/app/watches.ts)
 * serve it.
 */
function subscribe(kind: WatchKind, args: { ids?: readonly (string | number)[] | null; filter?: Record<string, unknown> | null; emitCurrent?: boolean | null }, ctx: GraphQLContext) {
  requireScope(ctx.principal, 'read');
  const watches = ctx.runtime.watches;
  if (!watches) throw new Error('status hub is not running');
  const filter: ListFilter = toListFilter(args.filter);
  let ids: Set<string> | null = null;
  let backendIds: string[];
  if (args.ids && args.ids.length) {
    if (args.ids.length > MAX_SUBSCRIPTION_IDS) {
      throw new ValidationError([{ path: ['ids'], rule: 'max_items', message: `at most ${MAX_SUBSCRIPTION_IDS} ids per subscription (${args.ids.length} given)` }]);
    }
    ids = new Set();
    const bs = new Set<string>();
    args.ids.forEach((raw, i) => {
      const { backend, nativeKey } = ctx.loaders.resolveId(String(raw), `ids.${i}`);
      requireScope(ctx.principal, 'read', backend.id);
      ids!.add(`${backend.id}:${nativeKey}`);
      bs.add(backend.id);
    });
    backendIds = [...bs].filter((b) => selectBackends(ctx.runtime, { ...filter, backends: [b] }, ctx.principal).length);
  } else {
    backendIds = selectBackends(ctx.runtime, filter, ctx.principal).map((b) => b.id);
  }
  return watches.open({ kind, ids, filter, backendIds, emitCurrent: Boolean(args.emitCurrent), caller: ctx.principal?.name ?? null, reader: ctx.loaders });
}

export function registerSubscriptions(builder: GatewayBuilder, refs: CoreRefs, FilterInput: ReturnType<typeof registerFilterInput>): void {
  builder.subscriptionType({});

  const BackendUnavailable = builder.objectRef<Extract<HubEvent, { type: 'unavailable' }>>('BackendUnavailable').implement({
    description: 'The backend stopped answering; the gateway keeps retrying (with backoff) and will send BackendRecovered.',
    isTypeOf: (v) => (v as HubEvent).type === 'unavailable',
    fields: (t) => ({
      backend: t.exposeString('backend'),
      code: t.exposeString('code'),
      message: t.exposeString('message'),
      retryInMs: t.exposeInt('retryInMs'),
      at: t.field({ type: 'DateTime', resolve: (e) => new Date(e.at) }),
    }),
  });
  const BackendRecovered = builder.objectRef<Extract<HubEvent, { type: 'recovered' }>>('BackendRecovered').implement({
    description: 'The backend answers again; transitions resume.',
    isTypeOf: (v) => (v as HubEvent).type === 'recovered',
    fields: (t) => ({
      backend: t.exposeString('backend'),
      at: t.field({ type: 'DateTime', resolve: (e) => new Date(e.at) }),
    }),
  });

  type StatusEv = Extract<HubEvent, { type: 'status' }> & { initial?: boolean };
  type ChangeEv = Extract<HubEvent, { type: 'change' }> & { initial?: boolean };

  const Transition = builder.objectRef<StatusEv>('ModelDeploymentStatusTransition').implement({
    description: 'A deployment moved from one unified status to another (or, with emitCurrent, its present status).',
    isTypeOf: (v) => (v as HubEvent).type === 'status',
    fields: (t) => ({
      deployment: t.field({ type: refs.ModelDeploymentRef, resolve: (e) => e.deployment }),
      previous: t.field({ type: refs.DeploymentStatusEnum, nullable: true, resolve: (e) => e.previous }),
      current: t.field({ type: refs.DeploymentStatusEnum, resolve: (e) => e.current }),
      vendorStatus: t.exposeString('vendorStatus', { nullable: true }),
      at: t.field({ type: 'DateTime', resolve: (e) => new Date(e.at) }),
      initial: t.boolean({ description: 'Sent by emitCurrent: the present state, not a transition.', resolve: (e) => e.initial === true }),
    }),
  });
  const Change = builder.objectRef<ChangeEv>('ModelDeploymentChange').implement({
    description: 'A watched deployment changed (status, name, version, tags …).',
    isTypeOf: (v) => (v as HubEvent).type === 'change',
    fields: (t) => ({
      deployment: t.field({ type: refs.ModelDeploymentRef, resolve: (e) => e.deployment }),
      previous: t.field({ type: refs.DeploymentStatusEnum, nullable: true, resolve: (e) => e.previous }),
      current: t.field({ type: refs.DeploymentStatusEnum, resolve: (e) => e.current }),
      changedFields: t.exposeStringList('changedFields'),
      at: t.field({ type: 'DateTime', resolve: (e) => new Date(e.at) }),
      initial: t.boolean({ resolve: (e) => e.initial === true }),
    }),
  });

  const StatusEvent = builder.unionType('ModelDeploymentStatusEvent', { types: [Transition, BackendUnavailable, BackendRecovered] });
  const ChangeEvent = builder.unionType('ModelDeploymentChangeEvent', { types: [Change, BackendUnavailable, BackendRecovered] });

  const args = builder.args((t) => ({
    ids: t.idList({ required: false, description: 'Deployments to watch; without ids, every deployment the filter selects.' }),
    filter: t.field({ type: FilterInput, required: false, description: 'statuses select transitions into those statuses.' }),
    emitCurrent: t.boolean({ required: false, description: 'Send the present state first, so no separate query is needed.' }),
  }));

  builder.subscriptionFields((t) => ({
    modelDeploymentStatusChanged: t.field({
      type: StatusEvent,
      description: 'Status transitions of watched deployments, and backend availability.',
      args,
      subscribe: (_root, a, ctx) => subscribe('status', a, ctx),
      resolve: statusEvent,
    }),
    modelDeploymentChanged: t.field({
      type: ChangeEvent,
      description: 'Any change of watched deployments (a new NeMo version, a renamed ZStack model …), and backend availability.',
      args,
      subscribe: (_root, a, ctx) => subscribe('change', a, ctx),
      resolve: changeEvent,
    }),
  }));
}

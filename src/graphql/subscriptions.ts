import { Repeater } from 'graphql-yoga';
import type { ListFilter } from '../domain/adapter.js';
import type { ModelDeployment } from '../domain/deployment.js';
import { NotFoundError } from '../domain/errors.js';
import { requireScope } from '../auth.js';
import { matchesFilter, selectBackends, listAcrossBackends } from '../deployments.js';
import type { HubEvent } from '../status/events.js';
import { fingerprint } from '../status/hub.js';
import type { GatewayBuilder, CoreRefs } from './builder.js';
import type { GraphQLContext } from './context.js';
import { toListFilter, type registerFilterInput } from './queries.js';

type Kind = 'status' | 'change';
type Emitted = HubEvent | (Extract<HubEvent, { type: 'status' }> & { initial: true }) | (Extract<HubEvent, { type: 'change' }> & { initial: true });

/**
 * One subscription: listens on its backends' topics, keeps the watch hub polling while it
 * lives, filters to what it asked for, and drops what it has already delivered (two gateway
 * instances may both see one transition).
 */
function subscribe(kind: Kind, args: { ids?: readonly (string | number)[] | null; filter?: Record<string, unknown> | null; emitCurrent?: boolean | null }, ctx: GraphQLContext) {
  requireScope(ctx.principal, 'read');
  const hub = ctx.runtime.hub;
  if (!hub) throw new Error('status hub is not running');
  const filter: ListFilter = toListFilter(args.filter);
  let ids: Set<string> | null = null;
  let backendIds: string[];
  if (args.ids && args.ids.length) {
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
  // Statuses select the transitions: an event is delivered when the deployment enters one of them.
  const wants = (d: ModelDeployment) => (!ids || ids.has(d.id)) && matchesFilter(d, filter);

  return new Repeater<Emitted>(async (push, stop) => {
    const delivered = new Map<string, string>();
    const key = (ev: { current: string; fingerprint: string }) => (kind === 'status' ? ev.current : ev.fingerprint);
    const deliver = (ev: Emitted) => {
      if (ev.type === 'status' || ev.type === 'change') {
        if (ev.type !== kind || !wants(ev.deployment)) return;
        if (delivered.get(ev.id) === key(ev)) return;
        delivered.set(ev.id, key(ev));
      }
      void push(ev);
    };
    const unwatch = backendIds.map((b) => hub.watch({ backend: b, ids: ids ? [...ids].filter((id) => id.startsWith(`${b}:`)) : null }, deliver));
    if (args.emitCurrent) {
      try {
        const current = ids ? await Promise.all([...ids].map((id) => ctx.loaders.load(id).catch((e) => e))) : (await listAcrossBackends(ctx.runtime, filter, ctx.principal)).items;
        const at = Date.now();
        for (const d of current) {
          if (d instanceof NotFoundError) continue;
          if (d instanceof Error) throw d;
          const fp = fingerprint(d);
          const base = { backend: d.backend, id: d.id, deployment: d, previous: null, current: d.status, vendorStatus: d.vendorStatus, fingerprint: fp, at, initial: true as const };
          if (delivered.has(d.id)) continue;
          delivered.set(d.id, kind === 'status' ? d.status : fp);
          if (matchesFilter(d, { ...filter, statuses: undefined })) await push(kind === 'status' ? { type: 'status', ...base } : { type: 'change', ...base, changedFields: [] });
        }
      } catch (err) {
        stop(err);
      }
    }
    await stop;
    unwatch.forEach((u) => u());
  });
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

  const args = (t: any) => ({
    ids: t.arg.idList({ required: false, description: 'Deployments to watch; without ids, every deployment the filter selects.' }),
    filter: t.arg({ type: FilterInput, required: false, description: 'statuses select transitions into those statuses.' }),
    emitCurrent: t.arg.boolean({ required: false, description: 'Send the present state first, so no separate query is needed.' }),
  });

  builder.subscriptionFields((t) => ({
    modelDeploymentStatusChanged: t.field({
      type: StatusEvent,
      description: 'Status transitions of watched deployments, and backend availability.',
      args: args(t),
      subscribe: (_root, a, ctx) => subscribe('status', a as never, ctx) as never,
      resolve: (ev) => ev as never,
    }),
    modelDeploymentChanged: t.field({
      type: ChangeEvent,
      description: 'Any change of watched deployments (a new NeMo version, a renamed ZStack model …), and backend availability.',
      args: args(t),
      subscribe: (_root, a, ctx) => subscribe('change', a as never, ctx) as never,
      resolve: (ev) => ev as never,
    }),
  }));
}

import type { ListFilter } from '../domain/adapter.js';
import { ValidationError } from '../domain/errors.js';
import { requireScope } from '../auth.js';
import { listAcrossBackends, failureError, selectBackends } from '../deployments.js';
import type { GatewayBuilder, CoreRefs } from './builder.js';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

export const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
export function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!id || encodeCursor(id) !== cursor.replace(/=+$/, '')) {
    throw new ValidationError([{ path: ['after'], rule: 'cursor', message: 'cursor is not one this gateway gave out' }]);
  }
  return id;
}

export function registerFilterInput(builder: GatewayBuilder, refs: CoreRefs) {
  return builder.inputType('ModelDeploymentFilter', {
    description: 'Every given condition must hold; lists within a condition are alternatives (tags: all must be present).',
    fields: (t) => ({
      vendors: t.stringList({ required: false }),
      backends: t.stringList({ required: false }),
      statuses: t.field({ type: [refs.DeploymentStatusEnum], required: false }),
      tags: t.stringList({ required: false, description: 'Every tag must be present.' }),
      search: t.string({ required: false, description: 'Case-insensitive substring of name, description or native id.' }),
    }),
  });
}

export function toListFilter(input: Record<string, unknown> | null | undefined): ListFilter {
  if (!input) return {};
  const f: ListFilter = {};
  for (const k of ['vendors', 'backends', 'statuses', 'tags', 'search'] as const) {
    const v = input[k];
    if (v !== null && v !== undefined) (f as Record<string, unknown>)[k] = v;
  }
  return f;
}

export function registerQueries(builder: GatewayBuilder, refs: CoreRefs, FilterInput: ReturnType<typeof registerFilterInput>) {
  const BackendFailureRef = builder.simpleObject('BackendFailure', {
    description: 'A backend that could not answer; the other backends\u2019 items are still returned.',
    fields: (t) => ({ backend: t.string(), code: t.string(), message: t.string() }),
  });

  builder.queryFields((t) => ({
    modelDeployment: t.field({
      type: refs.ModelDeploymentRef,
      nullable: true,
      description: 'One deployment by its readable ID, e.g. `northflank:default-project/deepseek-v3-deployment`.',
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_root, { id }, ctx) => {
        const { backend } = ctx.loaders.resolveId(String(id));
        requireScope(ctx.principal, 'read', backend.id);
        return ctx.loaders.load(String(id));
      },
    }),
    node: t.field({
      type: refs.NodeRef,
      nullable: true,
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_root, { id }, ctx) => {
        const { backend } = ctx.loaders.resolveId(String(id));
        requireScope(ctx.principal, 'read', backend.id);
        return ctx.loaders.load(String(id));
      },
    }),
    modelDeployments: t.connection(
      {
        type: refs.ModelDeploymentRef,
        description: 'Deployments across every configured backend, ordered by id.',
        args: { filter: t.arg({ type: FilterInput, required: false }) },
        resolve: async (_root, args, ctx) => {
          requireScope(ctx.principal, 'read');
          const first = args.first ?? DEFAULT_PAGE;
          if (first < 0 || first > MAX_PAGE) {
            throw new ValidationError([{ path: ['first'], rule: 'max', message: `first must be between 0 and ${MAX_PAGE}` }]);
          }
          if (args.last != null || args.before != null) {
            throw new ValidationError([{ path: ['last'], rule: 'unsupported', message: 'only forward pagination (first/after) is supported' }]);
          }
          const after = args.after ? decodeCursor(args.after) : null;
          const filter = toListFilter(args.filter);
          // Registered before the first await: a modelDeployment/node field of the same query
          // waits for this list rather than reading its item upstream (and the items get primed).
          const backendIds = selectBackends(ctx.runtime, filter, ctx.principal).map((b) => b.id);
          const { items, failures } = await ctx.loaders.trackList(backendIds, listAcrossBackends(ctx.runtime, filter, ctx.principal, ctx.requestId, (b, f) => ctx.loaders.list(b, f)));
          for (const f of failures) ctx.partialErrors.push(failureError(f));
          const start = after === null ? 0 : items.findIndex((d) => d.id > after);
          const from = start === -1 ? items.length : start;
          const page = items.slice(from, from + first);
          return {
            totalCount: items.length,
            failures,
            pageInfo: {
              hasNextPage: from + first < items.length,
              hasPreviousPage: from > 0,
              startCursor: page[0] ? encodeCursor(page[0].id) : null,
              endCursor: page.at(-1) ? encodeCursor(page.at(-1)!.id) : null,
            },
            edges: page.map((node) => ({ cursor: encodeCursor(node.id), node })),
          };
        },
      },
      {
        name: 'ModelDeploymentConnection',
        fields: (c) => ({
          totalCount: c.int({ resolve: (conn) => conn.totalCount }),
          failures: c.field({
            type: [BackendFailureRef],
            description: 'Backends that failed to answer this list.',
            resolve: (conn) => conn.failures,
          }),
        }),
      },
      { name: 'ModelDeploymentEdge' },
    ),
  }));
  return { BackendFailureRef };
}

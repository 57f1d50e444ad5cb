import type { Backend } from '../domain/backend.js';
import { canSeeBackend } from '../auth.js';
import type { GatewayBuilder } from './builder.js';

/** `typeNameOf`: the GraphQL type of a vendor's deployments. */
export function registerBackendTypes(builder: GatewayBuilder, typeNameOf: (vendor: string) => string) {
  const HealthRef = builder.simpleObject('BackendHealth', {
    fields: (t) => ({
      ok: t.boolean(),
      message: t.string({ nullable: true }),
      latencyMs: t.int({ nullable: true }),
      checkedAt: t.field({ type: 'DateTime' }),
    }),
  });

  const CapabilitiesRef = builder.simpleObject('BackendCapabilities', {
    fields: (t) => ({
      updatableFields: t.stringList({ description: 'Unified fields an update can change.' }),
      batchGet: t.boolean({ description: 'Many deployments cost one upstream read.' }),
      listFilters: t.stringList({ description: 'Filters the vendor applies itself.' }),
    }),
  });

  const BackendRef = builder.objectRef<Backend>('Backend').implement({
    description: 'A configured vendor endpoint.',
    fields: (t) => ({
      id: t.exposeString('id'),
      vendor: t.exposeString('vendor'),
      deploymentType: t.string({ description: 'The GraphQL type of its deployments.', resolve: (b) => typeNameOf(b.vendor) }),
      capabilities: t.field({ type: CapabilitiesRef, resolve: (b) => b.adapter.capabilities }),
      health: t.field({
        type: HealthRef,
        description: 'Checked on demand (cached for a few seconds).',
        resolve: (b, _args, ctx) => ctx.runtime.health(b),
      }),
    }),
  });

  builder.queryField('backends', (t) =>
    t.field({
      type: [BackendRef],
      description: 'The backends this gateway serves (those your key may see).',
      resolve: (_root, _args, ctx) => [...ctx.runtime.backends.values()].filter((b) => canSeeBackend(ctx.principal, b.id)),
    }),
  );
}

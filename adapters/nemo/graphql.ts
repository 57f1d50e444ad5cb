import { vendorDeploymentType, type CoreRefs, type GatewayBuilder, type GatewayTypes } from '../../src/graphql/builder.js';
import { defineVendorGraphQL } from '../../src/graphql/vendor.js';
import type { NemoAdapterInstance } from './adapter.js';
import type { AuthContext, ModelDeployment, ModelDeploymentStatusHistoryItem } from './contract.js';
import { unifiedStatus } from './mapping.js';

interface VersionSource {
  listVersions(key: { workspace: string; name: string }, opts?: { requestId?: string }): Promise<ModelDeployment[]>;
}

const readsVersions = (instance: unknown): instance is VersionSource =>
  typeof instance === 'object' && instance !== null && 'listVersions' in instance && typeof instance.listVersions === 'function';

const date = (v: string | undefined | null) => (v ? new Date(v) : null);

/** NemoModelDeployment (every field of seed 003's ModelDeployment) and the NemoUpdateInput block. */
export function registerTypes(builder: GatewayBuilder, refs: CoreRefs) {
  const HistoryItemRef = builder.objectRef<ModelDeploymentStatusHistoryItem>('NemoStatusHistoryItem').implement({
    description: 'One recorded status change (seed 003 ModelDeploymentStatusHistoryItem).',
    fields: (t) => ({
      timestamp: t.field({ type: 'DateTime', resolve: (h) => new Date(h.timestamp) }),
      status: t.string({ description: 'NeMo word: UNKNOWN, CREATED, PENDING, READY, ERROR, DELETING, DELETED, LOST (or a newer word, as sent).', resolve: (h) => h.status }),
      unifiedStatus: t.field({ type: refs.DeploymentStatusEnum, resolve: (h) => unifiedStatus(h.status) }),
      statusMessage: t.string({ resolve: (h) => h.status_message ?? '' }),
    }),
  });

  const AuthContextRef = builder.objectRef<AuthContext>('NemoAuthContext').implement({
    description: 'The creating principal captured for delegated access (seed 003 AuthContext).',
    fields: (t) => ({
      principalId: t.string({ resolve: (a) => a.principal_id }),
      principalEmail: t.string({ nullable: true, resolve: (a) => a.principal_email ?? null }),
      principalGroups: t.stringList({ nullable: true, resolve: (a) => a.principal_groups ?? null }),
      principalOnBehalfOf: t.string({ nullable: true, resolve: (a) => a.principal_on_behalf_of ?? null }),
      principalOnBehalfOfGroups: t.stringList({ nullable: true, resolve: (a) => a.principal_on_behalf_of_groups ?? null }),
      principalOnBehalfOfEmail: t.string({ nullable: true, resolve: (a) => a.principal_on_behalf_of_email ?? null }),
    }),
  });

  /** Fields read from NeMo's body, shared by the deployment (body in `raw`) and its earlier versions. */
  function bodyFields<P>(t: PothosSchemaTypes.ObjectFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<GatewayTypes>, P>, body: (parent: P) => ModelDeployment) {
    return {
      nemoId: t.string({ nullable: true, description: 'NeMo `id` of this version.', resolve: (p) => body(p).id ?? null }),
      workspace: t.string({ resolve: (p) => body(p).workspace }),
      project: t.string({ nullable: true, description: 'URN of the project.', resolve: (p) => body(p).project ?? null }),
      entityVersion: t.field({ type: 'BigInt', description: 'NeMo `entity_version` (`version` is the same digits).', resolve: (p) => body(p).entity_version }),
      config: t.string({ description: 'The ModelDeploymentConfig name.', resolve: (p) => body(p).config }),
      configVersion: t.field({ type: 'BigInt', description: 'The ModelDeploymentConfig version.', resolve: (p) => body(p).config_version }),
      statusHistory: t.field({
        type: [HistoryItemRef],
        description: 'Status changes, oldest first.',
        resolve: (p) => body(p).status_history ?? [],
      }),
      modelProviderId: t.string({
        nullable: true,
        description: '`workspace/name` of the auto-created ModelProvider.',
        resolve: (p) => body(p).model_provider_id ?? null,
      }),
      authContext: t.field({ type: AuthContextRef, nullable: true, resolve: (p) => body(p).auth_context ?? null }),
    };
  }

  const VersionRef = builder.objectRef<ModelDeployment>('NemoModelDeploymentVersion').implement({
    description: 'An earlier, immutable version of a NeMo model deployment.',
    fields: (t) => ({
      ...bodyFields(t, (r) => r),
      name: t.string({ resolve: (r) => r.name }),
      status: t.field({ type: refs.DeploymentStatusEnum, resolve: (r) => unifiedStatus(r.status) }),
      vendorStatus: t.string({ description: 'NeMo `status` word.', resolve: (r) => r.status ?? 'UNKNOWN' }),
      statusMessage: t.string({ resolve: (r) => r.status_message ?? '' }),
      createdAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => date(r.created_at) }),
      updatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => date(r.updated_at) }),
    }),
  });

  vendorDeploymentType<ModelDeployment>(builder, refs, 'NemoModelDeployment', 'nemo', {
    description: 'A NVIDIA NeMo Platform ModelDeployment (its latest version), with every field of the models v2 API.',
    fields: (t) => ({
      ...bodyFields(t, (d) => d.raw),
      versions: t.field({
        type: [VersionRef],
        description: 'Earlier versions, newest first; read from the versions endpoint only when asked for.',
        resolve: async (d, _args, ctx) => {
          const source = ctx.runtime.backends.get(d.backend)?.instance;
          if (!readsVersions(source)) return [];
          const all = await ctx.loaders.shared(d.backend, `versions ${d.id}`, () => source.listVersions({ workspace: d.raw.workspace, name: d.raw.name }, { requestId: ctx.requestId }));
          return all.filter((v) => v.entity_version < d.raw.entity_version).sort((a, b) => b.entity_version - a.entity_version);
        },
      }),
    }),
  });

  const UpdateInput = builder.inputType('NemoUpdateInput', {
    description:
      'A NeMo update creates a new immutable version that points to a ModelDeploymentConfig (seed 003 UpdateModelDeploymentRequest).',
    fields: (t) => ({
      config: t.string({ required: true, description: 'ModelDeploymentConfig name in the deployment\u2019s workspace.' }),
      configVersion: t.field({ type: 'BigInt', required: false, description: 'A specific config version (from 1); omitted: the latest.' }),
    }),
  });

  return { updateInput: UpdateInput };
}

export const nemoGraphQL = defineVendorGraphQL({ typeName: 'NemoModelDeployment', registerTypes });

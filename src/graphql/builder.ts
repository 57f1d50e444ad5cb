import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import SchemaBuilder, { type FieldMap } from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import SimpleObjectsPlugin from '@pothos/plugin-simple-objects';
import { BigIntScalar } from './bigint.js';
import type { ModelDeployment, ModelInfo, ResourceInfo } from '../domain/deployment.js';
import { DEPLOYMENT_STATUSES } from '../domain/status.js';
import type { GraphQLContext } from './context.js';

const require = createRequire(import.meta.url);
type Scalars = Pick<typeof import('graphql-scalars'), 'DateTimeResolver' | 'JSONResolver'>;

/**
 * graphql-scalars' DateTime and JSON, the two scalars the schema uses, loaded from their own files:
 * the package's entry point (the only path its exports name) loads its ~80 other modules too,
 * which costs start-up time. When the files are not where this version keeps them, the entry point.
 */
function loadScalars(): Scalars {
  try {
    const root = dirname(require.resolve('graphql-scalars/package.json'));
    const { GraphQLDateTime } = require(join(root, 'cjs/scalars/iso-date/DateTime.js')) as { GraphQLDateTime?: Scalars['DateTimeResolver'] };
    const { GraphQLJSON } = require(join(root, 'cjs/scalars/json/JSON.js')) as { GraphQLJSON?: Scalars['JSONResolver'] };
    if (GraphQLDateTime?.name === 'DateTime' && GraphQLJSON?.name === 'JSON') return { DateTimeResolver: GraphQLDateTime, JSONResolver: GraphQLJSON };
  } catch {
    // another layout: the entry point below
  }
  return require('graphql-scalars') as typeof import('graphql-scalars');
}
const { DateTimeResolver, JSONResolver } = loadScalars();

export interface GatewayTypes {
  Context: GraphQLContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    BigInt: { Input: bigint; Output: bigint | number | string };
    ID: { Input: string; Output: string };
  };
  DefaultFieldNullability: false;
}

/**
 * Makes the schema builder with the one plugin list. One builder per schema: the built-in
 * schema is printed to schema/schema.graphql; a config that plugs in an adapter with its own
 * types gets a schema of its own, built the same way.
 */
export function createBuilder() {
  const builder = new SchemaBuilder<GatewayTypes>({
    plugins: [ErrorsPlugin, SimpleObjectsPlugin, RelayPlugin],
    relay: {
      clientMutationId: 'omit',
      cursorType: 'String',
      // IDs are readable (`<backend>:<key>`) and Query.node is ours (src/graphql/queries.ts).
      nodeQueryOptions: false,
      nodesQueryOptions: false,
    },
    errors: { defaultTypes: [] },
    defaultFieldNullability: false,
  });
  builder.queryType({});
  builder.mutationType({});
  builder.addScalarType('DateTime', DateTimeResolver);
  builder.addScalarType('JSON', JSONResolver);
  builder.addScalarType('BigInt', BigIntScalar);

  const DeploymentStatusEnum = builder.enumType('DeploymentStatus', {
    description: 'Unified status; the vendor word is in vendorStatus.',
    values: DEPLOYMENT_STATUSES,
  });

  const ModelInfoRef = builder.objectRef<ModelInfo>('ModelInfo').implement({
    description: 'The model a deployment serves, in words every vendor can fill.',
    fields: (t) => ({
      name: t.exposeString('name', { nullable: true }),
      revision: t.exposeString('revision', { nullable: true }),
      engine: t.exposeString('engine', { nullable: true }),
      path: t.exposeString('path', { nullable: true }),
    }),
  });

  const ResourceInfoRef = builder.objectRef<ResourceInfo>('ResourceInfo').implement({
    description: 'Resources a deployment asks for.',
    fields: (t) => ({
      gpuType: t.exposeString('gpuType', { nullable: true }),
      gpuCount: t.exposeInt('gpuCount', { nullable: true }),
      gpuCounts: t.exposeIntList('gpuCounts', { nullable: true }),
      gpuMemoryBytes: t.expose('gpuMemoryBytes', { type: 'BigInt', nullable: true }),
      memoryBytes: t.expose('memoryBytes', { type: 'BigInt', nullable: true }),
      storageBytes: t.expose('storageBytes', { type: 'BigInt', nullable: true }),
    }),
  });

  const NodeRef = builder.interfaceRef<{ id: string }>('Node').implement({
    description: 'An object with a globally unique, readable ID.',
    fields: (t) => ({ id: t.exposeID('id') }),
  });

  const ModelDeploymentRef = builder.interfaceRef<ModelDeployment>('ModelDeployment').implement({
    description: 'A model deployment on any backend. Vendor types add every field of their API.',
    interfaces: [NodeRef],
    fields: (t) => ({
      id: t.exposeID('id', { description: '`<backendId>:<nativeKey>`' }),
      backend: t.exposeString('backend', { description: 'The configured backend id.' }),
      vendor: t.exposeString('vendor'),
      nativeId: t.exposeString('nativeId', { description: 'The key inside the backend.' }),
      name: t.exposeString('name'),
      description: t.exposeString('description', { nullable: true }),
      tags: t.stringList({
        nullable: true,
        description: 'Null, with an error at this path naming the backend, when the vendor\u2019s tags could not be read; the rest of the deployment is still served.',
        resolve: (d, _args, ctx) => ctx.loaders.tags(d),
      }),
      status: t.field({ type: DeploymentStatusEnum, resolve: (d) => d.status }),
      vendorStatus: t.exposeString('vendorStatus', { nullable: true }),
      statusMessage: t.exposeString('statusMessage', { nullable: true }),
      version: t.exposeString('version', { nullable: true }),
      createdAt: t.expose('createdAt', { type: 'DateTime', nullable: true }),
      updatedAt: t.expose('updatedAt', { type: 'DateTime', nullable: true }),
      model: t.field({ type: ModelInfoRef, nullable: true, resolve: (d) => d.model }),
      resources: t.field({ type: ResourceInfoRef, nullable: true, resolve: (d) => d.resources }),
      raw: t.field({ type: 'JSON', description: 'The vendor payload as received.', resolve: (d) => d.raw }),
    }),
  });

  const refs = { NodeRef, ModelDeploymentRef, DeploymentStatusEnum, ModelInfoRef, ResourceInfoRef };
  return { builder, refs };
}

export type GatewayBuilder = ReturnType<typeof createBuilder>['builder'];
export type CoreRefs = ReturnType<typeof createBuilder>['refs'];

/**
 * The object type of one vendor's deployments: implements ModelDeployment (and Node) and is
 * told apart by `vendor`. Adapters call this from registerTypes and add their own fields.
 */
export function vendorDeploymentType<Raw>(
  builder: GatewayBuilder,
  refs: CoreRefs,
  typeName: string,
  vendor: string,
  options: {
    description?: string;
    fields: (t: PothosSchemaTypes.ObjectFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<GatewayTypes>, ModelDeployment<Raw>>) => FieldMap;
  },
) {
  return builder.objectRef<ModelDeployment<Raw>>(typeName).implement({
    description: options.description,
    interfaces: [refs.NodeRef, refs.ModelDeploymentRef],
    isTypeOf: (value) => (value as ModelDeployment).vendor === vendor,
    fields: options.fields,
  });
}

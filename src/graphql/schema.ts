import { InputObjectRef, type InputRef } from '@pothos/core';
import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import type { ModelDeployment } from '../domain/deployment.js';
import { createBuilder } from './builder.js';
import { registerErrorTypes } from './errors.js';
import { registerFilterInput, registerQueries } from './queries.js';
import { registerBackendTypes } from './backends.js';
import { NULLABLE_INPUT_PATHS, registerMutations } from './mutations.js';
import { registerSubscriptions } from './subscriptions.js';
import { registerBulkMutations } from './bulk.js';
import { registerViewer } from './viewer.js';
import type { VendorModule } from './vendor.js';

export const GENERIC_TYPE_NAME = 'GenericModelDeployment';

export interface BuiltSchema {
  schema: GraphQLSchema;
  /** Vendor blocks of UpdateModelDeploymentInput, in order. */
  vendorBlocks: string[];
}

/** Builds the whole schema for a set of vendors: one builder, one toSchema(). */
export function buildSchema(vendors: readonly VendorModule[]): BuiltSchema {
  const { builder, refs } = createBuilder();
  const { ErrorInterface } = registerErrorTypes(builder);
  const vendorInputs = new Map<string, InputRef<unknown>>();
  const generic = new Set<string>();
  for (const { adapter, graphql } of vendors) {
    if (graphql) {
      const out = graphql.registerTypes(builder, refs);
      if (out && out.updateInput) {
        if (!(out.updateInput instanceof InputObjectRef)) throw new Error(`vendor ${adapter.vendor}: graphql.registerTypes must return as updateInput the ref builder.inputType made`);
        vendorInputs.set(adapter.vendor, out.updateInput);
      }
      for (const path of adapter.capabilities.nullablePaths ?? []) NULLABLE_INPUT_PATHS.add([adapter.vendor, ...path].join('.'));
    } else {
      generic.add(adapter.vendor);
    }
  }
  const typeNames = new Map(vendors.map(({ adapter, graphql }) => [adapter.vendor, graphql?.typeName ?? GENERIC_TYPE_NAME]));
  builder.objectRef<ModelDeployment>(GENERIC_TYPE_NAME).implement({
    description: 'A deployment of an adapter that adds no type of its own; its payload is in `raw`.',
    interfaces: [refs.NodeRef, refs.ModelDeploymentRef],
    isTypeOf: (value) => generic.has((value as ModelDeployment).vendor),
    fields: () => ({}),
  });
  const FilterInput = registerFilterInput(builder, refs);
  const { BackendFailureRef } = registerQueries(builder, refs, FilterInput);
  registerBackendTypes(builder, (vendor) => typeNames.get(vendor) ?? GENERIC_TYPE_NAME);
  registerViewer(builder);
  const { vendorBlocks, SuccessRef, VendorRequestRef, FieldChangeRef } = registerMutations(builder, refs, vendorInputs);
  registerSubscriptions(builder, refs, FilterInput);
  registerBulkMutations(builder, FilterInput, vendorInputs, { success: SuccessRef, vendorRequest: VendorRequestRef, fieldChange: FieldChangeRef, backendFailure: BackendFailureRef, error: ErrorInterface });
  return { schema: lexicographicSortSchema(builder.toSchema()), vendorBlocks };
}

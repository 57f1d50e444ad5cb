import type { Adapter } from '../domain/adapter.js';
import type { CoreRefs, GatewayBuilder } from './builder.js';

/**
 * The GraphQL part of a vendor (adapters/<vendor>/graphql.ts): the detail type of its deployments
 * and the input type of its update block. The adapter itself (src/domain/adapter.ts) knows no schema.
 */
export interface VendorGraphQL {
  /** The GraphQL object type of the vendor's deployments; it implements ModelDeployment. */
  typeName: string;
  /** Adds the type named `typeName` and, optionally, the input type of the vendor's update block. */
  registerTypes(builder: GatewayBuilder, refs: CoreRefs): { updateInput?: unknown } | void;
}

/**
 * A vendor as the gateway serves it: its adapter and, optionally, its GraphQL part. Without one,
 * its deployments are served as GenericModelDeployment (their payload in `raw`).
 */
export interface VendorModule {
  adapter: Adapter;
  graphql?: VendorGraphQL;
}

/** Identity with a type check: `export const graphql = defineVendorGraphQL({ typeName, registerTypes })`. */
export function defineVendorGraphQL(graphql: VendorGraphQL): VendorGraphQL {
  return graphql;
}

/** A bare adapter is a vendor without a GraphQL part. */
export function asVendorModule(vendor: Adapter | VendorModule): VendorModule {
  return 'adapter' in vendor ? vendor : { adapter: vendor };
}

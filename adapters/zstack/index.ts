/** The ZStack vendor as the gateway loads it: the adapter, and the GraphQL part that serves its deployments. */
export { zstackAdapter as adapter } from './adapter.js';
export { zstackGraphQL as graphql } from './graphql.js';

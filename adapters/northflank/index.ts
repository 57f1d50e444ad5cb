/** The Northflank vendor as the gateway loads it: the adapter, and the GraphQL part that serves its deployments. */
export { northflankAdapter as adapter } from './adapter.js';
export { northflankGraphQL as graphql } from './graphql.js';

/** The NeMo vendor as the gateway loads it: the adapter, and the GraphQL part that serves its deployments. */
export { nemoAdapter as adapter } from './adapter.js';
export { nemoGraphQL as graphql } from './graphql.js';

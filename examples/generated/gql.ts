/* eslint-disable */
import * as types from './graphql.js';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query ListDeployments($filter: ModelDeploymentFilter, $first: Int, $after: String) {\n  modelDeployments(filter: $filter, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    failures {\n      backend\n      code\n      message\n    }\n    edges {\n      node {\n        id\n        vendor\n        name\n        status\n        tags\n        version\n        model {\n          name\n        }\n      }\n    }\n  }\n}": typeof types.ListDeploymentsDocument,
    "mutation TagDeployments($ids: [ID!], $addTags: [String!]!, $dryRun: Boolean) {\n  updateModelDeployments(ids: $ids, patch: {addTags: $addTags}, dryRun: $dryRun) {\n    __typename\n    ... on Error {\n      code\n      message\n    }\n    ... on UpdateModelDeploymentsPayload {\n      ...BulkResult\n    }\n  }\n}\n\nmutation ApplyPlan($planId: ID!) {\n  applyModelDeploymentPlan(planId: $planId) {\n    __typename\n    ... on Error {\n      code\n      message\n    }\n    ... on UpdateModelDeploymentsPayload {\n      ...BulkResult\n    }\n  }\n}\n\nfragment BulkResult on UpdateModelDeploymentsPayload {\n  planId\n  expiresAt\n  summary {\n    matched\n    changed\n    unchanged\n    failed\n  }\n  items {\n    id\n    outcome\n    result {\n      __typename\n      ... on Error {\n        code\n        message\n      }\n      ... on UnsupportedFieldError {\n        field\n        vendor\n      }\n      ... on UpdateModelDeploymentSuccess {\n        changes {\n          field\n          before\n          after\n        }\n        deployment {\n          id\n          tags\n          version\n        }\n      }\n    }\n  }\n}": typeof types.TagDeploymentsDocument,
};
const documents: Documents = {
    "query ListDeployments($filter: ModelDeploymentFilter, $first: Int, $after: String) {\n  modelDeployments(filter: $filter, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    failures {\n      backend\n      code\n      message\n    }\n    edges {\n      node {\n        id\n        vendor\n        name\n        status\n        tags\n        version\n        model {\n          name\n        }\n      }\n    }\n  }\n}": types.ListDeploymentsDocument,
    "mutation TagDeployments($ids: [ID!], $addTags: [String!]!, $dryRun: Boolean) {\n  updateModelDeployments(ids: $ids, patch: {addTags: $addTags}, dryRun: $dryRun) {\n    __typename\n    ... on Error {\n      code\n      message\n    }\n    ... on UpdateModelDeploymentsPayload {\n      ...BulkResult\n    }\n  }\n}\n\nmutation ApplyPlan($planId: ID!) {\n  applyModelDeploymentPlan(planId: $planId) {\n    __typename\n    ... on Error {\n      code\n      message\n    }\n    ... on UpdateModelDeploymentsPayload {\n      ...BulkResult\n    }\n  }\n}\n\nfragment BulkResult on UpdateModelDeploymentsPayload {\n  planId\n  expiresAt\n  summary {\n    matched\n    changed\n    unchanged\n    failed\n  }\n  items {\n    id\n    outcome\n    result {\n      __typename\n      ... on Error {\n        code\n        message\n      }\n      ... on UnsupportedFieldError {\n        field\n        vendor\n      }\n      ... on UpdateModelDeploymentSuccess {\n        changes {\n          field\n          before\n          after\n        }\n        deployment {\n          id\n          tags\n          version\n        }\n      }\n    }\n  }\n}": types.TagDeploymentsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ListDeployments($filter: ModelDeploymentFilter, $first: Int, $after: String) {\n  modelDeployments(filter: $filter, first: $first, after: $after) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    failures {\n      backend\n      code\n      message\n    }\n    edges {\n      node {\n        id\n        vendor\n        name\n        status\n        tags\n        version\n        model {\n          name\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').ListDeploymentsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TagDeployments($ids: [ID!], $addTags: [String!]!, $dryRun: Boolean) {\n  updateModelDeployments(ids: $ids, patch: {addTags: $addTags}, dryRun: $dryRun) {\n    __typename\n    ... on Error {\n      code\n      message\n    }\n    ... on UpdateModelDeploymentsPayload {\n      ...BulkResult\n    }\n  }\n}\n\nmutation ApplyPlan($planId: ID!) {\n  applyModelDeploymentPlan(planId: $planId) {\n    __typename\n    ... on Error {\n      code\n      message\n    }\n    ... on UpdateModelDeploymentsPayload {\n      ...BulkResult\n    }\n  }\n}\n\nfragment BulkResult on UpdateModelDeploymentsPayload {\n  planId\n  expiresAt\n  summary {\n    matched\n    changed\n    unchanged\n    failed\n  }\n  items {\n    id\n    outcome\n    result {\n      __typename\n      ... on Error {\n        code\n        message\n      }\n      ... on UnsupportedFieldError {\n        field\n        vendor\n      }\n      ... on UpdateModelDeploymentSuccess {\n        changes {\n          field\n          before\n          after\n        }\n        deployment {\n          id\n          tags\n          version\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql.js').TagDeploymentsDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

/* eslint-disable */
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A signed 64-bit integer, always written as a JSON string of decimal digits (e.g. "3000000000"). Input: such a string, or a whole number up to 2^53. */
  BigInt: { input: string | number; output: string; }
  /** A date-time string at UTC, such as 2007-12-03T10:15:30Z, compliant with the `date-time` format outlined in section 5.6 of the RFC 3339 profile of the ISO 8601 standard for representation of dates and times using the Gregorian calendar. */
  DateTime: { input: string; output: string; }
  /** The `JSON` scalar type represents JSON values as specified by [ECMA-404](http://www.ecma-international.org/publications/files/ECMA-ST/ECMA-404.pdf). */
  JSON: { input: unknown; output: unknown; }
  /** The string "auto", or a signed 64-bit integer written like BigInt: a string of digits (Northflank `maxModelLength`, seed 000). Input also takes an integer literal or a whole number up to 2^53. */
  NorthflankIntOrAuto: { input: unknown; output: unknown; }
};

/** Unified status; the vendor word is in vendorStatus. */
export type DeploymentStatus =
  | 'DELETED'
  | 'DELETING'
  | 'FAILED'
  | 'PAUSED'
  | 'PENDING'
  | 'PROVISIONING'
  | 'READY'
  | 'STARTING'
  | 'UNKNOWN';

export type FieldConfirmationState =
  /** The re-read shows the value sent. */
  | 'CONFIRMED'
  /** The re-read shows another value. */
  | 'CONTRADICTED'
  /** The vendor does not show this field (or it could not be read): not a failure. */
  | 'UNCONFIRMED';

/** Every given condition must hold; lists within a condition are alternatives (tags: all must be present). */
export type ModelDeploymentFilter = {
  backends?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Case-insensitive substring of name, description or native id. */
  search?: InputMaybe<Scalars['String']['input']>;
  statuses?: InputMaybe<Array<DeploymentStatus>>;
  /** Every tag must be present. */
  tags?: InputMaybe<Array<Scalars['String']['input']>>;
  vendors?: InputMaybe<Array<Scalars['String']['input']>>;
};

export type ModelDeploymentPlanState =
  | 'APPLIED'
  | 'APPLYING'
  | 'PLANNED';

/** A NeMo update creates a new immutable version that points to a ModelDeploymentConfig (seed 003 UpdateModelDeploymentRequest). */
export type NemoUpdateInput = {
  /** ModelDeploymentConfig name in the deployment’s workspace. */
  config: Scalars['String']['input'];
  /** A specific config version (from 1); omitted: the latest. */
  configVersion?: InputMaybe<Scalars['BigInt']['input']>;
};

export type NorthflankArchitectureInput = {
  /** aggregated. */
  type?: InputMaybe<Scalars['String']['input']>;
  workerConfig?: InputMaybe<NorthflankWorkerConfigInput>;
};

export type NorthflankBatchingConfigInput = {
  maxNumBatchedTokens?: InputMaybe<Scalars['BigInt']['input']>;
  maxNumSeqs?: InputMaybe<Scalars['BigInt']['input']>;
};

export type NorthflankGpuConfigurationInput = {
  gpuCount?: InputMaybe<Scalars['BigInt']['input']>;
  gpuType?: InputMaybe<Scalars['String']['input']>;
  timesliced?: InputMaybe<Scalars['Boolean']['input']>;
};

export type NorthflankGpuInput = {
  configuration?: InputMaybe<NorthflankGpuConfigurationInput>;
  enabled?: InputMaybe<Scalars['Boolean']['input']>;
};

export type NorthflankModelConfigurationInput = {
  architecture?: InputMaybe<NorthflankArchitectureInput>;
  /** vllm. */
  engine?: InputMaybe<Scalars['String']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  nodeConfiguration?: InputMaybe<NorthflankNodeConfigurationInput>;
  revision?: InputMaybe<Scalars['String']['input']>;
};

export type NorthflankNodeConfigurationInput = {
  gpu?: InputMaybe<NorthflankGpuInput>;
  storage?: InputMaybe<NorthflankStorageInput>;
};

export type NorthflankParallelismConfigInput = {
  expertParallelism?: InputMaybe<Scalars['BigInt']['input']>;
  pipelineParallelism?: InputMaybe<Scalars['BigInt']['input']>;
  tensorParallelism?: InputMaybe<Scalars['BigInt']['input']>;
};

/** A port (seeds 000/001). name, internalPort and protocol are required. */
export type NorthflankPortInput = {
  /** Disable the default code.run domain for public HTTP ports with custom domains. */
  disableNfDomain?: InputMaybe<Scalars['Boolean']['input']>;
  /** Domains to redirect to this port; each must be verified on the account. */
  domains?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Required. 1–65535. */
  internalPort?: InputMaybe<Scalars['Int']['input']>;
  /** Required. 1–8 characters, ^[a-zA-Z](-?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)?$. */
  name?: InputMaybe<Scalars['String']['input']>;
  /** Required. HTTP, HTTP/2, TCP or UDP. */
  protocol?: InputMaybe<Scalars['String']['input']>;
  /** Expose the port publicly. */
  public?: InputMaybe<Scalars['Boolean']['input']>;
};

export type NorthflankSequenceLengthConfigInput = {
  maxInputLength?: InputMaybe<Scalars['BigInt']['input']>;
  /** An integer or "auto". */
  maxModelLength?: InputMaybe<Scalars['NorthflankIntOrAuto']['input']>;
  maxOutputLength?: InputMaybe<Scalars['BigInt']['input']>;
};

export type NorthflankSpecInput = {
  configuration?: InputMaybe<NorthflankModelConfigurationInput>;
};

export type NorthflankStorageInput = {
  /** ReadWriteMany. */
  accessMode?: InputMaybe<Scalars['String']['input']>;
  /** Megabytes, not negative. An explicit null is sent as null (Northflank takes `number | null`). */
  shmSize?: InputMaybe<Scalars['BigInt']['input']>;
  /** 3–39 characters, ^[a-zA-Z](-?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)?$. */
  storageClass?: InputMaybe<Scalars['String']['input']>;
  /** Megabytes, not negative; sizes depend on the storage class. */
  storageSize?: InputMaybe<Scalars['BigInt']['input']>;
};

/** Northflank fields of an update (seed 000), sent as given in a partial POST body. A change of `spec` rolls the deployment out again. */
export type NorthflankUpdateInput = {
  /** Replaces the port list. */
  ports?: InputMaybe<Array<NorthflankPortInput>>;
  spec?: InputMaybe<NorthflankSpecInput>;
};

export type NorthflankWorkerConfigInput = {
  batchingConfig?: InputMaybe<NorthflankBatchingConfigInput>;
  /** auto, float16 or bfloat16. */
  dataType?: InputMaybe<Scalars['String']['input']>;
  enableAsyncScheduling?: InputMaybe<Scalars['Boolean']['input']>;
  enableChunkedPrefill?: InputMaybe<Scalars['Boolean']['input']>;
  enablePrefixCaching?: InputMaybe<Scalars['Boolean']['input']>;
  enforceEager?: InputMaybe<Scalars['Boolean']['input']>;
  gpuMemoryUtilization?: InputMaybe<Scalars['Float']['input']>;
  /** fp8, fp8_e5m2 or fp8_e4m3. */
  kvCacheDataType?: InputMaybe<Scalars['String']['input']>;
  parallelismConfig?: InputMaybe<NorthflankParallelismConfigInput>;
  /** fp8, awq, gptq or int4. */
  quantization?: InputMaybe<Scalars['String']['input']>;
  replicas?: InputMaybe<Scalars['BigInt']['input']>;
  sequenceLengthConfig?: InputMaybe<NorthflankSequenceLengthConfigInput>;
  trustRemoteCode?: InputMaybe<Scalars['Boolean']['input']>;
};

/** What an update did (or, in a dry run, would do) to one deployment. */
export type UpdateItemOutcome =
  /** Vendor requests were (or would be) sent. */
  | 'CHANGED'
  /** Refused or failed: `result` holds the typed error. */
  | 'FAILED'
  /** The deployment already is as the patch asks: nothing is sent. */
  | 'UNCHANGED';

/** Common fields, plus at most one vendor block: the one of the target deployment’s vendor. */
export type UpdateModelDeploymentInput = {
  description?: InputMaybe<Scalars['String']['input']>;
  /** Validate and return the vendor requests without sending them. */
  dryRun?: InputMaybe<Scalars['Boolean']['input']>;
  /** Compare-and-set: write only if the deployment is at this version (checked and written under one lock per deployment), else ConflictError. */
  expectedVersion?: InputMaybe<Scalars['String']['input']>;
  id: Scalars['ID']['input'];
  name?: InputMaybe<Scalars['String']['input']>;
  nemo?: InputMaybe<NemoUpdateInput>;
  northflank?: InputMaybe<NorthflankUpdateInput>;
  /** Replaces the whole tag list. */
  tags?: InputMaybe<Array<Scalars['String']['input']>>;
  zstack?: InputMaybe<ZStackUpdateInput>;
};

/** Applied to every selected deployment. A vendor block applies to deployments of that vendor only. */
export type UpdateModelDeploymentsPatch = {
  /** Added to each deployment’s tags (kept in order, no duplicates). */
  addTags?: InputMaybe<Array<Scalars['String']['input']>>;
  description?: InputMaybe<Scalars['String']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  nemo?: InputMaybe<NemoUpdateInput>;
  northflank?: InputMaybe<NorthflankUpdateInput>;
  removeTags?: InputMaybe<Array<Scalars['String']['input']>>;
  /** Replaces the whole tag list. */
  tags?: InputMaybe<Array<Scalars['String']['input']>>;
  zstack?: InputMaybe<ZStackUpdateInput>;
};

/** Whether a write that failed took effect upstream. */
export type WriteOutcome =
  | 'APPLIED'
  | 'NOT_APPLIED'
  | 'NOT_SENT'
  | 'UNKNOWN';

/** UpdateModel body fields (seed 004). Common name/description/tags map to name/description/userTags; setting both with different values is a ValidationError. */
export type ZStackUpdateInput = {
  /** Unset the default model service. */
  clearDefaultModelService?: InputMaybe<Scalars['Boolean']['input']>;
  /** The default model service UUID. */
  defaultModelServiceUuid?: InputMaybe<Scalars['String']['input']>;
  /** The detailed description of the resource. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** The GPU constraint description. */
  gpuConstraintDescription?: InputMaybe<Scalars['String']['input']>;
  /** The URL where the model is stored. */
  installPath?: InputMaybe<Scalars['String']['input']>;
  /** The model center UUID. */
  modelCenterUuid?: InputMaybe<Scalars['String']['input']>;
  /** The model classifications. */
  modelClassifications?: InputMaybe<Array<Scalars['String']['input']>>;
  /** The model ID. */
  modelId?: InputMaybe<Scalars['String']['input']>;
  /** The resource name. */
  name?: InputMaybe<Scalars['String']['input']>;
  /** The detailed parameters of the model. */
  parameters?: InputMaybe<Scalars['String']['input']>;
  /** Recommended GPU counts as a comma list, e.g. "1,2,4". */
  recommendedGpuNum?: InputMaybe<Scalars['String']['input']>;
  /** ZStack system tags. */
  systemTags?: InputMaybe<Array<Scalars['String']['input']>>;
  /** ZStack user tags (same as the common `tags`). */
  userTags?: InputMaybe<Array<Scalars['String']['input']>>;
  /** The model vendor. */
  vendor?: InputMaybe<Scalars['String']['input']>;
};

export type ListDeploymentsQueryVariables = Exact<{
  filter?: InputMaybe<ModelDeploymentFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
}>;


export type ListDeploymentsQuery = { __typename?: 'Query', modelDeployments: { __typename?: 'ModelDeploymentConnection', totalCount: number, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, failures: Array<{ __typename?: 'BackendFailure', backend: string, code: string, message: string }>, edges: Array<{ __typename?: 'ModelDeploymentEdge', node:
        | { __typename?: 'GenericModelDeployment', id: string, vendor: string, name: string, status: DeploymentStatus, tags?: Array<string> | null, version?: string | null, model?: { __typename?: 'ModelInfo', name?: string | null } | null }
        | { __typename?: 'NemoModelDeployment', id: string, vendor: string, name: string, status: DeploymentStatus, tags?: Array<string> | null, version?: string | null, model?: { __typename?: 'ModelInfo', name?: string | null } | null }
        | { __typename?: 'NorthflankModelDeployment', id: string, vendor: string, name: string, status: DeploymentStatus, tags?: Array<string> | null, version?: string | null, model?: { __typename?: 'ModelInfo', name?: string | null } | null }
        | { __typename?: 'ZStackModel', id: string, vendor: string, name: string, status: DeploymentStatus, tags?: Array<string> | null, version?: string | null, model?: { __typename?: 'ModelInfo', name?: string | null } | null }
       }> } };

export type TagDeploymentsMutationVariables = Exact<{
  ids?: InputMaybe<Array<Scalars['ID']['input']> | Scalars['ID']['input']>;
  addTags: Array<Scalars['String']['input']> | Scalars['String']['input'];
  dryRun?: InputMaybe<Scalars['Boolean']['input']>;
}>;


export type TagDeploymentsMutation = { __typename?: 'Mutation', updateModelDeployments?:
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'UpdateModelDeploymentsPayload', planId?: string | null, expiresAt?: string | null, summary: { __typename?: 'UpdateModelDeploymentsSummary', matched: number, changed: number, unchanged: number, failed: number }, items: Array<{ __typename?: 'ModelDeploymentUpdateItem', id: string, outcome: UpdateItemOutcome, result:
          | { __typename: 'ConflictError', code: string, message: string }
          | { __typename: 'ForbiddenError', code: string, message: string }
          | { __typename: 'NotFoundError', code: string, message: string }
          | { __typename: 'UnsupportedFieldError', code: string, message: string, field: string, vendor: string }
          | { __typename: 'UpdateModelDeploymentSuccess', changes: Array<{ __typename?: 'FieldChange', field: string, before?: unknown | null, after?: unknown | null }>, deployment:
              | { __typename?: 'GenericModelDeployment', id: string, tags?: Array<string> | null, version?: string | null }
              | { __typename?: 'NemoModelDeployment', id: string, tags?: Array<string> | null, version?: string | null }
              | { __typename?: 'NorthflankModelDeployment', id: string, tags?: Array<string> | null, version?: string | null }
              | { __typename?: 'ZStackModel', id: string, tags?: Array<string> | null, version?: string | null }
             }
          | { __typename: 'UpstreamError', code: string, message: string }
          | { __typename: 'ValidationError', code: string, message: string }
         }> }
    | { __typename: 'UpstreamError', code: string, message: string }
    | { __typename: 'ValidationError', code: string, message: string }
   | null };

export type ApplyPlanMutationVariables = Exact<{
  planId: Scalars['ID']['input'];
}>;


export type ApplyPlanMutation = { __typename?: 'Mutation', applyModelDeploymentPlan?:
    | { __typename: 'ConflictError', code: string, message: string }
    | { __typename: 'ForbiddenError', code: string, message: string }
    | { __typename: 'NotFoundError', code: string, message: string }
    | { __typename: 'UpdateModelDeploymentsPayload', planId?: string | null, expiresAt?: string | null, summary: { __typename?: 'UpdateModelDeploymentsSummary', matched: number, changed: number, unchanged: number, failed: number }, items: Array<{ __typename?: 'ModelDeploymentUpdateItem', id: string, outcome: UpdateItemOutcome, result:
          | { __typename: 'ConflictError', code: string, message: string }
          | { __typename: 'ForbiddenError', code: string, message: string }
          | { __typename: 'NotFoundError', code: string, message: string }
          | { __typename: 'UnsupportedFieldError', code: string, message: string, field: string, vendor: string }
          | { __typename: 'UpdateModelDeploymentSuccess', changes: Array<{ __typename?: 'FieldChange', field: string, before?: unknown | null, after?: unknown | null }>, deployment:
              | { __typename?: 'GenericModelDeployment', id: string, tags?: Array<string> | null, version?: string | null }
              | { __typename?: 'NemoModelDeployment', id: string, tags?: Array<string> | null, version?: string | null }
              | { __typename?: 'NorthflankModelDeployment', id: string, tags?: Array<string> | null, version?: string | null }
              | { __typename?: 'ZStackModel', id: string, tags?: Array<string> | null, version?: string | null }
             }
          | { __typename: 'UpstreamError', code: string, message: string }
          | { __typename: 'ValidationError', code: string, message: string }
         }> }
    | { __typename: 'UpstreamError', code: string, message: string }
   | null };

export type BulkResultFragment = { __typename?: 'UpdateModelDeploymentsPayload', planId?: string | null, expiresAt?: string | null, summary: { __typename?: 'UpdateModelDeploymentsSummary', matched: number, changed: number, unchanged: number, failed: number }, items: Array<{ __typename?: 'ModelDeploymentUpdateItem', id: string, outcome: UpdateItemOutcome, result:
      | { __typename: 'ConflictError', code: string, message: string }
      | { __typename: 'ForbiddenError', code: string, message: string }
      | { __typename: 'NotFoundError', code: string, message: string }
      | { __typename: 'UnsupportedFieldError', code: string, message: string, field: string, vendor: string }
      | { __typename: 'UpdateModelDeploymentSuccess', changes: Array<{ __typename?: 'FieldChange', field: string, before?: unknown | null, after?: unknown | null }>, deployment:
          | { __typename?: 'GenericModelDeployment', id: string, tags?: Array<string> | null, version?: string | null }
          | { __typename?: 'NemoModelDeployment', id: string, tags?: Array<string> | null, version?: string | null }
          | { __typename?: 'NorthflankModelDeployment', id: string, tags?: Array<string> | null, version?: string | null }
          | { __typename?: 'ZStackModel', id: string, tags?: Array<string> | null, version?: string | null }
         }
      | { __typename: 'UpstreamError', code: string, message: string }
      | { __typename: 'ValidationError', code: string, message: string }
     }> };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const BulkResultFragmentDoc = new TypedDocumentString(`
    fragment BulkResult on UpdateModelDeploymentsPayload {
  planId
  expiresAt
  summary {
    matched
    changed
    unchanged
    failed
  }
  items {
    id
    outcome
    result {
      __typename
      ... on Error {
        code
        message
      }
      ... on UnsupportedFieldError {
        field
        vendor
      }
      ... on UpdateModelDeploymentSuccess {
        changes {
          field
          before
          after
        }
        deployment {
          id
          tags
          version
        }
      }
    }
  }
}
    `, {"fragmentName":"BulkResult"}) as unknown as TypedDocumentString<BulkResultFragment, unknown>;
export const ListDeploymentsDocument = new TypedDocumentString(`
    query ListDeployments($filter: ModelDeploymentFilter, $first: Int, $after: String) {
  modelDeployments(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    failures {
      backend
      code
      message
    }
    edges {
      node {
        id
        vendor
        name
        status
        tags
        version
        model {
          name
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ListDeploymentsQuery, ListDeploymentsQueryVariables>;
export const TagDeploymentsDocument = new TypedDocumentString(`
    mutation TagDeployments($ids: [ID!], $addTags: [String!]!, $dryRun: Boolean) {
  updateModelDeployments(ids: $ids, patch: {addTags: $addTags}, dryRun: $dryRun) {
    __typename
    ... on Error {
      code
      message
    }
    ... on UpdateModelDeploymentsPayload {
      ...BulkResult
    }
  }
}
    fragment BulkResult on UpdateModelDeploymentsPayload {
  planId
  expiresAt
  summary {
    matched
    changed
    unchanged
    failed
  }
  items {
    id
    outcome
    result {
      __typename
      ... on Error {
        code
        message
      }
      ... on UnsupportedFieldError {
        field
        vendor
      }
      ... on UpdateModelDeploymentSuccess {
        changes {
          field
          before
          after
        }
        deployment {
          id
          tags
          version
        }
      }
    }
  }
}`) as unknown as TypedDocumentString<TagDeploymentsMutation, TagDeploymentsMutationVariables>;
export const ApplyPlanDocument = new TypedDocumentString(`
    mutation ApplyPlan($planId: ID!) {
  applyModelDeploymentPlan(planId: $planId) {
    __typename
    ... on Error {
      code
      message
    }
    ... on UpdateModelDeploymentsPayload {
      ...BulkResult
    }
  }
}
    fragment BulkResult on UpdateModelDeploymentsPayload {
  planId
  expiresAt
  summary {
    matched
    changed
    unchanged
    failed
  }
  items {
    id
    outcome
    result {
      __typename
      ... on Error {
        code
        message
      }
      ... on UnsupportedFieldError {
        field
        vendor
      }
      ... on UpdateModelDeploymentSuccess {
        changes {
          field
          before
          after
        }
        deployment {
          id
          tags
          version
        }
      }
    }
  }
}`) as unknown as TypedDocumentString<ApplyPlanMutation, ApplyPlanMutationVariables>;
export const ROW_FIELDS = `id backend vendor name nativeId status vendorStatus statusMessage version updatedAt tags description`;

/** A backend's deployments, page by page: after an outage, those the stream's first states lacked. */
export const BACKEND_ROWS = `query BoardBackendRows($backend: String!, $after: String) {
  modelDeployments(first: 500, after: $after, filter: { backends: [$backend] }) {
    pageInfo { hasNextPage endCursor }
    edges { node { ${ROW_FIELDS} } }
  }
}`;

export const VIEWER = `query BoardViewer { viewer { name scopes backends } }`;

export const BACKENDS = `query BoardBackends { backends { id vendor deploymentType capabilities { updatableFields } health { ok latencyMs message checkedAt } } }`;

/** The whole page's one subscription: every deployment's present state, then every change. */
export const CHANGES = `subscription Board {
  modelDeploymentChanged(emitCurrent: true) {
    __typename
    ... on ModelDeploymentChange { at initial previous current changedFields deployment { ${ROW_FIELDS} } }
    ... on BackendUnavailable { backend code message retryInMs at }
    ... on BackendRecovered { backend at }
  }
}`;

export const DETAIL = `query BoardDeployment($id: ID!) {
  modelDeployment(id: $id) {
    __typename ${ROW_FIELDS} createdAt
    model { name engine revision path }
    resources { gpuType gpuCount gpuMemoryBytes memoryBytes storageBytes }
    ... on NorthflankModelDeployment {
      projectId llmModelDeploymentId entityId entityType creatorId
      dns { base zone }
      ports { id name internalPort protocol public dns domains }
      deploymentConfiguration { id createdAt }
      spec { type configuration { engine name revision
        architecture { type workerConfig { replicas dataType gpuMemoryUtilization quantization kvCacheDataType enforceEager trustRemoteCode
          sequenceLengthConfig { maxModelLength maxInputLength maxOutputLength } parallelismConfig { tensorParallelism pipelineParallelism expertParallelism } } }
        nodeConfiguration { gpu { enabled configuration { gpuType gpuCount timesliced } } storage { storageClass storageSize accessMode shmSize } } } }
    }
    ... on NemoModelDeployment {
      workspace project config configVersion entityVersion nemoId modelProviderId
      statusHistory { timestamp status statusMessage unifiedStatus }
      versions { entityVersion config configVersion vendorStatus status statusMessage updatedAt }
    }
    ... on ZStackModel {
      uuid modelId modelVendor modelVersion versionSemver type installPath parameters introduction pipelineTag
      requiredAccelerator gpuConstraintDescription minGpuMemory recommendedGpuMemory recommendedGpuNum size isLatestVersion lastOpDate
      modelServiceRefs { uuid name modelServiceUuid }
    }
  }
}`;

export const UPDATE = `mutation BoardUpdate($input: UpdateModelDeploymentInput!) {
  updateModelDeployment(input: $input) {
    __typename
    ... on UpdateModelDeploymentSuccess { dryRun changes { field before after } requests { method path body } deployment { ${ROW_FIELDS} } }
    ... on ValidationError { code message issues { path rule message } }
    ... on ConflictError { code message expectedVersion actualVersion }
    ... on UnsupportedFieldError { code message field reason vendor }
    ... on UpstreamError { code message backend status outcome retryable vendorCode vendorMessage }
    ... on NotFoundError { code message id }
  }
}`;

export type Status = 'READY' | 'PENDING' | 'PROVISIONING' | 'STARTING' | 'PAUSED' | 'FAILED' | 'DELETING' | 'DELETED' | 'UNKNOWN';
export const STATUSES: Status[] = ['READY', 'STARTING', 'PROVISIONING', 'PENDING', 'PAUSED', 'FAILED', 'DELETING', 'DELETED', 'UNKNOWN'];

export interface Row {
  id: string;
  backend: string;
  vendor: string;
  name: string;
  nativeId: string;
  status: Status;
  vendorStatus: string | null;
  statusMessage: string | null;
  version: string | null;
  updatedAt: string | null;
  tags: string[];
  description: string | null;
}

export interface Viewer {
  name: string;
  scopes: string[];
  backends: string[] | null;
}

export interface BackendInfo {
  id: string;
  vendor: string;
  deploymentType: string;
  capabilities: { updatableFields: string[] };
  health: { ok: boolean; latencyMs: number | null; message: string | null; checkedAt: string };
}

export type ChangeEvent =
  | { __typename: 'ModelDeploymentChange'; at: string; initial: boolean; previous: Status | null; current: Status; changedFields: string[]; deployment: Row }
  | { __typename: 'BackendUnavailable'; backend: string; code: string; message: string; retryInMs: number; at: string }
  | { __typename: 'BackendRecovered'; backend: string; at: string };

export interface VendorRequest {
  method: string;
  path: string;
  body: unknown;
}

export type UpdateResult =
  | { __typename: 'UpdateModelDeploymentSuccess'; dryRun: boolean; changes: { field: string; before: unknown; after: unknown }[]; requests: VendorRequest[]; deployment: Row }
  | { __typename: 'ValidationError'; code: string; message: string; issues: { path: string[]; rule: string; message: string }[] }
  | { __typename: 'ConflictError'; code: string; message: string; expectedVersion: string | null; actualVersion: string | null }
  | { __typename: 'UnsupportedFieldError'; code: string; message: string; field: string; reason: string; vendor: string }
  | { __typename: 'UpstreamError'; code: string; message: string; backend: string; status: number | null; outcome: string | null; retryable: boolean; vendorCode: string | null; vendorMessage: string | null }
  | { __typename: 'NotFoundError'; code: string; message: string; id: string };

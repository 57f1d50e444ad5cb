import type { DeploymentStatus } from './status.js';

/** What the model behind a deployment is, in words every vendor can fill. */
export interface ModelInfo {
  name: string | null;
  revision: string | null;
  engine: string | null;
  path: string | null;
}

/** Resources a deployment asks for. Byte counts are bigint: ZStack sizes exceed 2^31. */
export interface ResourceInfo {
  gpuType: string | null;
  gpuCount: number | null;
  /** GPU counts a vendor recommends (ZStack lists several). */
  gpuCounts: number[] | null;
  gpuMemoryBytes: bigint | null;
  memoryBytes: bigint | null;
  storageBytes: bigint | null;
}

/**
 * One model deployment on one backend, normalised. `raw` is the vendor's payload as parsed by
 * the adapter's contract.ts; the vendor's GraphQL type reads its detail fields from it.
 */
export interface ModelDeployment<Raw = unknown> {
  /** `<backendId>:<nativeKey>` (src/domain/ids.ts). */
  id: string;
  backend: string;
  vendor: string;
  /** The key inside the backend, e.g. `default-project/deepseek-v3-deployment`. */
  nativeId: string;
  name: string;
  description: string | null;
  tags: string[];
  /**
   * The vendor keeps tags apart from the resource (ZStack user tags): `tags` is empty here and the
   * GraphQL field loads them, batched per request, through the adapter's `loadTags` only when asked.
   */
  tagsDeferred?: boolean;
  status: DeploymentStatus;
  vendorStatus: string | null;
  statusMessage: string | null;
  version: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  model: ModelInfo | null;
  resources: ResourceInfo | null;
  raw: Raw;
}

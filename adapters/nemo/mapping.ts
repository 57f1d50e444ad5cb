import type { ModelDeployment as UnifiedDeployment } from '../../src/domain/deployment.js';
import type { DeploymentStatus } from '../../src/domain/status.js';
import { definedOnly } from '../../src/domain/patch.js';
import type { ModelDeployment, ModelDeploymentStatus, UpdateModelDeploymentRequest } from './contract.js';

/** NeMo status word → unified status (DESIGN.md "Unified model"). */
export const STATUS_TABLE: Record<ModelDeploymentStatus, DeploymentStatus> = {
  CREATED: 'PENDING',
  PENDING: 'PENDING',
  READY: 'READY',
  ERROR: 'FAILED',
  DELETING: 'DELETING',
  DELETED: 'DELETED',
  UNKNOWN: 'UNKNOWN',
  LOST: 'UNKNOWN',
};

export function unifiedStatus(word: string | null | undefined): DeploymentStatus {
  // Only the table's own words: a word such as "toString" is as unknown as any other.
  return word && Object.hasOwn(STATUS_TABLE, word) ? STATUS_TABLE[word as ModelDeploymentStatus] : 'UNKNOWN';
}

/** The NeMo words a unified status stands for (empty: NeMo has no such status). */
export function nemoWordsFor(status: DeploymentStatus): ModelDeploymentStatus[] {
  return (Object.keys(STATUS_TABLE) as ModelDeploymentStatus[]).filter((w) => STATUS_TABLE[w] === status);
}

/** The update block of the GraphQL input (`NemoUpdateInput`); null means "not set". */
export interface NemoUpdateBlock {
  config?: string | null;
  configVersion?: number | null;
}

/** GraphQL input field ↔ NeMo body field. */
export const BODY_FIELD_TO_INPUT: Record<string, string> = { config: 'config', config_version: 'configVersion' };

export function nativeKeyOf(raw: Pick<ModelDeployment, 'workspace' | 'name'>): string {
  return `${raw.workspace}/${raw.name}`;
}

function date(v: string | undefined): Date | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function fromVendor(raw: ModelDeployment, backendId: string): UnifiedDeployment<ModelDeployment> {
  const nativeId = nativeKeyOf(raw);
  const word = raw.status ?? 'UNKNOWN';
  return {
    id: `${backendId}:${nativeId}`,
    backend: backendId,
    vendor: 'nemo',
    nativeId,
    name: raw.name,
    // NeMo deployments carry no description or tags (seed 003).
    description: null,
    tags: [],
    status: unifiedStatus(word),
    vendorStatus: word,
    statusMessage: raw.status_message ? raw.status_message : null,
    version: String(raw.entity_version),
    createdAt: date(raw.created_at),
    updatedAt: date(raw.updated_at),
    // The model and its resources live in the ModelDeploymentConfig, not in the deployment.
    model: null,
    resources: null,
    raw,
  };
}

/** Only the fields the caller set; `configVersion` omitted means "latest" (seed 003). */
export function toVendorPatch(block: NemoUpdateBlock | null | undefined): Partial<UpdateModelDeploymentRequest> {
  if (!block) return {};
  return definedOnly({ config: block.config, config_version: block.configVersion }) as Partial<UpdateModelDeploymentRequest>;
}

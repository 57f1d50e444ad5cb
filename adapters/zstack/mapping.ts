import { createHash } from 'node:crypto';
import type { ModelDeployment } from '../../src/domain/deployment.js';
import type { DeploymentStatus } from '../../src/domain/status.js';
import type { FieldChange, UpdatePatch } from '../../src/domain/patch.js';
import { confirmField, sameMembers, sameValue, type FieldConfirmation } from '../../src/domain/confirmation.js';
import { parseGsonDate, UPDATE_BODY_FIELDS, type ModelInventory, type UpdateModelBody } from './contract.js';

export const VENDOR = 'zstack';

/**
 * ZStack models have no status (CONVENTIONS.md 0.6, DESIGN.md status table): a model present
 * in the repository is READY, a uuid the query no longer finds is DELETED (served as NOT_FOUND).
 */
export const STATUS_TABLE: Record<'present' | 'gone', DeploymentStatus> = {
  present: 'READY',
  gone: 'DELETED',
};

export type ZStackModelDeployment = ModelDeployment<ModelInventory>;

/** The vendor block of `updateModelDeployment` (GraphQL `ZStackUpdateInput`); null = not set. */
export type ZStackUpdateInput = { [K in keyof UpdateModelBody]?: UpdateModelBody[K] | null };

const bigOrNull = (v: string | null | undefined): bigint | null => (v === null || v === undefined ? null : BigInt(v));

/**
 * `version` tells one state of the model from another, for `expectedVersion`: its last change time
 * and a digest of the whole ModelInventory. Neither `versionSemver` (UpdateModel never changes it)
 * nor `lastOpDate` alone (Gson dates have whole seconds) moves on every update; the digest does
 * whenever a field ZStack shows changes. User tags live outside ModelInventory and are not in it.
 */
export function versionOf(inv: ModelInventory): string {
  const digest = createHash('sha256').update(canonicalJson(inv)).digest('hex').slice(0, 12);
  const at = parseGsonDate(inv.lastOpDate)?.toISOString();
  return at ? `${at}~${digest}` : digest;
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    return v;
  });
}

export function fromVendor(inv: ModelInventory, backendId: string, userTags: string[] = []): ZStackModelDeployment {
  return {
    id: `${backendId}:${inv.uuid}`,
    backend: backendId,
    vendor: VENDOR,
    nativeId: inv.uuid,
    name: inv.name,
    description: inv.description ?? null,
    tags: userTags,
    status: STATUS_TABLE.present,
    vendorStatus: null,
    statusMessage: null,
    version: versionOf(inv),
    createdAt: parseGsonDate(inv.createDate),
    updatedAt: parseGsonDate(inv.lastOpDate),
    model: {
      name: inv.modelId || inv.name,
      revision: inv.versionSemver ?? null,
      engine: null,
      path: inv.installPath ?? null,
    },
    resources: {
      gpuType: inv.requiredAccelerator ?? null,
      gpuCount: null,
      gpuCounts: inv.recommendedGpuNum ?? null,
      gpuMemoryBytes: bigOrNull(inv.minGpuMemory),
      memoryBytes: null,
      storageBytes: null,
    },
    raw: inv,
  };
}

/** Where each body field came from in the caller's input, for ValidationError paths. */
export type FieldOrigins = Partial<Record<keyof UpdateModelBody, (string | number)[]>>;

export interface VendorPatch {
  body: Record<string, unknown>;
  origins: FieldOrigins;
  /** Fields given both as a common field and in the `zstack` block with different values. */
  conflicts: { field: keyof UpdateModelBody; path: (string | number)[]; message: string }[];
}

const COMMON_TO_BODY = { name: 'name', description: 'description', tags: 'userTags' } as const;

/**
 * The flat UpdateModel body (seed 004) for a patch: only the fields the caller set, in the page's
 * order; common name/description/tags become name/description/userTags.
 */
export function toVendorPatch(patch: UpdatePatch<ZStackUpdateInput>): VendorPatch {
  const body: Record<string, unknown> = {};
  const origins: FieldOrigins = {};
  const conflicts: VendorPatch['conflicts'] = [];
  const block = (patch.vendor ?? {}) as Record<string, unknown>;
  for (const field of UPDATE_BODY_FIELDS) {
    const v = block[field];
    if (v === undefined || v === null) continue;
    body[field] = v;
    origins[field] = [VENDOR, field];
  }
  for (const [common, field] of Object.entries(COMMON_TO_BODY) as [keyof typeof COMMON_TO_BODY, keyof UpdateModelBody][]) {
    const v = patch[common];
    if (v === undefined || v === null) continue;
    if (field in body && JSON.stringify(body[field]) !== JSON.stringify(v)) {
      conflicts.push({ field, path: [VENDOR, field], message: `${common} and ${VENDOR}.${field} set different values` });
      continue;
    }
    body[field] = v;
    origins[field] = [common];
  }
  const ordered: Record<string, unknown> = {};
  for (const field of UPDATE_BODY_FIELDS) if (field in body) ordered[field] = body[field];
  return { body: ordered, origins, conflicts };
}

/** `"1, 2,4"` → `[1, 2, 4]` (the inventory's form of recommendedGpuNum). */
export function gpuNumList(text: string): number[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
}

/**
 * Body fields whose value ModelInventory shows, and how the inventory shows them. The others
 * (modelClassifications, defaultModelServiceUuid, clearDefaultModelService, systemTags) are not
 * in the inventory (seed 004) and cannot be checked after an update.
 */
const VISIBLE: Partial<Record<keyof UpdateModelBody, (inv: ModelInventory) => unknown>> = {
  name: (i) => i.name,
  installPath: (i) => i.installPath ?? null,
  description: (i) => i.description ?? null,
  vendor: (i) => i.vendor ?? null,
  parameters: (i) => i.parameters ?? null,
  modelCenterUuid: (i) => i.modelCenterUuid ?? null,
  recommendedGpuNum: (i) => i.recommendedGpuNum ?? null,
  gpuConstraintDescription: (i) => i.gpuConstraintDescription ?? null,
  modelId: (i) => i.modelId ?? null,
};

const expected = (field: string, value: unknown): unknown => (field === 'recommendedGpuNum' ? gpuNumList(String(value)) : value);

/** How the re-read can tell about UpdateModel's `userTags` (see confirmWrite). */
export interface UserTagReading {
  /** The model's user tags as re-read; null when they could not be read (the user-tag query failed). */
  tags: string[] | null;
  /** readUserTags: false — tags are never read. */
  readsTags: boolean;
  /** confirmUserTags: a re-read without the tags sent contradicts the write (ASSUMPTION(A12)). */
  confirmsTags: boolean;
}

const NOT_IN_INVENTORY = 'ModelInventory does not show this field (seed 004)';

/**
 * Each body field as the re-read inventory (and user tags) shows it. Fields ModelInventory shows
 * are CONFIRMED or CONTRADICTED; the others (modelClassifications, defaultModelServiceUuid,
 * clearDefaultModelService, systemTags) are UNCONFIRMED. `userTags`: the page does not say what
 * UpdateModel does with them, so unless `confirmsTags`, tags that do not come back are UNCONFIRMED,
 * not a failed write (ASSUMPTION(A12)).
 */
export function confirmWrite(body: Record<string, unknown>, inv: ModelInventory, tags: UserTagReading): FieldConfirmation[] {
  return Object.entries(body).map(([field, value]) => {
    const read = VISIBLE[field as keyof UpdateModelBody];
    if (read) return confirmField(field, value, { seen: read(inv) }, { equal: (seen, sent) => sameValue(seen, expected(field, sent)) });
    if (field !== 'userTags') return confirmField(field, value, { unseen: NOT_IN_INVENTORY });
    if (!tags.readsTags) return confirmField(field, value, { unseen: 'readUserTags is off: the model\u2019s user tags are not read' });
    if (tags.tags === null) return confirmField(field, value, { unseen: 'the model\u2019s user tags could not be read' });
    return confirmField(field, value, { seen: tags.tags }, {
      equal: sameMembers,
      onMismatch: tags.confirmsTags ? 'CONTRADICTED' : 'UNCONFIRMED',
      note: 'the re-read user tags differ from those sent; what UpdateModel does with userTags is an assumption (confirmUserTags)',
    });
  });
}

/** Before/after of each body field, in ZStack's names (unknown `before` for fields the inventory lacks). */
export function changesOf(body: Record<string, unknown>, current: ZStackModelDeployment): FieldChange[] {
  return Object.entries(body).map(([field, after]) => {
    const read = VISIBLE[field as keyof UpdateModelBody];
    const before = read ? read(current.raw) : field === 'userTags' ? current.tags : null;
    return { field, before, after: expected(field, after) };
  });
}

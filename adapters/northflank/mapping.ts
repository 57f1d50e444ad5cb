import type { ModelDeployment } from '../../src/domain/deployment.js';
import type { FieldChange, UpdatePatch } from '../../src/domain/patch.js';
import type { DeploymentStatus } from '../../src/domain/status.js';
import type { NorthflankDeployment, NorthflankPort, NorthflankUpdateBody } from './contract.js';

export const VENDOR = 'northflank';

/** Northflank status words (seed 002) → unified status (DESIGN.md table). Anything else is UNKNOWN. */
export const STATUS_TABLE: ReadonlyMap<string, DeploymentStatus> = new Map([
  ['pending', 'PENDING'],
  ['provisioning', 'PROVISIONING'],
  ['starting', 'STARTING'],
  ['running', 'READY'],
  ['paused', 'PAUSED'],
  ['crashed', 'FAILED'],
  ['deleting', 'DELETING'],
]);

export function statusFromVendor(word: string | null | undefined): DeploymentStatus {
  return (word != null && STATUS_TABLE.get(word)) || 'UNKNOWN';
}

export interface NorthflankKey {
  projectId: string;
  llmModelDeploymentId: string;
}

export function formatNativeKey(key: NorthflankKey): string {
  return `${key.projectId}/${key.llmModelDeploymentId}`;
}

const MB = 1024n * 1024n;

function toDate(s: string | undefined): Date | null {
  if (!s) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * One Northflank AI model → the unified model. `version` is the resource's `updatedAt`: the API
 * has no revision counter, and every update moves `updatedAt` (seed 002 has no other candidate).
 */
export function fromVendor(raw: NorthflankDeployment, backendId: string): ModelDeployment<NorthflankDeployment> {
  const nativeId = formatNativeKey({ projectId: raw.projectId, llmModelDeploymentId: raw.id });
  const conf = raw.spec?.configuration;
  const node = conf?.nodeConfiguration;
  const gpu = node?.gpu?.configuration;
  const storageSize = node?.storage?.storageSize;
  return {
    id: `${backendId}:${nativeId}`,
    backend: backendId,
    vendor: VENDOR,
    nativeId,
    // A name missing from the answer reads as the id (reading is more tolerant than writing).
    name: raw.name ?? raw.id,
    description: raw.description ?? null,
    tags: raw.tags ?? [],
    status: statusFromVendor(raw.status),
    vendorStatus: raw.status ?? null,
    statusMessage: null,
    version: raw.updatedAt ?? null,
    createdAt: toDate(raw.createdAt),
    updatedAt: toDate(raw.updatedAt),
    model: conf
      ? { name: conf.name ?? null, revision: conf.revision ?? null, engine: conf.engine ?? null, path: null }
      : null,
    resources: node
      ? {
          gpuType: gpu?.gpuType ?? null,
          gpuCount: gpu?.gpuCount ?? null,
          gpuCounts: null,
          gpuMemoryBytes: null,
          memoryBytes: null,
          // storageSize is in megabytes (seed 002).
          storageBytes: typeof storageSize === 'number' ? BigInt(storageSize) * MB : null,
        }
      : null,
    raw,
  };
}

/**
 * A value to send: bigints (from the GraphQL `BigInt` scalar) become JSON numbers when they are
 * safe integers; larger ones stay bigint and are written as exact digits by the HTTP client.
 */
export function toJsonValue<T>(value: T): T {
  if (typeof value === 'bigint') return (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value) as T;
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v)) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v);
    return out as T;
  }
  return value;
}

/** For GraphQL's JSON fields (planned request bodies, changes): a bigint beyond 2^53 as its digits. */
export function forDisplay<T>(value: T): T {
  if (typeof value === 'bigint') return value.toString() as T;
  if (Array.isArray(value)) return value.map((v) => forDisplay(v)) as T;
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, forDisplay(v)])) as T;
  return value;
}

/**
 * The update body (seed 000) holding only what the caller set: common fields map straight to
 * `name`/`description`/`tags`; the `northflank` block adds `ports` and `spec`. An explicit null
 * reaches here only where Northflank takes one (`shmSize`) and is sent.
 */
export function toVendorPatch(patch: UpdatePatch<Record<string, unknown> | null>): NorthflankUpdateBody {
  const body: Record<string, unknown> = {};
  if (patch.name != null) body.name = patch.name;
  if (patch.description != null) body.description = patch.description;
  if (patch.tags != null) body.tags = patch.tags;
  const block = patch.vendor ?? undefined;
  if (block?.ports !== undefined) body.ports = block.ports;
  if (block?.spec !== undefined) body.spec = block.spec;
  return toJsonValue(body) as NorthflankUpdateBody;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The port fields an update can set that GET shows again (`domains` is not in the GET shape, seed 002). */
function portView(p: Partial<NorthflankPort> & Record<string, unknown>, like?: Record<string, unknown>) {
  const out: Record<string, unknown> = { name: p.name, internalPort: p.internalPort, protocol: p.protocol };
  for (const k of ['public', 'disableNfDomain'] as const) if (!like || like[k] !== undefined) out[k] = p[k];
  return out;
}

/** Leaf values of a nested body with their paths; an empty object sets nothing and has no leaves. */
function leaves(value: unknown, path: string[], out: [string[], unknown][]) {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, [...path, k], out);
  } else out.push([path, value]);
}

function at(root: unknown, path: string[]): unknown {
  let v = root;
  for (const k of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/**
 * Field-by-field difference the body would make on `current`: `name`, `description`, `tags`,
 * `northflank.ports` (the whole list) and one entry per `spec` leaf, e.g.
 * `northflank.spec.configuration.nodeConfiguration.storage.storageSize`. Unchanged fields are left out.
 */
export function planChanges(current: NorthflankDeployment, body: NorthflankUpdateBody): FieldChange[] {
  const changes: FieldChange[] = [];
  const push = (field: string, before: unknown, after: unknown) => {
    if (!deepEqual(before ?? null, after ?? null)) changes.push({ field, before: before ?? null, after: after ?? null });
  };
  if (body.name !== undefined) push('name', current.name, body.name);
  if (body.description !== undefined) push('description', current.description, body.description);
  if (body.tags !== undefined) push('tags', current.tags ?? [], body.tags);
  if (body.ports !== undefined) {
    push(
      'northflank.ports',
      (current.ports ?? []).map((p) => portView(p)),
      body.ports.map((p) => portView(p as Record<string, unknown>)),
    );
  }
  if (body.spec !== undefined) {
    const list: [string[], unknown][] = [];
    leaves(body.spec, ['spec'], list);
    for (const [path, after] of list) push(`northflank.${path.join('.')}`, at(current, path), after);
  }
  return changes;
}

/** Whether `raw` (re-read after a write whose answer was lost) already shows every field of `body`. */
export function showsUpdate(raw: NorthflankDeployment, body: NorthflankUpdateBody): boolean {
  if (body.name !== undefined && raw.name !== body.name) return false;
  if (body.description !== undefined && (raw.description ?? '') !== body.description) return false;
  if (body.tags !== undefined && !deepEqual(raw.tags ?? [], body.tags)) return false;
  if (body.ports !== undefined) {
    const now = raw.ports ?? [];
    if (now.length !== body.ports.length) return false;
    for (const want of body.ports) {
      const w = want as Record<string, unknown>;
      const have = now.find((p) => p.name === want.name);
      if (!have || !deepEqual(portView(have, w), portView(w, w))) return false;
    }
  }
  if (body.spec !== undefined) {
    const list: [string[], unknown][] = [];
    leaves(body.spec, ['spec'], list);
    if (!list.every(([path, v]) => deepEqual(at(raw, path), v))) return false;
  }
  return true;
}

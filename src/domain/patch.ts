/** The vendor-neutral part of an update; `vendor` carries the adapter's own update block. */
export interface UpdatePatch<VendorBlock = Record<string, unknown>> {
  name?: string;
  description?: string;
  tags?: string[];
  vendor?: VendorBlock;
}

/** One HTTP request an adapter would send (dry run) or sent (result). Never holds secrets. */
export interface PlannedRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface UpdatePlan {
  requests: PlannedRequest[];
}

export interface UpdateOptions {
  /** Compare with the deployment's current `version` before writing; mismatch → ConflictError. */
  expectedVersion?: string;
  requestId?: string;
}

/** Drops undefined and null members (GraphQL sends null for fields a caller left out). */
export function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) out[k] = v;
  return out as Partial<T>;
}

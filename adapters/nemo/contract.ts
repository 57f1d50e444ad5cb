import { z } from 'zod';

/**
 * NVIDIA NeMo Platform models API v2 bodies, in NeMo's own field names (seed 003 OpenAPI,
 * CONVENTIONS.md 2.2–2.5).
 */

export const MODEL_DEPLOYMENT_STATUSES = ['UNKNOWN', 'CREATED', 'PENDING', 'READY', 'ERROR', 'DELETING', 'DELETED', 'LOST'] as const;
export type ModelDeploymentStatus = (typeof MODEL_DEPLOYMENT_STATUSES)[number];
export const ModelDeploymentStatusSchema = z.enum(MODEL_DEPLOYMENT_STATUSES);

/** Entity names and workspaces: letters, digits, `_`, `-`, `.`; at most 255 (seed 003 `name`/`workspace`, CONVENTIONS.md 2.2). */
export const ENTITY_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
export const ENTITY_NAME_MAX = 255;

/**
 * `config` names a ModelDeploymentConfig, itself an entity named by the rule above (CONVENTIONS.md 2.2–2.3);
 * the service caps it at 255. `config_version` refers to an entity version, which starts at 1
 * ("must be a positive integer", CONVENTIONS.md 2.2).
 */
export const UpdateModelDeploymentRequestSchema = z
  .object({
    config: z
      .string()
      .min(1, 'config must name a ModelDeploymentConfig')
      .max(ENTITY_NAME_MAX)
      .regex(ENTITY_NAME_PATTERN, 'config may contain only letters, digits, "_", "-" and "."')
      .refine((s) => s !== '.' && s !== '..', 'config may not be "." or ".."'),
    config_version: z.number().int().min(1, 'config_version must be a positive integer').optional(),
  })
  .strict();
export type UpdateModelDeploymentRequest = z.infer<typeof UpdateModelDeploymentRequestSchema>;

export const ModelDeploymentStatusHistoryItemSchema = z.object({
  timestamp: z.string(),
  status: ModelDeploymentStatusSchema,
  status_message: z.string().default(''),
});
export type ModelDeploymentStatusHistoryItem = z.infer<typeof ModelDeploymentStatusHistoryItemSchema>;

export const AuthContextSchema = z.object({
  principal_id: z.string(),
  principal_email: z.string().optional(),
  principal_groups: z.array(z.string()).optional(),
  principal_on_behalf_of: z.string().optional(),
  principal_on_behalf_of_groups: z.array(z.string()).optional(),
  principal_on_behalf_of_email: z.string().optional(),
});
export type AuthContext = z.infer<typeof AuthContextSchema>;

/** The full resource (seed 003 `ModelDeployment`); used by the simulator and tests. */
export const ModelDeploymentSchema = z.object({
  id: z.string().optional(),
  name: z.string().max(ENTITY_NAME_MAX).regex(ENTITY_NAME_PATTERN),
  workspace: z.string().max(ENTITY_NAME_MAX).regex(ENTITY_NAME_PATTERN),
  project: z.string().optional(),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
  entity_version: z.number().int(),
  config: z.string(),
  config_version: z.number().int(),
  status: ModelDeploymentStatusSchema.default('UNKNOWN'),
  status_message: z.string().max(1000).default(''),
  status_history: z.array(ModelDeploymentStatusHistoryItemSchema).optional(),
  model_provider_id: z.string().optional(),
  auth_context: AuthContextSchema.optional(),
});
export type ModelDeployment = z.infer<typeof ModelDeploymentSchema>;

/** seed 003 `ValidationError` / `HTTPValidationError` (FastAPI 422). */
export const ValidationErrorSchema = z.object({
  loc: z.array(z.union([z.string(), z.number().int()])),
  msg: z.string(),
  type: z.string(),
  input: z.unknown().optional(),
  ctx: z.record(z.string(), z.unknown()).optional(),
});
export type NemoValidationError = z.infer<typeof ValidationErrorSchema>;
export const HTTPValidationErrorSchema = z.object({ detail: z.array(ValidationErrorSchema).optional() });

/** Every HTTPException body (CONVENTIONS.md 2.5); 422 may carry either form. */
export const ErrorBodySchema = z.object({ detail: z.union([z.string(), z.array(ValidationErrorSchema)]) });

/** CONVENTIONS.md 2.4 `Page`. */
export interface PaginationData {
  page: number;
  page_size: number;
  current_page_size: number;
  total_pages: number;
  total_results: number;
}
export interface Page<T> {
  data: T[];
  pagination: PaginationData;
  sort?: string;
  filter?: Record<string, unknown>;
}

/** CONVENTIONS.md 2.3 ModelDeploymentConfig (stored form). */
export const ModelDeploymentConfigSchema = z.looseObject({
  name: z.string(),
  workspace: z.string(),
  entity_version: z.number().int(),
  engine: z.enum(['nim', 'vllm', 'generic']).optional(),
  model_spec: z.looseObject({}).optional(),
  executor_config: z.looseObject({ gpu: z.number().int().min(0) }).optional(),
});
export type ModelDeploymentConfig = z.infer<typeof ModelDeploymentConfigSchema> & {
  id?: string;
  project?: string;
  description?: string;
  created_at?: string;
  updated_at?: string;
  model_entity_id?: string;
};

// ---------------------------------------------------------------------------------------------
// Reply checks on the hot path: a hand-written walk of the fields we read (a full zod parse of
// every list item is too slow); zod is only asked for the message when the walk fails.

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const isStr = (v: unknown): v is string => typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isOptStr = (v: unknown) => v === undefined || v === null || typeof v === 'string';
const isOptStrList = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.every(isStr));
const STATUS_SET = new Set<string>(MODEL_DEPLOYMENT_STATUSES);

function historyOk(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (!Array.isArray(v)) return false;
  for (const item of v) {
    if (!item || typeof item !== 'object') return false;
    const h = item as Record<string, unknown>;
    if (!isStr(h.timestamp) || !isStr(h.status) || !isOptStr(h.status_message)) return false;
  }
  return true;
}

function authOk(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v !== 'object') return false;
  const a = v as Record<string, unknown>;
  return (
    isStr(a.principal_id) &&
    isOptStr(a.principal_email) &&
    isOptStrList(a.principal_groups) &&
    isOptStr(a.principal_on_behalf_of) &&
    isOptStrList(a.principal_on_behalf_of_groups) &&
    isOptStr(a.principal_on_behalf_of_email)
  );
}

/** Checks a ModelDeployment reply: the required fields of seed 003 and the shape of every field we expose. */
export function checkModelDeployment(v: unknown): Checked<ModelDeployment> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const d = v as Record<string, unknown>;
    if (
      isStr(d.name) &&
      isStr(d.workspace) &&
      isStr(d.created_at) &&
      isStr(d.updated_at) &&
      isInt(d.entity_version) &&
      isStr(d.config) &&
      isInt(d.config_version) &&
      isOptStr(d.id) &&
      isOptStr(d.project) &&
      isOptStr(d.status_message) &&
      isOptStr(d.model_provider_id) &&
      (d.status === undefined || d.status === null || (isStr(d.status) && STATUS_SET.has(d.status))) &&
      historyOk(d.status_history) &&
      authOk(d.auth_context)
    ) {
      return { ok: true, value: d as unknown as ModelDeployment };
    }
  }
  const r = ModelDeploymentSchema.safeParse(v);
  const first = r.success ? undefined : r.error.issues[0];
  return { ok: false, problem: first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'unexpected shape' };
}

/** Checks a `Page` envelope (items are checked one by one with checkModelDeployment). */
export function checkPage(v: unknown): Checked<Page<unknown>> {
  if (v && typeof v === 'object') {
    const p = v as Record<string, unknown>;
    const pg = p.pagination as Record<string, unknown> | undefined;
    if (Array.isArray(p.data) && pg && typeof pg === 'object' && isInt(pg.page) && isInt(pg.total_pages)) {
      return { ok: true, value: p as unknown as Page<unknown> };
    }
  }
  return { ok: false, problem: 'expected {data: [...], pagination: {page, total_pages, ...}}' };
}

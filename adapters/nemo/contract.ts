import { z } from 'zod';

/**
 * NVIDIA NeMo Platform models API v2 bodies, in NeMo's own field names (seed 003 OpenAPI,
 * CONVENTIONS.md 2.2–2.5).
 */

export const MODEL_DEPLOYMENT_STATUSES = ['UNKNOWN', 'CREATED', 'PENDING', 'READY', 'ERROR', 'DELETING', 'DELETED', 'LOST'] as const;
export type ModelDeploymentStatus = (typeof MODEL_DEPLOYMENT_STATUSES)[number];

/** Entity names and workspaces: letters, digits, `_`, `-`, `.`; at most 255 (seed 003 `name`/`workspace`, CONVENTIONS.md 2.2). */
export const ENTITY_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
export const ENTITY_NAME_MAX = 255;

/** Bounds of a signed 64-bit integer: seed 003 says `integer` without a bound. */
export const INT64_MAX = 2n ** 63n - 1n;

/**
 * `config_version`: an entity version, which starts at 1 ("must be a positive integer",
 * CONVENTIONS.md 2.2; 0 would silently mean "latest"), up to a signed 64-bit integer. A JSON number
 * or (from the GraphQL `BigInt` scalar) a bigint.
 */
export const ConfigVersionSchema = z.custom<number | bigint>(() => true).superRefine((v, ctx) => {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else {
    ctx.addIssue({ code: 'invalid_type', expected: 'int', input: v, message: 'config_version must be a whole number' });
    return;
  }
  if (n < 1n) ctx.addIssue({ code: 'too_small', origin: 'number', minimum: 1, inclusive: true, input: v, message: 'config_version must be a positive integer' });
  else if (n > INT64_MAX) ctx.addIssue({ code: 'too_big', origin: 'number', maximum: INT64_MAX, inclusive: true, input: v, message: 'config_version must fit in a signed 64-bit integer' });
});

/**
 * `config` names a ModelDeploymentConfig, itself an entity named by the rule above (CONVENTIONS.md 2.2–2.3);
 * the service caps it at 255. The pattern is ASCII, so code points and UTF-16 units count alike.
 * "." and ".." cannot name a path segment (they are dot segments of the URL).
 */
export const UpdateModelDeploymentRequestSchema = z
  .object({
    config: z
      .string()
      .min(1, 'config must name a ModelDeploymentConfig')
      .max(ENTITY_NAME_MAX)
      .regex(ENTITY_NAME_PATTERN, 'config may contain only letters, digits, "_", "-" and "."')
      .refine((s) => s !== '.' && s !== '..', 'config may not be "." or ".."'),
    config_version: ConfigVersionSchema.optional(),
  })
  .strict();
export type UpdateModelDeploymentRequest = z.infer<typeof UpdateModelDeploymentRequestSchema>;

// ---- Replies: read leniently ----
//
// Reading is more tolerant than writing: a status word outside seed 003's enum is kept (it maps to
// UNKNOWN with the word in vendorStatus), a detail of the wrong type reads as absent, and only what
// identifies a version (workspace, name, entity_version) is required.

/** An optional field whose wrong-typed value reads as absent. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const wholeNumber = z.number().refine(Number.isInteger);

export const ModelDeploymentStatusHistoryItemSchema = z.looseObject({
  timestamp: z.string(),
  status: z.string(),
  status_message: lenient(z.string()),
});
export type ModelDeploymentStatusHistoryItem = z.infer<typeof ModelDeploymentStatusHistoryItemSchema>;

export const AuthContextSchema = z.looseObject({
  principal_id: z.string(),
  principal_email: lenient(z.string()),
  principal_groups: lenient(z.array(z.string())),
  principal_on_behalf_of: lenient(z.string()),
  principal_on_behalf_of_groups: lenient(z.array(z.string())),
  principal_on_behalf_of_email: lenient(z.string()),
});
export type AuthContext = z.infer<typeof AuthContextSchema>;

/** seed 003 `ModelDeployment` as the adapter reads it: the single definition of the reply shape. */
export const ModelDeploymentSchema = z.looseObject({
  id: lenient(z.string()),
  name: z.string(),
  workspace: z.string(),
  project: lenient(z.string()),
  created_at: lenient(z.string()),
  updated_at: lenient(z.string()),
  entity_version: wholeNumber,
  config: z.string(),
  config_version: wholeNumber,
  // Kept as sent, even outside the enum of seed 003 (mapping.ts: unknown words are UNKNOWN).
  status: lenient(z.string()),
  status_message: lenient(z.string()),
  // One malformed history entry costs the history, not the deployment.
  status_history: lenient(z.array(ModelDeploymentStatusHistoryItemSchema)),
  model_provider_id: lenient(z.string()),
  auth_context: lenient(AuthContextSchema),
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

/**
 * Every HTTPException body (CONVENTIONS.md 2.5): `{"detail": "..."}`, or a 422's
 * HTTPValidationError `{"detail": [ValidationError, ...]}` (seed 003), whose items are read one
 * by one with ValidationErrorSchema (an item of another shape costs only itself).
 */
export const ErrorBodySchema = z.object({ detail: z.union([z.string(), z.array(z.unknown())]) });

/** CONVENTIONS.md 2.4 `Page` of items of type T (its envelope is `PageSchema` below). */
export type Page<T> = { data: T[] } & Pick<z.infer<typeof PageSchema>, 'pagination' | 'sort' | 'filter'>;

/** CONVENTIONS.md 2.3 ModelDeploymentConfig (stored form), read leniently: a newer engine word still reads. */
export const ModelDeploymentConfigSchema = z.looseObject({
  id: z.string().optional().catch(undefined),
  name: z.string(),
  workspace: z.string(),
  project: z.string().optional().catch(undefined),
  description: z.string().optional().catch(undefined),
  entity_version: z.number().int(),
  engine: z.string().optional().catch(undefined),
  model_spec: z.looseObject({}).optional().catch(undefined),
  executor_config: z.looseObject({}).optional().catch(undefined),
  model_entity_id: z.string().optional().catch(undefined),
  created_at: z.string().optional().catch(undefined),
  updated_at: z.string().optional().catch(undefined),
});
export type ModelDeploymentConfig = z.infer<typeof ModelDeploymentConfigSchema>;

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const problemOf = (e: z.ZodError) => {
  const first = e.issues[0];
  return first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'unexpected shape';
};

/** A ModelDeployment reply, or why it cannot be read at all. */
export function checkModelDeployment(v: unknown): Checked<ModelDeployment> {
  const r = ModelDeploymentSchema.safeParse(v);
  return r.success ? { ok: true, value: r.data } : { ok: false, problem: problemOf(r.error) };
}

/** CONVENTIONS.md 2.4 `Page` envelope; its items are read one by one. */
export const PageSchema = z.looseObject({
  data: z.array(z.unknown()),
  pagination: z.looseObject({
    page: wholeNumber,
    page_size: lenient(wholeNumber),
    current_page_size: lenient(wholeNumber),
    total_pages: wholeNumber,
    total_results: lenient(wholeNumber),
  }),
  sort: lenient(z.string()),
  filter: lenient(z.record(z.string(), z.unknown())),
});

export function checkPage(v: unknown): Checked<Page<unknown>> {
  const r = PageSchema.safeParse(v);
  return r.success ? { ok: true, value: r.data as Page<unknown> } : { ok: false, problem: 'expected {data: [...], pagination: {page, total_pages, ...}}' };
}

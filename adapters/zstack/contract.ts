import { z } from 'zod';

/**
 * ZStack Cloud 5.x bodies for the AI model repository, in ZStack's own field names (seed 004
 * UpdateModel, CONVENTIONS.md 3.2–3.6).
 */

/** ZStack resource uuids: a v4 UUID without dashes, lower-case hex (CONVENTIONS.md 3.1, seed 004 example). */
export const UUID_PATTERN = /^[0-9a-f]{32}$/;

/** Java `Long` fields of ModelInventory (seed 004): kept exact, never through a JS number. */
export const LONG_FIELDS = ['size', 'minGpuMemory', 'recommendedGpuMemory', 'artifactSizeBytes', 'extraGpuMemRequest'] as const;
export type LongField = (typeof LONG_FIELDS)[number];

// ---------------------------------------------------------------------------------------------
// Lossless JSON

// A key of LONG_FIELDS right after `{` or `,` (so never inside a string) followed by a number literal.
const LONG_LITERAL = new RegExp(`([{,]\\s*"(?:${LONG_FIELDS.join('|')})"\\s*:\\s*)(-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)(?=\\s*[,}\\]])`, 'g');

/**
 * JSON.parse that keeps the Long fields exact: their number literals are quoted before parsing,
 * so `"size": 9223372036854775807` arrives as the string `"9223372036854775807"`. Other numbers
 * are parsed as usual. Throws SyntaxError like JSON.parse.
 */
export function parseJsonLossless(text: string): unknown {
  return JSON.parse(text.replace(LONG_LITERAL, '$1"$2"'));
}

/** A Long as received (after parseJsonLossless) to a decimal string, or null. */
export function longText(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return value as null | undefined;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Gson dates (CONVENTIONS.md 3.3): "Jan 6, 2017 3:51:16 AM"

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// Newer JDKs put a narrow no-break space (U+202F) before AM/PM.
const GSON_DATE = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})[\s\u202f\u00a0]*(AM|PM)$/i;

/**
 * Parses a Gson date leniently (also ISO-8601 and epoch milliseconds). Gson writes the
 * management node's local time without a zone.
 * ASSUMPTION(CONVENTIONS.md 3.3): the management node runs in UTC.
 */
export function parseGsonDate(value: unknown): Date | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value) : null;
  if (typeof value !== 'string') return null;
  const m = GSON_DATE.exec(value.trim());
  if (m) {
    const month = MONTHS.findIndex((x) => x.toLowerCase() === m[1]!.toLowerCase());
    if (month < 0) return null;
    let hour = Number(m[4]);
    if (hour > 12) return null;
    const pm = m[7]!.toUpperCase() === 'PM';
    if (hour === 12) hour = pm ? 12 : 0;
    else if (pm) hour += 12;
    const t = Date.UTC(Number(m[3]), month, Number(m[2]), hour, Number(m[5]), Number(m[6]));
    return Number.isNaN(t) ? null : new Date(t);
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const t = Date.parse(value);
    return Number.isNaN(t) ? null : new Date(t);
  }
  return null;
}

/** Formats epoch ms as Gson does with the default US locale, in UTC. */
export function formatGsonDate(epochMs: number): string {
  const d = new Date(epochMs);
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${h12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

// ---------------------------------------------------------------------------------------------
// UpdateModel request (seed 004)

const uuidField = (what: string) => z.string().regex(UUID_PATTERN, `${what} must be a ZStack uuid (32 lower-case hex characters)`);

/**
 * The body fields of UpdateModel, as the page's request example shows them. The page gives the
 * types (every field optional; `recommendedGpuNum` a string; `clearDefaultModelService` a
 * boolean); the lengths and patterns are ZStack-wide API rules.
 * ASSUMPTION(CONVENTIONS.md 3.6): name/modelId/vendor ≤ 255 and not empty, description and the
 * other free texts ≤ 2048 (ZStack's `@APIParam(maxLength)` on resource names/descriptions),
 * uuid references are ZStack uuids, `recommendedGpuNum` is a comma list of GPU counts ("1,2,4",
 * the string form of the inventory's integer list), tags are non-empty strings.
 */
export const UpdateModelFieldsSchema = z
  .object({
    name: z.string().min(1, 'name cannot be an empty string').max(255),
    installPath: z.string().min(1, 'installPath cannot be an empty string').max(2048),
    description: z.string().max(2048),
    vendor: z.string().min(1, 'vendor cannot be an empty string').max(255),
    parameters: z.string().max(65535),
    modelCenterUuid: uuidField('modelCenterUuid'),
    modelClassifications: z.array(z.string().min(1, 'a model classification cannot be empty').max(255)),
    recommendedGpuNum: z
      .string()
      .regex(/^[1-9]\d{0,3}(,[1-9]\d{0,3})*$/, 'recommendedGpuNum must be a comma-separated list of GPU counts, e.g. "1,2,4"'),
    gpuConstraintDescription: z.string().max(2048),
    modelId: z.string().min(1, 'modelId cannot be an empty string').max(255),
    defaultModelServiceUuid: uuidField('defaultModelServiceUuid'),
    clearDefaultModelService: z.boolean(),
  })
  .partial()
  .strict();

const TagsSchema = z.array(z.string().min(1, 'a tag cannot be empty').max(2048));

/** The flat UpdateModel body of seed 004's request example. */
export const UpdateModelBodySchema = UpdateModelFieldsSchema.extend({
  systemTags: TagsSchema.optional(),
  userTags: TagsSchema.optional(),
})
  .strict()
  .refine((b) => !(b.clearDefaultModelService === true && b.defaultModelServiceUuid !== undefined), {
    // ASSUMPTION(CONVENTIONS.md 3.6): setting and clearing the default model service at once is contradictory.
    path: ['clearDefaultModelService'],
    message: 'clearDefaultModelService cannot be true while defaultModelServiceUuid is set',
  });
export type UpdateModelBody = z.infer<typeof UpdateModelBodySchema>;

/** The RestServer / Go SDK shape (CONVENTIONS.md 0.1): API fields under `updateModel`, tags beside it. */
export const WrappedUpdateModelBodySchema = z
  .object({
    updateModel: UpdateModelFieldsSchema,
    systemTags: TagsSchema.optional(),
    userTags: TagsSchema.optional(),
  })
  .strict();
export type WrappedUpdateModelBody = z.infer<typeof WrappedUpdateModelBodySchema>;

export const UPDATE_BODY_FIELDS = [
  'name',
  'installPath',
  'description',
  'vendor',
  'parameters',
  'modelCenterUuid',
  'modelClassifications',
  'recommendedGpuNum',
  'gpuConstraintDescription',
  'modelId',
  'defaultModelServiceUuid',
  'clearDefaultModelService',
  'systemTags',
  'userTags',
] as const satisfies readonly (keyof UpdateModelBody)[];

export function wrapUpdateModelBody(body: UpdateModelBody): WrappedUpdateModelBody {
  const { systemTags, userTags, ...fields } = body;
  return { updateModel: fields, ...(systemTags ? { systemTags } : {}), ...(userTags ? { userTags } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Replies

export interface ZStackErrorCode {
  code: string;
  description?: string | null;
  details?: string | null;
  elaboration?: string | null;
  opaque?: Record<string, unknown> | null;
  cause?: ZStackErrorCode | null;
}

/** ErrorCode (seed 004 `error`; CONVENTIONS.md 3.5), recursive through `cause`. */
export const ErrorCodeSchema: z.ZodType<ZStackErrorCode> = z.looseObject({
  code: z.string(),
  description: z.string().nullish(),
  details: z.string().nullish(),
  elaboration: z.string().nullish(),
  opaque: z.record(z.string(), z.unknown()).nullish(),
  get cause() {
    return ErrorCodeSchema.nullish();
  },
});

/** `{"error": ErrorCode}` — the body of a 503 and of a failed job (CONVENTIONS.md 3.5). */
export const ErrorReplySchema = z.looseObject({ error: ErrorCodeSchema });

export const ModelServiceRefSchema = z.looseObject({
  uuid: z.string().nullish(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  modelUuid: z.string().nullish(),
  modelServiceUuid: z.string().nullish(),
  createDate: z.string().nullish(),
  lastOpDate: z.string().nullish(),
});
export type ModelServiceRef = z.infer<typeof ModelServiceRefSchema>;

const longSchema = z.union([z.string().regex(/^-?\d+$/), z.number().int()]).nullish();

/**
 * ModelInventory, every field of seed 004 (Long fields as decimal strings: see parseJsonLossless).
 * The full schema is for the simulator and tests; replies go through checkModelInventory.
 */
export const ModelInventorySchema = z.looseObject({
  uuid: z.string().regex(UUID_PATTERN),
  name: z.string(),
  description: z.string().nullish(),
  installPath: z.string().nullish(),
  parameters: z.string().nullish(),
  modelCenterUuid: z.string().nullish(),
  logo: z.string().nullish(),
  vendor: z.string().nullish(),
  modelId: z.string().nullish(),
  introduction: z.string().nullish(),
  size: longSchema,
  version: z.string().nullish(),
  type: z.string().nullish(),
  minGpuMemory: longSchema,
  recommendedGpuMemory: longSchema,
  recommendedGpuNum: z.array(z.number().int()).nullish(),
  gpuConstraintDescription: z.string().nullish(),
  versionSemver: z.string().nullish(),
  isLatestVersion: z.boolean().nullish(),
  artifactChecksum: z.string().nullish(),
  artifactSizeBytes: longSchema,
  architectureType: z.string().nullish(),
  frameworkVersion: z.string().nullish(),
  requiredAccelerator: z.string().nullish(),
  pipelineTag: z.string().nullish(),
  modelServiceRefs: z.array(ModelServiceRefSchema).nullish(),
  extraGpuMemRequest: longSchema,
  SAMPLE_SIZE: z.number().int().nullish(),
  createDate: z.string().nullish(),
  lastOpDate: z.string().nullish(),
});

/** A ModelInventory as the adapter keeps it: Long fields as exact decimal strings. */
export interface ModelInventory {
  uuid: string;
  name: string;
  description?: string | null;
  installPath?: string | null;
  parameters?: string | null;
  modelCenterUuid?: string | null;
  logo?: string | null;
  vendor?: string | null;
  modelId?: string | null;
  introduction?: string | null;
  size?: string | null;
  version?: string | null;
  type?: string | null;
  minGpuMemory?: string | null;
  recommendedGpuMemory?: string | null;
  recommendedGpuNum?: number[] | null;
  gpuConstraintDescription?: string | null;
  versionSemver?: string | null;
  isLatestVersion?: boolean | null;
  artifactChecksum?: string | null;
  artifactSizeBytes?: string | null;
  architectureType?: string | null;
  frameworkVersion?: string | null;
  requiredAccelerator?: string | null;
  pipelineTag?: string | null;
  modelServiceRefs?: ModelServiceRef[] | null;
  extraGpuMemRequest?: string | null;
  SAMPLE_SIZE?: number | null;
  createDate?: string | null;
  lastOpDate?: string | null;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

type Kind = 'str' | 'long' | 'int' | 'bool' | 'intList' | 'refs';
const INVENTORY_KINDS: [keyof ModelInventory, Kind][] = [
  ['description', 'str'],
  ['installPath', 'str'],
  ['parameters', 'str'],
  ['modelCenterUuid', 'str'],
  ['logo', 'str'],
  ['vendor', 'str'],
  ['modelId', 'str'],
  ['introduction', 'str'],
  ['size', 'long'],
  ['version', 'str'],
  ['type', 'str'],
  ['minGpuMemory', 'long'],
  ['recommendedGpuMemory', 'long'],
  ['recommendedGpuNum', 'intList'],
  ['gpuConstraintDescription', 'str'],
  ['versionSemver', 'str'],
  ['isLatestVersion', 'bool'],
  ['artifactChecksum', 'str'],
  ['artifactSizeBytes', 'long'],
  ['architectureType', 'str'],
  ['frameworkVersion', 'str'],
  ['requiredAccelerator', 'str'],
  ['pipelineTag', 'str'],
  ['modelServiceRefs', 'refs'],
  ['extraGpuMemRequest', 'long'],
  ['SAMPLE_SIZE', 'int'],
  ['createDate', 'str'],
  ['lastOpDate', 'str'],
];

function kindOk(kind: Kind, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  switch (kind) {
    case 'str':
      return typeof v === 'string';
    case 'long':
      return longText(v) !== undefined;
    case 'int':
      return Number.isInteger(v);
    case 'bool':
      return typeof v === 'boolean';
    case 'intList':
      return Array.isArray(v) && v.every((x) => Number.isInteger(x));
    case 'refs':
      return Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
  }
}

/**
 * The hot-path check of one ModelInventory (a compiled loop, no zod on success). Long fields
 * that arrived as safe JS numbers are normalised to decimal strings.
 */
export function checkModelInventory(v: unknown): Checked<ModelInventory> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, problem: 'inventory is not an object' };
  const d = v as Record<string, unknown>;
  if (typeof d.uuid !== 'string' || !UUID_PATTERN.test(d.uuid)) return { ok: false, problem: 'uuid: expected a 32-hex uuid' };
  if (typeof d.name !== 'string') return { ok: false, problem: 'name: expected a string' };
  for (const [field, kind] of INVENTORY_KINDS) {
    if (!kindOk(kind, d[field])) return { ok: false, problem: `${field}: unexpected ${typeof d[field]}` };
  }
  for (const f of LONG_FIELDS) if (typeof d[f] === 'number') d[f] = String(d[f]);
  return { ok: true, value: d as unknown as ModelInventory };
}

/** Query reply (CONVENTIONS.md 3.3): `{"inventories": [...], "total"?: n, "schema"?: {...}}`. */
export function checkQueryReply(v: unknown): Checked<{ inventories: unknown[]; total?: number }> {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const r = v as Record<string, unknown>;
    if (Array.isArray(r.inventories) && (r.total === undefined || r.total === null || Number.isInteger(r.total))) {
      return { ok: true, value: r as { inventories: unknown[]; total?: number } };
    }
  }
  return { ok: false, problem: 'expected {"inventories": [...]}' };
}

/** `{"total": n}` — a query with `count=true`. */
export const CountReplySchema = z.looseObject({ total: z.number().int() });

/** UpdateModel 200 reply (seed 004): `success` and `error` may be absent (CONVENTIONS.md 3.6). */
export const UpdateModelReplySchema = z.looseObject({
  success: z.union([z.boolean(), z.string()]).nullish(),
  error: ErrorCodeSchema.nullish(),
  inventory: z.unknown().optional(),
});

/** 202 of an async API (CONVENTIONS.md 3.4). */
export const AsyncJobReplySchema = z.looseObject({ location: z.string().min(1), apiTimeout: z.number().nullish() });

/** `PUT /zstack/v1/accounts/login` body (CONVENTIONS.md 3.2). */
export const LogInByAccountBodySchema = z
  .object({
    logInByAccount: z.object({
      accountName: z.string().min(1),
      password: z.string().regex(/^[0-9a-f]{128}$/, 'password must be the lower-case hex SHA-512 of the plain password'),
    }),
    systemTags: z.array(z.string()).optional(),
    userTags: z.array(z.string()).optional(),
  })
  .strict();

/** SessionInventory of the login reply (CONVENTIONS.md 3.2). */
export const LoginReplySchema = z.looseObject({
  inventory: z.looseObject({
    uuid: z.string().min(1),
    accountUuid: z.string().nullish(),
    userUuid: z.string().nullish(),
    expiredDate: z.string().nullish(),
    createDate: z.string().nullish(),
  }),
});

/**
 * UserTagInventory of `GET /zstack/v1/user-tags`.
 * ASSUMPTION(CONVENTIONS.md 3.6): a model's user tags are ZStack user tags on resourceType
 * `ModelVO` (ModelInventory itself carries no tags), read with the standard query API.
 */
export const UserTagInventorySchema = z.looseObject({
  uuid: z.string().nullish(),
  resourceUuid: z.string(),
  resourceType: z.string().nullish(),
  tag: z.string(),
  type: z.string().nullish(),
  createDate: z.string().nullish(),
  lastOpDate: z.string().nullish(),
});
export type UserTagInventory = z.infer<typeof UserTagInventorySchema>;

export const MODEL_RESOURCE_TYPE = 'ModelVO';

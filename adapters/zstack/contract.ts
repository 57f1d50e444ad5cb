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

// ---------------------------------------------------------------------------------------------
// Gson dates (CONVENTIONS.md 3.3): "Jan 6, 2017 3:51:16 AM"

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// Newer JDKs put a narrow no-break space (U+202F) before AM/PM.
const GSON_DATE = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})[\s\u202f\u00a0]*(AM|PM)$/i;

/**
 * Parses a Gson date leniently (also ISO-8601 and epoch milliseconds). Gson writes the
 * management node's local time without a zone.
 * ASSUMPTION(A13): the management node runs in UTC.
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
 * A string of at most `max` UTF-16 code units: ZStack checks lengths with Java's `String.length()`,
 * while zod's `.max()` counts code points (a 200-emoji name is 200 to zod, 400 to ZStack).
 */
export const javaString = (max: number, min = 0, emptyMessage?: string) =>
  z.string().superRefine((s, ctx) => {
    if (s.length < min) ctx.addIssue({ code: 'too_small', origin: 'string', minimum: min, inclusive: true, input: s, message: emptyMessage ?? `at least ${min} characters` });
    else if (s.length > max) {
      ctx.addIssue({ code: 'too_big', origin: 'string', maximum: max, inclusive: true, input: s, message: `at most ${max} UTF-16 code units (ZStack counts as Java does); got ${s.length}` });
    }
  });

/**
 * The body fields of UpdateModel, as the page's request example shows them. The page gives the
 * types (every field optional; `recommendedGpuNum` a string; `clearDefaultModelService` a
 * boolean); the lengths and patterns are ZStack-wide API rules.
 * ASSUMPTION(A3, A4; README table): name/modelId/vendor ≤ 255 and not empty, description and the
 * other free texts ≤ 2048 (ZStack's `@APIParam(maxLength)` on resource names/descriptions),
 * uuid references are ZStack uuids, `recommendedGpuNum` is a comma list of GPU counts ("1,2,4",
 * the string form of the inventory's integer list), tags are non-empty strings.
 */
export const UpdateModelFieldsSchema = z
  .object({
    name: javaString(255, 1, 'name cannot be an empty string'),
    installPath: javaString(2048, 1, 'installPath cannot be an empty string'),
    description: javaString(2048),
    vendor: javaString(255, 1, 'vendor cannot be an empty string'),
    parameters: javaString(65535),
    modelCenterUuid: uuidField('modelCenterUuid'),
    modelClassifications: z.array(javaString(255, 1, 'a model classification cannot be empty')),
    recommendedGpuNum: z
      .string()
      .regex(/^[1-9]\d{0,3}(,[1-9]\d{0,3})*$/, 'recommendedGpuNum must be a comma-separated list of GPU counts, e.g. "1,2,4"'),
    gpuConstraintDescription: javaString(2048),
    modelId: javaString(255, 1, 'modelId cannot be an empty string'),
    defaultModelServiceUuid: uuidField('defaultModelServiceUuid'),
    clearDefaultModelService: z.boolean(),
  })
  .partial()
  .strict();

const TagsSchema = z.array(javaString(2048, 1, 'a tag cannot be empty'));

/** The flat UpdateModel body of seed 004's request example. */
export const UpdateModelBodySchema = UpdateModelFieldsSchema.extend({
  systemTags: TagsSchema.optional(),
  userTags: TagsSchema.optional(),
})
  .strict()
  .refine((b) => !(b.clearDefaultModelService === true && b.defaultModelServiceUuid !== undefined), {
    // ASSUMPTION(A5): setting and clearing the default model service at once is contradictory.
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

/** ErrorCode (seed 004 `error`; CONVENTIONS.md 3.5), recursive through `cause`. */
export const ErrorCodeSchema = z.looseObject({
  code: z.string(),
  description: z.string().nullish(),
  details: z.string().nullish(),
  elaboration: z.string().nullish(),
  opaque: z.record(z.string(), z.unknown()).nullish(),
  get cause() {
    return ErrorCodeSchema.nullish();
  },
});
export type ZStackErrorCode = z.infer<typeof ErrorCodeSchema>;

/** `{"error": ErrorCode}` — the body of a 503 and of a failed job (CONVENTIONS.md 3.5). */
export const ErrorReplySchema = z.looseObject({ error: ErrorCodeSchema });

// Reading is more tolerant than writing: a stored value of the wrong type degrades to null
// instead of making the model (or its list) unreadable; write rules (lengths, patterns) never apply.
const text = z.string().nullish().catch(null);

/**
 * A Java `Long` (seed 004): a JSON integer, or a decimal string (ZStack writes values beyond 2^53
 * as strings; parseJsonLossless quotes long literals). Kept exact as a decimal string.
 */
const long = z
  .union([z.string().regex(/^-?\d{1,19}$/), z.number().int(), z.bigint()])
  .transform((v) => String(v))
  .nullish()
  .catch(null);

export const ModelServiceRefSchema = z.looseObject({
  uuid: text,
  name: text,
  description: text,
  modelUuid: text,
  modelServiceUuid: text,
  createDate: text,
  lastOpDate: text,
});
export type ModelServiceRef = z.infer<typeof ModelServiceRefSchema>;

/**
 * ModelInventory, every field of seed 004 — the one definition of the reply shape (the type is
 * its z.infer). Only `uuid` must be right (it is the key); a `name` of the wrong type reads as
 * empty, any other field of the wrong type as null.
 */
export const ModelInventorySchema = z.looseObject({
  uuid: z.string().regex(UUID_PATTERN),
  name: z.string().catch(''),
  description: text,
  installPath: text,
  parameters: text,
  modelCenterUuid: text,
  logo: text,
  vendor: text,
  modelId: text,
  introduction: text,
  size: long,
  version: text,
  type: text,
  minGpuMemory: long,
  recommendedGpuMemory: long,
  recommendedGpuNum: z.array(z.number().int()).nullish().catch(null),
  gpuConstraintDescription: text,
  versionSemver: text,
  isLatestVersion: z.boolean().nullish().catch(null),
  artifactChecksum: text,
  artifactSizeBytes: long,
  architectureType: text,
  frameworkVersion: text,
  requiredAccelerator: text,
  pipelineTag: text,
  modelServiceRefs: z
    .array(z.unknown())
    .transform((refs) => refs.flatMap((r) => {
      const p = ModelServiceRefSchema.safeParse(r);
      return p.success ? [p.data] : [];
    }))
    .nullish()
    .catch(null),
  extraGpuMemRequest: long,
  SAMPLE_SIZE: z.number().int().nullish().catch(null),
  createDate: text,
  lastOpDate: text,
});

/** A ModelInventory as the adapter keeps it: Long fields as exact decimal strings. */
export type ModelInventory = z.infer<typeof ModelInventorySchema>;

/** Query reply (CONVENTIONS.md 3.3): `{"inventories": [...], "total"?: n, "schema"?: {...}}`; items are checked one by one. */
export const QueryReplySchema = z.looseObject({
  inventories: z.array(z.unknown()),
  total: z.number().int().nullish(),
});

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
 * ASSUMPTION(A9): a model's user tags are ZStack user tags on resourceType
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

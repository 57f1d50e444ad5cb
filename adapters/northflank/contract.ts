/**
 * Northflank API v1 "AI models" (llm-model-deployments), in Northflank's own field names.
 * Update body: seeds 000/001. Resource: seed 002 and CONVENTIONS.md 1.4. Envelopes: CONVENTIONS.md 1.3/1.5.
 */
import { z } from 'zod';
import * as R from '../../src/domain/reader.js';

export const NAME_PATTERN = /^[a-zA-Z0-9]+((-|\s)[a-zA-Z0-9]+)*$/;
export const DESCRIPTION_PATTERN = /^[\s\S]*$/;
export const TAG_PATTERN = /^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$/;
export const PORT_NAME_PATTERN = /^[a-zA-Z](-?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)?$/;
export const STORAGE_CLASS_PATTERN = /^[a-zA-Z](-?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)?$/;
/**
 * Project and AI model ids. CONVENTIONS.md 1.2: ids are slugified names (lower-case, spaces → `-`);
 * applied to the name pattern of seed 000 (letters/digits joined by single `-` or spaces, ≤100)
 * that gives lower-case letters and digits joined by single `-`, at most 100 characters.
 */
export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const SLUG_MAX_LENGTH = 100;

export const PROTOCOLS = ['HTTP', 'HTTP/2', 'TCP', 'UDP'] as const;
export const ENGINES = ['vllm'] as const;
export const ACCESS_MODES = ['ReadWriteMany'] as const;
export const ARCHITECTURE_TYPES = ['aggregated'] as const;
export const DATA_TYPES = ['auto', 'float16', 'bfloat16'] as const;
export const KV_CACHE_DATA_TYPES = ['fp8', 'fp8_e5m2', 'fp8_e4m3'] as const;
export const QUANTIZATIONS = ['fp8', 'awq', 'gptq', 'int4'] as const;
export const STATUSES = ['pending', 'provisioning', 'starting', 'crashed', 'paused', 'running', 'deleting'] as const;
export type NorthflankStatusWord = (typeof STATUSES)[number];

// ---- Counting and integers ----

/**
 * Strings: Northflank does not say how it counts characters, so a length rule must hold both
 * ways a server may count, Unicode code points and UTF-16 code units (JavaScript `length`):
 * a 600-emoji description is 600 code points but 1200 units, over the 1024 of seed 000, and refused.
 */
export function text(rule: { min?: number; max?: number; pattern?: RegExp }) {
  const base = rule.pattern ? z.string().regex(rule.pattern) : z.string();
  return base.superRefine((v, ctx) => {
    const units = v.length;
    let points = 0;
    for (const _ of v) points++;
    if (rule.max !== undefined && Math.max(units, points) > rule.max) {
      ctx.addIssue({
        code: 'too_big',
        origin: 'string',
        maximum: rule.max,
        inclusive: true,
        input: v,
        message: `must be at most ${rule.max} characters, counted as code points (${points}) and as UTF-16 units (${units})`,
      });
    }
    if (rule.min !== undefined && Math.min(units, points) < rule.min) {
      ctx.addIssue({ code: 'too_small', origin: 'string', minimum: rule.min, inclusive: true, input: v, message: `must be at least ${rule.min} characters` });
    }
  });
}

/** Bounds of a signed 64-bit integer. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/**
 * A seed "(integer)" without a bound: a signed 64-bit integer, as a JSON number or (from the GraphQL
 * `BigInt` scalar) a bigint. `min` is where a rule gives one (sizes are not negative).
 */
export function int64(min: bigint = INT64_MIN) {
  return z.custom<number | bigint>(() => true).superRefine((v, ctx) => {
    let n: bigint;
    if (typeof v === 'bigint') n = v;
    else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
    else {
      ctx.addIssue({ code: 'invalid_type', expected: 'int', input: v, message: 'must be a whole number' });
      return;
    }
    if (n < min) ctx.addIssue({ code: 'too_small', origin: 'number', minimum: min, inclusive: true, input: v, message: `must be at least ${min}` });
    else if (n > INT64_MAX) ctx.addIssue({ code: 'too_big', origin: 'number', maximum: INT64_MAX, inclusive: true, input: v, message: 'must fit in a signed 64-bit integer' });
  });
}

// ASSUMPTION(seed/update-request.schema.json `size`): a size in megabytes is not negative.
const size = () => int64(0n);

// ---- Update request body (seeds 000/001): every field optional, unknown keys refused. ----

export const NameSchema = text({ min: 3, max: 100, pattern: NAME_PATTERN });
export const DescriptionSchema = text({ max: 1024, pattern: DESCRIPTION_PATTERN });
export const TagSchema = text({ min: 3, max: 100, pattern: TAG_PATTERN });

export const PortInputSchema = z.strictObject({
  name: text({ min: 1, max: 8, pattern: PORT_NAME_PATTERN }),
  // Seed 001 adds min 1 / max 65535 (seed 000 only says integer).
  internalPort: z.number().int().min(1).max(65535),
  public: z.boolean().optional(),
  domains: z.array(z.string()).optional(),
  disableNfDomain: z.boolean().optional(),
  protocol: z.enum(PROTOCOLS),
});

export const GpuConfigurationSchema = z.strictObject({
  gpuType: z.string().optional(),
  gpuCount: int64().optional(),
  timesliced: z.boolean().optional(),
});

export const GpuSchema = z.strictObject({ enabled: z.boolean().optional(), configuration: GpuConfigurationSchema.optional() });

/** Paths (inside the update body) where an explicit null is sent: `shmSize` is `number | null` (CONVENTIONS.md 1.4 item 3). */
export const NULLABLE_PATHS = [['spec', 'configuration', 'nodeConfiguration', 'storage', 'shmSize']] as const;

export const StorageInputSchema = z.strictObject({
  accessMode: z.enum(ACCESS_MODES).optional(),
  storageClass: text({ min: 3, max: 39, pattern: STORAGE_CLASS_PATTERN }).optional(),
  // Required on create and in GET, optional on update (CONVENTIONS.md 1.4 item 2).
  storageSize: size().optional(),
  shmSize: size().nullable().optional(),
});

export const MaxModelLengthSchema = z.union([z.literal('auto'), int64()]);

export const WorkerConfigSchema = z.strictObject({
  replicas: int64().optional(),
  parallelismConfig: z
    .strictObject({
      tensorParallelism: int64().optional(),
      pipelineParallelism: int64().optional(),
      expertParallelism: int64().optional(),
    })
    .optional(),
  sequenceLengthConfig: z
    .strictObject({
      maxModelLength: MaxModelLengthSchema.optional(),
      maxInputLength: int64().optional(),
      maxOutputLength: int64().optional(),
    })
    .optional(),
  batchingConfig: z
    .strictObject({
      maxNumSeqs: int64().optional(),
      maxNumBatchedTokens: int64().optional(),
    })
    .optional(),
  enableChunkedPrefill: z.boolean().optional(),
  enablePrefixCaching: z.boolean().optional(),
  enforceEager: z.boolean().optional(),
  enableAsyncScheduling: z.boolean().optional(),
  gpuMemoryUtilization: z.number().optional(),
  trustRemoteCode: z.boolean().optional(),
  dataType: z.enum(DATA_TYPES).optional(),
  kvCacheDataType: z.enum(KV_CACHE_DATA_TYPES).optional(),
  quantization: z.enum(QUANTIZATIONS).optional(),
});

export const ConfigurationInputSchema = z.strictObject({
  name: z.string().optional(),
  engine: z.enum(ENGINES).optional(),
  revision: z.string().optional(),
  nodeConfiguration: z
    .strictObject({
      gpu: GpuSchema.optional(),
      storage: StorageInputSchema.optional(),
    })
    .optional(),
  architecture: z
    .strictObject({
      type: z.enum(ARCHITECTURE_TYPES).optional(),
      workerConfig: WorkerConfigSchema.optional(),
    })
    .optional(),
});

/** The fields the gateway's common input maps to (`name`, `description`, `tags`). */
export const CommonFieldsSchema = z.strictObject({
  name: NameSchema.optional(),
  description: DescriptionSchema.optional(),
  tags: z.array(TagSchema).optional(),
});

/** The gateway's `northflank` update block: the rest of the update body. */
export const VendorBlockSchema = z.strictObject({
  ports: z.array(PortInputSchema).optional(),
  // The update body has no `spec.type` (CONVENTIONS.md 1.4 item 2).
  spec: z.strictObject({ configuration: ConfigurationInputSchema.optional() }).optional(),
});

/** `POST /v1/projects/{projectId}/llm-model-deployments/{llmModelDeploymentId}` body (seeds 000/001). */
export const UpdateBodySchema = z.strictObject({ ...CommonFieldsSchema.shape, ...VendorBlockSchema.shape });

export type NorthflankUpdateBody = z.infer<typeof UpdateBodySchema>;
export type NorthflankVendorBlock = z.infer<typeof VendorBlockSchema>;
export type NorthflankPortInput = z.infer<typeof PortInputSchema>;
export type NorthflankConfigurationInput = z.infer<typeof ConfigurationInputSchema>;

// ---- The resource as returned (seed 002, CONVENTIONS.md 1.4): read leniently. ----
//
// Reading is more tolerant than writing: a value no update could write (a negative size, a status
// word seed 002 does not list) is still read; a detail field of the wrong type reads as absent
// instead of failing the deployment. Only what identifies a deployment is required.

/** An optional field whose wrong-typed value reads as absent. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const wholeNumber = z.number().refine(Number.isInteger);

export const PortSchema = z.looseObject({
  id: lenient(z.string()),
  name: lenient(z.string()),
  internalPort: lenient(wholeNumber),
  protocol: lenient(z.string()),
  public: lenient(z.boolean()),
  dns: lenient(z.string()),
  disableNfDomain: lenient(z.boolean()),
});

export const StorageSchema = z.looseObject({
  accessMode: lenient(z.string()),
  storageClass: lenient(z.string()),
  storageSize: lenient(wholeNumber),
  shmSize: lenient(wholeNumber.nullable()),
});

export const ConfigurationSchema = z.looseObject({
  name: lenient(z.string()),
  engine: lenient(z.string()),
  revision: lenient(z.string()),
  nodeConfiguration: lenient(
    z.looseObject({
      gpu: lenient(
        z.looseObject({
          enabled: lenient(z.boolean()),
          configuration: lenient(z.looseObject({ gpuType: lenient(z.string()), gpuCount: lenient(wholeNumber), timesliced: lenient(z.boolean()) })),
        }),
      ),
      storage: lenient(StorageSchema),
    }),
  ),
  architecture: lenient(z.looseObject({ type: lenient(z.string()), workerConfig: lenient(z.looseObject({})) })),
});

/** One AI model as GET and list return it (seed 002). The single definition of the read shape. */
// In the order the vendor sends the fields (seed 002's example replies, the simulator's
// transcription), which is the order zod gives them back in: a reply that keeps its contract is
// then read as it is, without a copy (src/domain/reader.ts).
export const DeploymentSchema = z.looseObject({
  name: lenient(z.string()),
  description: lenient(z.string()),
  tags: lenient(z.array(z.string())),
  spec: lenient(z.looseObject({ type: lenient(z.string()), configuration: lenient(ConfigurationSchema) })),
  id: z.string(),
  projectId: z.string(),
  entityId: lenient(z.string()),
  entityType: lenient(z.string()),
  creatorId: lenient(z.string()),
  dns: lenient(z.looseObject({ base: z.string(), zone: z.string() })),
  ports: lenient(z.array(PortSchema)),
  // Kept as sent: an unknown word maps to UNKNOWN with the word in vendorStatus (mapping.ts).
  status: lenient(z.string()),
  deploymentConfiguration: lenient(z.looseObject({ id: z.string(), createdAt: lenient(z.string()) })),
  createdAt: lenient(z.string()),
  updatedAt: lenient(z.string()),
});

export type NorthflankDeployment = z.infer<typeof DeploymentSchema>;
export type NorthflankPort = z.infer<typeof PortSchema>;

// The same shape as a reader for the hot path (src/domain/reader.ts): every list item goes
// through it; reader.test.ts holds it to DeploymentSchema on generated replies.
const port = R.looseObject({
  id: R.lenient(R.string),
  name: R.lenient(R.string),
  internalPort: R.lenient(R.wholeNumber),
  protocol: R.lenient(R.string),
  public: R.lenient(R.boolean),
  dns: R.lenient(R.string),
  disableNfDomain: R.lenient(R.boolean),
});
const storage = R.looseObject({
  accessMode: R.lenient(R.string),
  storageClass: R.lenient(R.string),
  storageSize: R.lenient(R.wholeNumber),
  shmSize: R.lenient(R.nullable(R.wholeNumber)),
});
const configuration = R.looseObject({
  name: R.lenient(R.string),
  engine: R.lenient(R.string),
  revision: R.lenient(R.string),
  nodeConfiguration: R.lenient(
    R.looseObject({
      gpu: R.lenient(
        R.looseObject({
          enabled: R.lenient(R.boolean),
          configuration: R.lenient(R.looseObject({ gpuType: R.lenient(R.string), gpuCount: R.lenient(R.wholeNumber), timesliced: R.lenient(R.boolean) })),
        }),
      ),
      storage: R.lenient(storage),
    }),
  ),
  architecture: R.lenient(R.looseObject({ type: R.lenient(R.string), workerConfig: R.lenient(R.looseObject({})) })),
});
const deployment = R.looseObject({
  name: R.lenient(R.string),
  description: R.lenient(R.string),
  tags: R.lenient(R.array(R.string)),
  spec: R.lenient(R.looseObject({ type: R.lenient(R.string), configuration: R.lenient(configuration) })),
  id: R.required(R.string),
  projectId: R.required(R.string),
  entityId: R.lenient(R.string),
  entityType: R.lenient(R.string),
  creatorId: R.lenient(R.string),
  dns: R.lenient(R.looseObject({ base: R.required(R.string), zone: R.required(R.string) })),
  ports: R.lenient(R.array(port)),
  status: R.lenient(R.string),
  deploymentConfiguration: R.lenient(R.looseObject({ id: R.required(R.string), createdAt: R.lenient(R.string) })),
  createdAt: R.lenient(R.string),
  updatedAt: R.lenient(R.string),
});

/** DeploymentSchema's reading of `v` by the hot-path reader: the same value, or FAIL where zod fails. */
export const readDeploymentFast = deployment as R.Reader<NorthflankDeployment>;

const describeIssue = (e: z.ZodError) => {
  const i = e.issues[0]!;
  return `${i.path.length ? i.path.join('.') : 'the value'}: ${i.message}`;
};

/** The resource, or the reason it cannot be read at all (no id or projectId). */
export function readDeployment(v: unknown): NorthflankDeployment | string {
  const d = readDeploymentFast(v);
  if (d !== R.FAIL) return d;
  // Only what cannot be read pays for zod, which names the first problem.
  const r = DeploymentSchema.safeParse(v);
  return r.success ? r.data : describeIssue(r.error);
}


/** `{"data": {"llmModelDeployments": [...]}, "pagination": {hasNextPage, cursor?, count}}` (CONVENTIONS.md 1.3); items are read one by one. */
export const ListReplySchema = z.object({
  data: z.object({ llmModelDeployments: z.array(z.unknown()) }),
  pagination: z
    .object({ hasNextPage: z.boolean(), cursor: z.string().optional(), count: z.number().optional() })
    .refine((p) => !p.hasNextPage || (p.cursor !== undefined && p.cursor !== ''), 'says hasNextPage without a cursor'),
});

export interface NorthflankListReply {
  /** The items that could be read. */
  items: NorthflankDeployment[];
  /** Items that could not (no id or projectId), by position, with the reason. */
  unreadable: { index: number; problem: string }[];
  pagination: z.infer<typeof ListReplySchema>['pagination'];
}

/** `{"data": {...}}` (CONVENTIONS.md 1.3): the resource under `data`, read as readDeployment reads it. */
export function checkGetReply(body: unknown): { data: NorthflankDeployment } | string {
  const data = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { data?: unknown }).data : undefined;
  if (typeof data !== 'object' || data === null) return 'has no data object';
  const d = readDeployment(data);
  return typeof d === 'string' ? `data ${d}` : { data: d };
}

export function checkListReply(body: unknown): NorthflankListReply | string {
  const r = ListReplySchema.safeParse(body);
  if (!r.success) return `has ${describeIssue(r.error)}`;
  const items: NorthflankDeployment[] = [];
  const unreadable: NorthflankListReply['unreadable'] = [];
  r.data.data.llmModelDeployments.forEach((raw, index) => {
    const d = readDeployment(raw);
    if (typeof d === 'string') unreadable.push({ index, problem: d });
    else items.push(d);
  });
  return { items, unreadable, pagination: r.data.pagination };
}

/** `{"error": {"status"?, "message", "id"?, "details"?}}` (CONVENTIONS.md 1.5). */
export const ErrorBodySchema = z.object({
  error: z.looseObject({ status: z.number().optional(), message: z.string(), id: z.string().optional(), details: z.unknown().optional() }),
});
export type NorthflankErrorBody = z.infer<typeof ErrorBodySchema>;

/**
 * Validation `details` of a 400 (ASSUMPTION(CONVENTIONS.md 1.5)): `[{path, message}]`, `path`
 * dotted (`ports.0.internalPort`) or an array.
 */
export const ValidationDetailsSchema = z.array(
  z.looseObject({ path: z.union([z.string(), z.array(z.union([z.string(), z.number()]))]), message: z.string() }),
);

export function readErrorBody(text: string): NorthflankErrorBody['error'] | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = ErrorBodySchema.safeParse(body);
  return r.success ? r.data.error : undefined;
}

/**
 * Northflank API v1 "AI models" (llm-model-deployments), in Northflank's own field names.
 * Update body: seeds 000/001. Resource: seed 002 and CONVENTIONS.md 1.4. Envelopes: CONVENTIONS.md 1.3/1.5.
 */
import { z } from 'zod';

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

const int = () => z.number().int();

// ---- Update request body (seeds 000/001): every field optional, unknown keys refused. ----

export const NameSchema = z.string().min(3).max(100).regex(NAME_PATTERN);
export const DescriptionSchema = z.string().max(1024).regex(DESCRIPTION_PATTERN);
export const TagSchema = z.string().min(3).max(100).regex(TAG_PATTERN);

export const PortInputSchema = z.strictObject({
  name: z.string().min(1).max(8).regex(PORT_NAME_PATTERN),
  // Seed 001 adds min 1 / max 65535 (seed 000 only says integer).
  internalPort: int().min(1).max(65535),
  public: z.boolean().optional(),
  domains: z.array(z.string()).optional(),
  disableNfDomain: z.boolean().optional(),
  protocol: z.enum(PROTOCOLS),
});

export const GpuConfigurationSchema = z.strictObject({
  gpuType: z.string().optional(),
  gpuCount: int().optional(),
  timesliced: z.boolean().optional(),
});

export const GpuSchema = z.strictObject({ enabled: z.boolean().optional(), configuration: GpuConfigurationSchema.optional() });

export const StorageInputSchema = z.strictObject({
  accessMode: z.enum(ACCESS_MODES).optional(),
  storageClass: z.string().min(3).max(39).regex(STORAGE_CLASS_PATTERN).optional(),
  // Required on create and in GET, optional on update (CONVENTIONS.md 1.4 item 2).
  storageSize: int().optional(),
  // `number | null` in the JS client types (CONVENTIONS.md 1.4 item 3).
  shmSize: int().nullable().optional(),
});

export const MaxModelLengthSchema = z.union([int(), z.literal('auto')]);

export const WorkerConfigSchema = z.strictObject({
  replicas: int().optional(),
  parallelismConfig: z
    .strictObject({
      tensorParallelism: int().optional(),
      pipelineParallelism: int().optional(),
      expertParallelism: int().optional(),
    })
    .optional(),
  sequenceLengthConfig: z
    .strictObject({
      maxModelLength: MaxModelLengthSchema.optional(),
      maxInputLength: int().optional(),
      maxOutputLength: int().optional(),
    })
    .optional(),
  batchingConfig: z
    .strictObject({
      maxNumSeqs: int().optional(),
      maxNumBatchedTokens: int().optional(),
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

/**
 * `POST /v1/projects/{projectId}/llm-model-deployments` body: `name` and `spec` with `type: custom`
 * required, `storageSize` required inside `storage` (CONVENTIONS.md 1.4 item 1).
 */
export const CreateBodySchema = z.strictObject({
  ...CommonFieldsSchema.shape,
  name: NameSchema,
  ports: VendorBlockSchema.shape.ports,
  spec: z.strictObject({
    type: z.literal('custom'),
    configuration: ConfigurationInputSchema.extend({
      nodeConfiguration: z
        .strictObject({
          gpu: GpuSchema.optional(),
          storage: StorageInputSchema.extend({ storageSize: int() }).optional(),
        })
        .optional(),
    }),
  }),
});
export type NorthflankCreateBody = z.infer<typeof CreateBodySchema>;

// ---- The resource as returned (seed 002, CONVENTIONS.md 1.4). ----

const StorageSchema = StorageInputSchema.extend({ storageSize: int() });

/**
 * The full resource of seed 002. Used by tests and by the simulator to check what it serves;
 * the adapter's hot path uses the cheap `checkDeployment` below instead.
 */
export const DeploymentSchema = z.looseObject({
  name: NameSchema,
  description: DescriptionSchema.optional(),
  tags: z.array(TagSchema).optional(),
  spec: z.looseObject({
    type: z.literal('custom'),
    configuration: ConfigurationInputSchema.extend({
      nodeConfiguration: z
        .strictObject({
          gpu: GpuSchema.optional(),
          storage: StorageSchema.optional(),
        })
        .optional(),
    }).optional(),
  }),
  id: z.string(),
  projectId: z.string(),
  entityId: z.string(),
  entityType: z.enum(['user', 'team', 'org']),
  creatorId: z.string(),
  dns: z.object({ base: z.string().regex(/^([a-zA-Z0-9-]{2,}\.){2,}[a-zA-Z]{2,}$/), zone: z.string() }),
  ports: z.array(
    z.object({
      id: z.string().regex(/^[a-z]-?[a-z0-9]+(-[a-z0-9]+)*$/),
      name: z.string().regex(PORT_NAME_PATTERN),
      internalPort: int(),
      protocol: z.string(),
      public: z.boolean(),
      dns: z.string().optional(),
      disableNfDomain: z.boolean().optional(),
    }),
  ),
  status: z.enum(STATUSES),
  deploymentConfiguration: z.object({ id: z.string(), createdAt: z.iso.datetime().optional() }).optional(),
  createdAt: z.iso.datetime().optional(),
  updatedAt: z.iso.datetime().optional(),
});

export interface NorthflankPort {
  id: string;
  name: string;
  internalPort: number;
  protocol: string;
  public: boolean;
  dns?: string;
  disableNfDomain?: boolean;
}

/** The resource as the adapter reads it. Only the fields it maps are checked (checkDeployment). */
export interface NorthflankDeployment {
  name: string;
  description?: string;
  tags?: string[];
  spec?: {
    type?: 'custom';
    configuration?: Omit<NorthflankConfigurationInput, 'nodeConfiguration'> & {
      nodeConfiguration?: {
        gpu?: { enabled?: boolean; configuration?: { gpuType?: string; gpuCount?: number; timesliced?: boolean } };
        storage?: { accessMode?: string; storageClass?: string; storageSize?: number; shmSize?: number | null };
      };
    };
  };
  id: string;
  projectId: string;
  entityId?: string;
  entityType?: string;
  creatorId?: string;
  dns?: { base: string; zone: string };
  ports?: NorthflankPort[];
  status: string;
  deploymentConfiguration?: { id: string; createdAt?: string };
  createdAt?: string;
  updatedAt?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optStr = (v: unknown) => v === undefined || typeof v === 'string';
const optNum = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v));
const optObj = (v: unknown) => v === undefined || isObj(v);

/**
 * Cheap structural check of one resource (hot path: every list item). Checks what mapping.ts
 * reads; the GraphQL detail fields read the rest defensively. Returns the problem, or null.
 */
export function checkDeployment(v: unknown): string | null {
  if (!isObj(v)) return 'is not an object';
  if (typeof v.id !== 'string') return 'has no string id';
  if (typeof v.projectId !== 'string') return 'has no string projectId';
  if (typeof v.name !== 'string') return 'has no string name';
  if (typeof v.status !== 'string') return 'has no string status';
  if (!optStr(v.description) || !optStr(v.createdAt) || !optStr(v.updatedAt)) return 'has a non-string description or date';
  if (v.tags !== undefined && !(Array.isArray(v.tags) && v.tags.every((t) => typeof t === 'string'))) return 'has tags that are not strings';
  if (v.ports !== undefined && !(Array.isArray(v.ports) && v.ports.every(isObj))) return 'has ports that are not objects';
  if (!optObj(v.spec)) return 'has a spec that is not an object';
  const conf = (v.spec as Record<string, unknown> | undefined)?.configuration;
  if (!optObj(conf)) return 'has a spec.configuration that is not an object';
  if (conf === undefined) return null;
  const c = conf as Record<string, unknown>;
  if (!optStr(c.name) || !optStr(c.revision) || !optStr(c.engine)) return 'has a non-string model name, revision or engine';
  if (!optObj(c.nodeConfiguration)) return 'has a nodeConfiguration that is not an object';
  const node = c.nodeConfiguration as Record<string, unknown> | undefined;
  if (!optObj(node?.gpu) || !optObj(node?.storage)) return 'has a gpu or storage that is not an object';
  const gpu = (node?.gpu as Record<string, unknown> | undefined)?.configuration;
  if (!optObj(gpu)) return 'has a gpu.configuration that is not an object';
  const g = gpu as Record<string, unknown> | undefined;
  if (!optStr(g?.gpuType) || !optNum(g?.gpuCount)) return 'has a non-string gpuType or non-number gpuCount';
  const size = (node?.storage as Record<string, unknown> | undefined)?.storageSize;
  if (size !== undefined && !(typeof size === 'number' && Number.isSafeInteger(size) && size >= 0)) return 'has a storageSize that is not a whole number';
  return null;
}

/** `{"data": {...}}` (CONVENTIONS.md 1.3). */
export function checkGetReply(body: unknown): { data: NorthflankDeployment } | string {
  if (!isObj(body) || !isObj(body.data)) return 'has no data object';
  const problem = checkDeployment(body.data);
  return problem ? `data ${problem}` : (body as { data: NorthflankDeployment });
}

export interface NorthflankListReply {
  data: { llmModelDeployments: NorthflankDeployment[] };
  pagination: { hasNextPage: boolean; cursor?: string; count: number };
}

/** `{"data": {"llmModelDeployments": [...]}, "pagination": {hasNextPage, cursor?, count}}` (CONVENTIONS.md 1.3). */
export function checkListReply(body: unknown): NorthflankListReply | string {
  if (!isObj(body) || !isObj(body.data)) return 'has no data object';
  const items = body.data.llmModelDeployments;
  if (!Array.isArray(items)) return 'has no data.llmModelDeployments array';
  for (let i = 0; i < items.length; i++) {
    const problem = checkDeployment(items[i]);
    if (problem) return `item ${i} ${problem}`;
  }
  const p = body.pagination;
  if (!isObj(p) || typeof p.hasNextPage !== 'boolean') return 'has no pagination.hasNextPage';
  if (p.hasNextPage && (typeof p.cursor !== 'string' || p.cursor === '')) return 'says hasNextPage without a cursor';
  return body as unknown as NorthflankListReply;
}

/** `{"error": {"status"?, "message", "id"?, "details"?}}` (CONVENTIONS.md 1.5). */
export interface NorthflankErrorBody {
  error: { status?: number; message: string; id?: string; details?: unknown };
}

export function readErrorBody(text: string): NorthflankErrorBody['error'] | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObj(body) || !isObj(body.error) || typeof body.error.message !== 'string') return undefined;
  return body.error as NorthflankErrorBody['error'];
}

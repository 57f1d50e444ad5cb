import { GraphQLScalarType, Kind } from 'graphql';
import { parseBigInt, serializeBigInt } from '../../src/graphql/bigint.js';
import { vendorDeploymentType, type CoreRefs, type GatewayBuilder } from '../../src/graphql/builder.js';
import { defineVendorGraphQL } from '../../src/graphql/vendor.js';
import type { NorthflankDeployment } from './contract.js';

type Obj = Record<string, unknown>;

// Readers for the raw payload: checkDeployment (contract.ts) checks only what mapping.ts reads,
// so detail fields of the wrong type read as null instead of failing the field.
const obj = (v: unknown): Obj | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 2 ** 31 - 1 ? v : null);
/** A seed "(integer)" without a bound: the `BigInt` scalar (a string of digits in answers). */
const whole = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const strList = (v: unknown): string[] | null => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : null);

function intOrAuto(v: unknown): bigint | string {
  if (v === 'auto') return v;
  if (typeof v === 'string' && !/^-?[0-9]+$/.test(v)) return v; // reaches zod (contract.ts), which names the field and the rule
  return parseBigInt(v);
}

/**
 * `maxModelLength` is `integer | "auto"` (seed 000). An integer is a signed 64-bit one, written
 * like the `BigInt` scalar: a string of digits ("8192"), so answers are "auto" or digits.
 */
export const IntOrAutoScalar = new GraphQLScalarType({
  name: 'NorthflankIntOrAuto',
  description:
    'The string "auto", or a signed 64-bit integer written like BigInt: a string of digits (Northflank `maxModelLength`, seed 000). Input also takes an integer literal or a whole number up to 2^53.',
  serialize: (v) => (v === 'auto' ? v : serializeBigInt(v)),
  parseValue: intOrAuto,
  parseLiteral(ast) {
    if (ast.kind === Kind.INT) return parseBigInt(ast.value, ast);
    if (ast.kind === Kind.STRING) return intOrAuto(ast.value);
    throw new TypeError('NorthflankIntOrAuto must be an integer or "auto"');
  },
});

/**
 * `NorthflankModelDeployment` (every field of seed 002; `id` of the resource is `llmModelDeploymentId`
 * here, as `id` is the gateway ID) and `NorthflankUpdateInput` (the `ports` and `spec` of seed 000).
 */
export function registerTypes(builder: GatewayBuilder, refs: CoreRefs) {
  // Pothos takes only the scalar names the core builder declares (src/graphql/builder.ts): a vendor's own is used as JSON (unknown in and out).
  const IntOrAuto = builder.addScalarType('NorthflankIntOrAuto' as never, IntOrAutoScalar) as unknown as 'JSON';

  // ---- output ----
  const DnsRef = builder.objectRef<Obj>('NorthflankDns').implement({
    description: 'DNS of the AI model (seed 002 `dns`).',
    fields: (t) => ({
      base: t.string({ nullable: true, resolve: (o) => str(o.base) }),
      zone: t.string({ nullable: true, resolve: (o) => str(o.zone) }),
    }),
  });

  const PortRef = builder.objectRef<Obj>('NorthflankPort').implement({
    description: 'A port of the AI model (seed 002 `ports[]`).',
    fields: (t) => ({
      id: t.string({ nullable: true, description: 'Identifies the port across requests.', resolve: (o) => str(o.id) }),
      name: t.string({ nullable: true, description: 'Used in the public URL and the UI.', resolve: (o) => str(o.name) }),
      internalPort: t.int({ nullable: true, resolve: (o) => int(o.internalPort) }),
      protocol: t.string({ nullable: true, description: 'HTTP, HTTP/2, TCP or UDP.', resolve: (o) => str(o.protocol) }),
      public: t.boolean({ nullable: true, resolve: (o) => bool(o.public) }),
      dns: t.string({ nullable: true, resolve: (o) => str(o.dns) }),
      // Seed 000 sets `domains` on a port; the GET shape of seed 002 does not list them, so this
      // is null unless Northflank's answer carries them.
      domains: t.stringList({
        nullable: true,
        description: 'Domains redirected to this port (seed 000). Not in the documented GET answer (seed 002): null unless Northflank returns them.',
        resolve: (o) => strList(o.domains),
      }),
      disableNfDomain: t.boolean({ nullable: true, resolve: (o) => bool(o.disableNfDomain) }),
    }),
  });

  const GpuConfigurationRef = builder.objectRef<Obj>('NorthflankGpuConfiguration').implement({
    fields: (t) => ({
      gpuType: t.string({ nullable: true, resolve: (o) => str(o.gpuType) }),
      gpuCount: t.field({ type: 'BigInt', nullable: true, resolve: (o) => whole(o.gpuCount) }),
      timesliced: t.boolean({ nullable: true, resolve: (o) => bool(o.timesliced) }),
    }),
  });

  const GpuRef = builder.objectRef<Obj>('NorthflankGpu').implement({
    fields: (t) => ({
      enabled: t.boolean({ nullable: true, resolve: (o) => bool(o.enabled) }),
      configuration: t.field({ type: GpuConfigurationRef, nullable: true, resolve: (o) => obj(o.configuration) }),
    }),
  });

  const StorageRef = builder.objectRef<Obj>('NorthflankStorage').implement({
    fields: (t) => ({
      accessMode: t.string({ nullable: true, description: 'ReadWriteMany.', resolve: (o) => str(o.accessMode) }),
      storageClass: t.string({ nullable: true, description: 'The type of the storage, e.g. nvme.', resolve: (o) => str(o.storageClass) }),
      storageSize: t.field({ type: 'BigInt', nullable: true, description: 'Megabytes.', resolve: (o) => whole(o.storageSize) }),
      shmSize: t.field({ type: 'BigInt', nullable: true, resolve: (o) => whole(o.shmSize) }),
    }),
  });

  const NodeConfigurationRef = builder.objectRef<Obj>('NorthflankNodeConfiguration').implement({
    fields: (t) => ({
      gpu: t.field({ type: GpuRef, nullable: true, resolve: (o) => obj(o.gpu) }),
      storage: t.field({ type: StorageRef, nullable: true, resolve: (o) => obj(o.storage) }),
    }),
  });

  const ParallelismRef = builder.objectRef<Obj>('NorthflankParallelismConfig').implement({
    fields: (t) => ({
      tensorParallelism: t.field({ type: 'BigInt', nullable: true, resolve: (o) => whole(o.tensorParallelism) }),
      pipelineParallelism: t.field({ type: 'BigInt', nullable: true, resolve: (o) => whole(o.pipelineParallelism) }),
      expertParallelism: t.field({ type: 'BigInt', nullable: true, resolve: (o) => whole(o.expertParallelism) }),
    }),
  });

  const SequenceLengthRef = builder.objectRef<Obj>('NorthflankSequenceLengthConfig').implement({
    fields: (t) => ({
      maxModelLength: t.field({
        type: IntOrAuto,
        nullable: true,
        description: 'An integer or "auto".',
        resolve: (o) => (o.maxModelLength === 'auto' ? 'auto' : whole(o.maxModelLength)),
      }),
      maxInputLength: t.field({ type: 'BigInt', nullable: true, resolve: (o) => whole(o.maxInputLength) }),
      maxOutputLength: t.field({ type: 'BigInt', nullable: true, resolve: (o) => whole(o.maxOutputLength) }),
    }),
  });

  const BatchingRef = builder.objectRef<Obj>('NorthflankBatchingConfig').implement({
    fields: (t) => ({
      maxNumSeqs: t.field({ type: 'BigInt', nullable: true, resolve: (o) => whole(o.maxNumSeqs) }),
      maxNumBatchedTokens: t.field({ type: 'BigInt', nullable: true, resolve: (o) => whole(o.maxNumBatchedTokens) }),
    }),
  });

  const WorkerConfigRef = builder.objectRef<Obj>('NorthflankWorkerConfig').implement({
    fields: (t) => ({
      replicas: t.field({ type: 'BigInt', nullable: true, resolve: (o) => whole(o.replicas) }),
      parallelismConfig: t.field({ type: ParallelismRef, nullable: true, resolve: (o) => obj(o.parallelismConfig) }),
      sequenceLengthConfig: t.field({ type: SequenceLengthRef, nullable: true, resolve: (o) => obj(o.sequenceLengthConfig) }),
      batchingConfig: t.field({ type: BatchingRef, nullable: true, resolve: (o) => obj(o.batchingConfig) }),
      enableChunkedPrefill: t.boolean({ nullable: true, resolve: (o) => bool(o.enableChunkedPrefill) }),
      enablePrefixCaching: t.boolean({ nullable: true, resolve: (o) => bool(o.enablePrefixCaching) }),
      enforceEager: t.boolean({ nullable: true, resolve: (o) => bool(o.enforceEager) }),
      enableAsyncScheduling: t.boolean({ nullable: true, resolve: (o) => bool(o.enableAsyncScheduling) }),
      gpuMemoryUtilization: t.float({ nullable: true, resolve: (o) => num(o.gpuMemoryUtilization) }),
      trustRemoteCode: t.boolean({ nullable: true, resolve: (o) => bool(o.trustRemoteCode) }),
      dataType: t.string({ nullable: true, description: 'auto, float16 or bfloat16.', resolve: (o) => str(o.dataType) }),
      kvCacheDataType: t.string({ nullable: true, description: 'fp8, fp8_e5m2 or fp8_e4m3.', resolve: (o) => str(o.kvCacheDataType) }),
      quantization: t.string({ nullable: true, description: 'fp8, awq, gptq or int4.', resolve: (o) => str(o.quantization) }),
    }),
  });

  const ArchitectureRef = builder.objectRef<Obj>('NorthflankArchitecture').implement({
    fields: (t) => ({
      type: t.string({ nullable: true, description: 'aggregated.', resolve: (o) => str(o.type) }),
      workerConfig: t.field({ type: WorkerConfigRef, nullable: true, resolve: (o) => obj(o.workerConfig) }),
    }),
  });

  const ConfigurationRef = builder.objectRef<Obj>('NorthflankModelConfiguration').implement({
    description: 'Engine, model and compute settings (seed 002 `spec.configuration`).',
    fields: (t) => ({
      name: t.string({ nullable: true, description: 'The model, e.g. a Hugging Face repository.', resolve: (o) => str(o.name) }),
      engine: t.string({ nullable: true, description: 'vllm.', resolve: (o) => str(o.engine) }),
      revision: t.string({ nullable: true, resolve: (o) => str(o.revision) }),
      nodeConfiguration: t.field({ type: NodeConfigurationRef, nullable: true, resolve: (o) => obj(o.nodeConfiguration) }),
      architecture: t.field({ type: ArchitectureRef, nullable: true, resolve: (o) => obj(o.architecture) }),
    }),
  });

  const SpecRef = builder.objectRef<Obj>('NorthflankSpec').implement({
    fields: (t) => ({
      type: t.string({ nullable: true, description: 'custom: user-defined configuration.', resolve: (o) => str(o.type) }),
      configuration: t.field({ type: ConfigurationRef, nullable: true, resolve: (o) => obj(o.configuration) }),
    }),
  });

  const DeploymentConfigurationRef = builder.objectRef<Obj>('NorthflankDeploymentConfiguration').implement({
    description: 'The latest deployment configuration.',
    fields: (t) => ({
      id: t.string({ nullable: true, resolve: (o) => str(o.id) }),
      createdAt: t.field({ type: 'DateTime', nullable: true, resolve: (o) => str(o.createdAt) }),
    }),
  });

  vendorDeploymentType<NorthflankDeployment>(builder, refs, 'NorthflankModelDeployment', 'northflank', {
    description: 'A Northflank AI model (LLM model deployment). Status words are in vendorStatus.',
    fields: (t) => ({
      llmModelDeploymentId: t.string({ description: 'Northflank `id` of the AI model.', resolve: (d) => d.raw.id }),
      projectId: t.string({ resolve: (d) => d.raw.projectId }),
      entityId: t.string({ nullable: true, description: 'The team (entity) the deployment belongs to.', resolve: (d) => str(d.raw.entityId) }),
      entityType: t.string({ nullable: true, description: 'user, team or org.', resolve: (d) => str(d.raw.entityType) }),
      creatorId: t.string({ nullable: true, resolve: (d) => str(d.raw.creatorId) }),
      dns: t.field({ type: DnsRef, nullable: true, resolve: (d) => obj(d.raw.dns) }),
      ports: t.field({
        type: [PortRef],
        nullable: true,
        resolve: (d) => (Array.isArray(d.raw.ports) ? (d.raw.ports.map(obj).filter(Boolean) as Obj[]) : null),
      }),
      spec: t.field({ type: SpecRef, nullable: true, resolve: (d) => obj(d.raw.spec) }),
      deploymentConfiguration: t.field({ type: DeploymentConfigurationRef, nullable: true, resolve: (d) => obj(d.raw.deploymentConfiguration) }),
    }),
  });

  // ---- input: the `northflank` block of UpdateModelDeploymentInput ----
  // Enum values and required fields are checked by zod (contract.ts) so that a bad value
  // becomes a ValidationError naming the field; GraphQL only checks types.
  const PortInput = builder.inputType('NorthflankPortInput', {
    description: 'A port (seeds 000/001). name, internalPort and protocol are required.',
    fields: (t) => ({
      name: t.string({ description: 'Required. 1–8 characters, ^[a-zA-Z](-?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)?$.' }),
      internalPort: t.int({ description: 'Required. 1–65535.' }),
      public: t.boolean({ description: 'Expose the port publicly.' }),
      domains: t.stringList({ description: 'Domains to redirect to this port; each must be verified on the account.' }),
      disableNfDomain: t.boolean({ description: 'Disable the default code.run domain for public HTTP ports with custom domains.' }),
      protocol: t.string({ description: 'Required. HTTP, HTTP/2, TCP or UDP.' }),
    }),
  });

  const GpuConfigurationInput = builder.inputType('NorthflankGpuConfigurationInput', {
    fields: (t) => ({ gpuType: t.string(), gpuCount: t.field({ type: 'BigInt' }), timesliced: t.boolean() }),
  });
  const GpuInput = builder.inputType('NorthflankGpuInput', {
    fields: (t) => ({ enabled: t.boolean(), configuration: t.field({ type: GpuConfigurationInput }) }),
  });
  const StorageInput = builder.inputType('NorthflankStorageInput', {
    fields: (t) => ({
      accessMode: t.string({ description: 'ReadWriteMany.' }),
      storageClass: t.string({ description: '3–39 characters, ^[a-zA-Z](-?[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)?$.' }),
      storageSize: t.field({ type: 'BigInt', description: 'Megabytes, not negative; sizes depend on the storage class.' }),
      shmSize: t.field({ type: 'BigInt', description: 'Megabytes, not negative. An explicit null is sent as null (Northflank takes `number | null`).' }),
    }),
  });
  const NodeConfigurationInput = builder.inputType('NorthflankNodeConfigurationInput', {
    fields: (t) => ({ gpu: t.field({ type: GpuInput }), storage: t.field({ type: StorageInput }) }),
  });
  const ParallelismInput = builder.inputType('NorthflankParallelismConfigInput', {
    fields: (t) => ({ tensorParallelism: t.field({ type: 'BigInt' }), pipelineParallelism: t.field({ type: 'BigInt' }), expertParallelism: t.field({ type: 'BigInt' }) }),
  });
  const SequenceLengthInput = builder.inputType('NorthflankSequenceLengthConfigInput', {
    fields: (t) => ({
      maxModelLength: t.field({ type: IntOrAuto, description: 'An integer or "auto".' }),
      maxInputLength: t.field({ type: 'BigInt' }),
      maxOutputLength: t.field({ type: 'BigInt' }),
    }),
  });
  const BatchingInput = builder.inputType('NorthflankBatchingConfigInput', {
    fields: (t) => ({ maxNumSeqs: t.field({ type: 'BigInt' }), maxNumBatchedTokens: t.field({ type: 'BigInt' }) }),
  });
  const WorkerConfigInput = builder.inputType('NorthflankWorkerConfigInput', {
    fields: (t) => ({
      replicas: t.field({ type: 'BigInt' }),
      parallelismConfig: t.field({ type: ParallelismInput }),
      sequenceLengthConfig: t.field({ type: SequenceLengthInput }),
      batchingConfig: t.field({ type: BatchingInput }),
      enableChunkedPrefill: t.boolean(),
      enablePrefixCaching: t.boolean(),
      enforceEager: t.boolean(),
      enableAsyncScheduling: t.boolean(),
      gpuMemoryUtilization: t.float(),
      trustRemoteCode: t.boolean(),
      dataType: t.string({ description: 'auto, float16 or bfloat16.' }),
      kvCacheDataType: t.string({ description: 'fp8, fp8_e5m2 or fp8_e4m3.' }),
      quantization: t.string({ description: 'fp8, awq, gptq or int4.' }),
    }),
  });
  const ArchitectureInput = builder.inputType('NorthflankArchitectureInput', {
    fields: (t) => ({ type: t.string({ description: 'aggregated.' }), workerConfig: t.field({ type: WorkerConfigInput }) }),
  });
  const ConfigurationInput = builder.inputType('NorthflankModelConfigurationInput', {
    fields: (t) => ({
      name: t.string(),
      engine: t.string({ description: 'vllm.' }),
      revision: t.string(),
      nodeConfiguration: t.field({ type: NodeConfigurationInput }),
      architecture: t.field({ type: ArchitectureInput }),
    }),
  });
  const SpecInput = builder.inputType('NorthflankSpecInput', {
    fields: (t) => ({ configuration: t.field({ type: ConfigurationInput }) }),
  });

  const updateInput = builder.inputType('NorthflankUpdateInput', {
    description:
      'Northflank fields of an update (seed 000), sent as given in a partial POST body. A change of `spec` rolls the deployment out again.',
    fields: (t) => ({
      ports: t.field({ type: [PortInput], description: 'Replaces the port list.' }),
      spec: t.field({ type: SpecInput }),
    }),
  });

  return { updateInput };
}

export const northflankGraphQL = defineVendorGraphQL({ typeName: 'NorthflankModelDeployment', registerTypes });

import type { CoreRefs, GatewayBuilder } from '../../src/graphql/builder.js';
import { vendorDeploymentType } from '../../src/graphql/builder.js';
import { defineVendorGraphQL } from '../../src/graphql/vendor.js';
import { parseGsonDate, type LongField, type ModelInventory, type ModelServiceRef } from './contract.js';
import { VENDOR } from './mapping.js';

export const TYPE_NAME = 'ZStackModel';

/** The declared fields of ModelInventory (its loose index signature left out) that read as text. */
type Declared<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };
type TextField = { [K in keyof Declared<ModelInventory>]-?: Declared<ModelInventory>[K] extends string | null | undefined ? K : never }[keyof Declared<ModelInventory>];

const long = (inv: ModelInventory, field: LongField): bigint | null => {
  const v = inv[field];
  return v === null || v === undefined ? null : BigInt(v);
};

/** `ZStackModel` (every ModelInventory field of seed 004) and `ZStackUpdateInput` (every UpdateModel body field). */
export function registerTypes(builder: GatewayBuilder, refs: CoreRefs) {
  const ModelServiceRefType = builder.objectRef<ModelServiceRef>('ZStackModelServiceRef').implement({
    description: 'A binding between a model and a model service (ModelInventory.modelServiceRefs).',
    fields: (t) => ({
      uuid: t.string({ nullable: true, resolve: (r) => r.uuid ?? null }),
      name: t.string({ nullable: true, resolve: (r) => r.name ?? null }),
      description: t.string({ nullable: true, resolve: (r) => r.description ?? null }),
      modelUuid: t.string({ nullable: true, resolve: (r) => r.modelUuid ?? null }),
      modelServiceUuid: t.string({ nullable: true, resolve: (r) => r.modelServiceUuid ?? null }),
      createDate: t.field({ type: 'DateTime', nullable: true, resolve: (r) => parseGsonDate(r.createDate) }),
      lastOpDate: t.field({ type: 'DateTime', nullable: true, resolve: (r) => parseGsonDate(r.lastOpDate) }),
    }),
  });

  vendorDeploymentType<ModelInventory>(builder, refs, TYPE_NAME, VENDOR, {
    description: 'A model in a ZStack AI model repository (ModelInventory, seed 004).',
    fields: (t) => {
      const str = (field: TextField, description: string) => t.string({ nullable: true, description, resolve: (d) => d.raw[field] ?? null });
      const big = (field: LongField, description: string) => t.field({ type: 'BigInt', nullable: true, description, resolve: (d) => long(d.raw, field) });
      return {
        uuid: t.string({ description: 'The resource UUID.', resolve: (d) => d.raw.uuid }),
        installPath: str('installPath', 'The model installation path.'),
        parameters: str('parameters', 'The model parameters.'),
        modelCenterUuid: str('modelCenterUuid', 'The model center UUID.'),
        logo: str('logo', 'The model logo.'),
        modelVendor: str('vendor', 'The model vendor (ModelInventory `vendor`).'),
        modelId: str('modelId', 'The model ID.'),
        introduction: str('introduction', 'The model introduction.'),
        size: big('size', 'The model size.'),
        modelVersion: str('version', 'The model version (ModelInventory `version`).'),
        type: str('type', 'The model type.'),
        minGpuMemory: big('minGpuMemory', 'The minimum GPU memory.'),
        recommendedGpuMemory: big('recommendedGpuMemory', 'The recommended GPU memory.'),
        recommendedGpuNum: t.intList({ nullable: true, description: 'The recommended numbers of GPUs.', resolve: (d) => d.raw.recommendedGpuNum ?? null }),
        gpuConstraintDescription: str('gpuConstraintDescription', 'The GPU constraint description.'),
        versionSemver: str('versionSemver', 'The semantic version.'),
        isLatestVersion: t.boolean({ nullable: true, description: 'Whether the model is the latest version.', resolve: (d) => d.raw.isLatestVersion ?? null }),
        artifactChecksum: str('artifactChecksum', 'The artifact checksum.'),
        artifactSizeBytes: big('artifactSizeBytes', 'The artifact size in bytes.'),
        architectureType: str('architectureType', 'The model architecture type.'),
        frameworkVersion: str('frameworkVersion', 'The framework version.'),
        requiredAccelerator: str('requiredAccelerator', 'The required accelerator.'),
        pipelineTag: str('pipelineTag', 'The pipeline tag.'),
        modelServiceRefs: t.field({
          type: [ModelServiceRefType],
          description: 'The bindings between the model and model services.',
          resolve: (d) => d.raw.modelServiceRefs ?? [],
        }),
        extraGpuMemRequest: big('extraGpuMemRequest', 'The extra GPU memory request.'),
        sampleSize: t.int({ nullable: true, description: 'The sample size (ModelInventory `SAMPLE_SIZE`).', resolve: (d) => d.raw.SAMPLE_SIZE ?? null }),
        createDate: t.field({ type: 'DateTime', nullable: true, description: 'The creation time.', resolve: (d) => parseGsonDate(d.raw.createDate) }),
        lastOpDate: t.field({ type: 'DateTime', nullable: true, description: 'The last operation time.', resolve: (d) => parseGsonDate(d.raw.lastOpDate) }),
      };
    },
  });

  const updateInput = builder.inputType('ZStackUpdateInput', {
    description:
      'UpdateModel body fields (seed 004). Common name/description/tags map to name/description/userTags; setting both with different values is a ValidationError.',
    fields: (t) => ({
      name: t.string({ required: false, description: 'The resource name.' }),
      installPath: t.string({ required: false, description: 'The URL where the model is stored.' }),
      description: t.string({ required: false, description: 'The detailed description of the resource.' }),
      vendor: t.string({ required: false, description: 'The model vendor.' }),
      parameters: t.string({ required: false, description: 'The detailed parameters of the model.' }),
      modelCenterUuid: t.string({ required: false, description: 'The model center UUID.' }),
      modelClassifications: t.stringList({ required: false, description: 'The model classifications.' }),
      recommendedGpuNum: t.string({ required: false, description: 'Recommended GPU counts as a comma list, e.g. "1,2,4".' }),
      gpuConstraintDescription: t.string({ required: false, description: 'The GPU constraint description.' }),
      modelId: t.string({ required: false, description: 'The model ID.' }),
      defaultModelServiceUuid: t.string({ required: false, description: 'The default model service UUID.' }),
      clearDefaultModelService: t.boolean({ required: false, description: 'Unset the default model service.' }),
      systemTags: t.stringList({ required: false, description: 'ZStack system tags.' }),
      userTags: t.stringList({ required: false, description: 'ZStack user tags (same as the common `tags`).' }),
    }),
  });

  return { updateInput };
}

export const zstackGraphQL = defineVendorGraphQL({ typeName: TYPE_NAME, registerTypes });

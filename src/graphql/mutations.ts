import type { ModelDeployment } from '../domain/deployment.js';
import { ConflictError, MUTATION_ERRORS, ValidationError, type ValidationIssue } from '../domain/errors.js';
import type { FieldChange, PlannedRequest, UpdatePatch } from '../domain/patch.js';
import { requireScope } from '../auth.js';
import type { Backend } from '../gateway.js';
import type { GatewayBuilder, CoreRefs } from './builder.js';
import type { GraphQLContext } from './context.js';

export interface UpdateSuccess {
  deployment: ModelDeployment;
  requests: PlannedRequest[];
  changes: FieldChange[];
  dryRun: boolean;
}

export interface UpdateInputShape {
  id: string | number;
  name?: string | null;
  description?: string | null;
  tags?: string[] | null;
  expectedVersion?: string | null;
  dryRun?: boolean | null;
  [vendorBlock: string]: unknown;
}

/**
 * Explicit nulls among the fields that change something: a common field given as null, or a null
 * inside a vendor block. No vendor clears a field by null (each has its own way, e.g. ZStack's
 * clearDefaultModelService), so dropping it would lose a change without a word: it is refused.
 */
export function nullIssues(input: Record<string, unknown>, commonFields: string[], vendorBlocks: string[], prefix: (string | number)[] = []): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const refuse = (path: (string | number)[]) =>
    issues.push({ path, rule: 'not_null', message: `null does not clear ${path.filter((p) => typeof p === 'string').join('.')}; omit the field to leave it unchanged` });
  const walk = (value: unknown, path: (string | number)[]) => {
    if (value === null) refuse(path);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (typeof value === 'object') for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, [...path, k]);
  };
  for (const field of commonFields) if (field in input) walk(input[field], [...prefix, field]);
  // A whole vendor block given as null sets nothing.
  for (const block of vendorBlocks) if (input[block] != null) walk(input[block], [...prefix, block]);
  return issues;
}

/** Builds the adapter's patch; a vendor block for another vendor than the target's is refused. */
export function toPatch(input: UpdateInputShape, backend: Backend, vendorBlocks: string[]): UpdatePatch {
  const nulls = nullIssues(input, ['name', 'description', 'tags'], vendorBlocks);
  if (nulls.length) throw new ValidationError(nulls);
  const patch: UpdatePatch = {};
  if (input.name != null) patch.name = input.name;
  if (input.description != null) patch.description = input.description;
  if (input.tags != null) patch.tags = input.tags;
  for (const vendor of vendorBlocks) {
    const block = input[vendor];
    if (block == null) continue;
    if (vendor !== backend.vendor) {
      throw new ValidationError([
        {
          path: [vendor],
          rule: 'vendor_mismatch',
          message: `${input.id} is a ${backend.vendor} deployment; the ${vendor} block does not apply to it`,
        },
      ]);
    }
    patch.vendor = block as Record<string, unknown>;
  }
  return patch;
}

/** One update through the adapter: plan only (dry run) or apply, with the loader cache kept right. A write is audited. */
export function runUpdate(ctx: GraphQLContext, input: UpdateInputShape, vendorBlocks: string[]): Promise<UpdateSuccess> {
  if (input.dryRun) return updateOnce(ctx, input, vendorBlocks);
  return ctx.runtime.observability.auditedWrite(ctx, input, () => updateOnce(ctx, input, vendorBlocks));
}

async function updateOnce(ctx: GraphQLContext, input: UpdateInputShape, vendorBlocks: string[]): Promise<UpdateSuccess> {
  const { backend, nativeKey } = ctx.loaders.resolveId(String(input.id));
  requireScope(ctx.principal, 'write', backend.id);
  const patch = toPatch(input, backend, vendorBlocks);
  const key = backend.instance.parseKey(nativeKey);
  const expectedVersion = input.expectedVersion ?? undefined;
  if (input.dryRun) {
    const plan = await backend.instance.planUpdate(key, patch, { expectedVersion, requestId: ctx.requestId });
    if (expectedVersion !== undefined && plan.current.version !== expectedVersion) {
      throw new ConflictError(plan.current.id, expectedVersion, plan.current.version);
    }
    return { deployment: plan.current, requests: plan.requests, changes: plan.changes, dryRun: true };
  }
  const result = await backend.instance.update(key, patch, { expectedVersion, requestId: ctx.requestId });
  ctx.loaders.clear(backend.id, nativeKey);
  ctx.loaders.prime(result.deployment);
  ctx.runtime.published(result.deployment);
  return { deployment: result.deployment, requests: result.requests, changes: result.changes ?? [], dryRun: false };
}

export function registerMutations(builder: GatewayBuilder, refs: CoreRefs, vendorInputs: Map<string, unknown>) {
  const VendorRequestRef = builder.simpleObject('VendorRequest', {
    description: 'An HTTP request to a vendor, exactly as sent (or as it would be sent in a dry run).',
    fields: (t) => ({
      method: t.string(),
      path: t.string(),
      body: t.field({ type: 'JSON', nullable: true }),
    }),
  });

  const FieldChangeRef = builder.simpleObject('FieldChange', {
    fields: (t) => ({
      field: t.string(),
      before: t.field({ type: 'JSON', nullable: true }),
      after: t.field({ type: 'JSON', nullable: true }),
    }),
  });

  const SuccessRef = builder.objectRef<UpdateSuccess>('UpdateModelDeploymentSuccess').implement({
    fields: (t) => ({
      deployment: t.field({
        type: refs.ModelDeploymentRef,
        description: 'Re-read after the update; in a dry run, the deployment as it is now.',
        resolve: (s) => s.deployment,
      }),
      requests: t.field({ type: [VendorRequestRef], resolve: (s) => s.requests as never }),
      changes: t.field({ type: [FieldChangeRef], resolve: (s) => s.changes as never }),
      dryRun: t.exposeBoolean('dryRun'),
    }),
  });

  const vendorBlocks = [...vendorInputs.keys()];
  const Input = builder.inputType('UpdateModelDeploymentInput', {
    description: 'Common fields, plus at most one vendor block: the one of the target deployment\u2019s vendor.',
    fields: (t) => {
      const fields: Record<string, any> = {
        id: t.id({ required: true }),
        name: t.string({ required: false }),
        description: t.string({ required: false }),
        tags: t.stringList({ required: false, description: 'Replaces the whole tag list.' }),
        expectedVersion: t.string({ required: false, description: 'Refuse with ConflictError unless the deployment is at this version.' }),
        dryRun: t.boolean({ required: false, description: 'Validate and return the vendor requests without sending them.' }),
      };
      for (const [vendor, ref] of vendorInputs) fields[vendor] = t.field({ type: ref as never, required: false });
      return fields;
    },
  });

  builder.mutationField('updateModelDeployment', (t) =>
    t.field({
      type: SuccessRef,
      args: { input: t.arg({ type: Input, required: true }) },
      errors: {
        types: [...MUTATION_ERRORS],
        directResult: true,
        union: { name: 'UpdateModelDeploymentResult' },
      },
      resolve: (_root, { input }, ctx) => runUpdate(ctx, input as UpdateInputShape, vendorBlocks),
    }),
  );

  return { SuccessRef, Input, vendorBlocks };
}

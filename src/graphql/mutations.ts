import { confirmByPaths, type FieldConfirmation } from '../domain/confirmation.js';
import type { ModelDeployment } from '../domain/deployment.js';
import { ConflictError, GatewayError, MUTATION_ERRORS, UpstreamError, ValidationError, type ValidationIssue } from '../domain/errors.js';
import type { FieldChange, PlannedRequest, UpdatePatch } from '../domain/patch.js';
import { requireScope } from '../auth.js';
import type { Backend } from '../domain/backend.js';
import type { InputFieldMap, InputRef } from '@pothos/core';
import type { GatewayBuilder, CoreRefs } from './builder.js';
import type { GraphQLContext } from './context.js';

export interface UpdateSuccess {
  deployment: ModelDeployment;
  requests: PlannedRequest[];
  changes: FieldChange[];
  dryRun: boolean;
  /** After a write, each field sent as the re-read shows it (empty in a dry run). */
  confirmations?: FieldConfirmation[];
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
 * Dotted vendor-block paths (`northflank.spec.configuration.nodeConfiguration.storage.shmSize`)
 * where an explicit null is passed on to the vendor: the adapters' `capabilities.nullablePaths`,
 * registered when the schema is built.
 */
export const NULLABLE_INPUT_PATHS = new Set<string>();

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
    if (value === null) {
      if (!NULLABLE_INPUT_PATHS.has(path.slice(prefix.length).join('.'))) refuse(path);
    }
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

/**
 * One update: plan only (dry run), or apply under the deployment's write lock (src/app/updates.ts),
 * with the loader cache kept right. `before` runs under the lock, just before the write. A write
 * is audited.
 */
export function runUpdate(ctx: GraphQLContext, input: UpdateInputShape, vendorBlocks: string[], before?: (current: UpdateSuccess) => void): Promise<UpdateSuccess> {
  if (input.dryRun) return updateOnce(ctx, input, vendorBlocks, before);
  return ctx.runtime.observability.auditedWrite(ctx, input, () => updateOnce(ctx, input, vendorBlocks, before));
}

async function updateOnce(
  ctx: GraphQLContext,
  input: UpdateInputShape,
  vendorBlocks: string[],
  before?: (current: UpdateSuccess) => void,
): Promise<UpdateSuccess> {
  const { backend, nativeKey } = ctx.loaders.resolveId(String(input.id));
  requireScope(ctx.principal, 'write', backend.id);
  const patch = toPatch(input, backend, vendorBlocks);
  const key = backend.instance.parseKey(nativeKey);
  const expectedVersion = input.expectedVersion ?? undefined;
  const req = { backend, key, patch, expectedVersion, requestId: ctx.requestId };
  const { updates } = ctx.runtime.app;
  const planned = async (): Promise<UpdateSuccess> => {
    const plan = await updates.plan(req);
    if (expectedVersion !== undefined && plan.current.version !== expectedVersion) {
      throw new ConflictError(plan.current.id, expectedVersion, plan.current.version);
    }
    return { deployment: plan.current, requests: plan.requests, changes: plan.changes, dryRun: true };
  };
  if (input.dryRun) return planned();
  const result = await updates.apply(req, before ? async () => before(await planned()) : undefined);
  try {
    ctx.loaders.clear(backend.id, nativeKey);
    ctx.loaders.prime(result.deployment);
    ctx.runtime.published(result.deployment);
  } catch (err) {
    // The write is applied: bookkeeping that fails must not turn it into an error.
    ctx.runtime.logger.error({ err, requestId: ctx.requestId }, 'after an applied update');
  }
  const confirmations = result.fields ?? result.requests.flatMap((r) => confirmByPaths(r.body, result.deployment.raw));
  return { deployment: result.deployment, requests: result.requests, changes: result.changes ?? [], dryRun: false, confirmations };
}

/**
 * Every failure of a mutation is a member of its result union: an error that is not one (a fault
 * of the gateway itself) is logged and told as an UpstreamError whose outcome says what is known,
 * so that no error can hide what the other fields of the document did.
 */
export function asResultError(ctx: GraphQLContext, err: unknown, backend: string | null, what: string, outcome: 'NOT_SENT' | 'UNKNOWN' = 'UNKNOWN'): GatewayError {
  if (MUTATION_ERRORS.some((E) => err instanceof E)) return err as GatewayError;
  ctx.runtime.logger.error({ err, requestId: ctx.requestId }, `${what} failed unexpectedly`);
  return new UpstreamError({
    backend: backend ?? 'unknown',
    message: `${what} failed unexpectedly (logged with request id ${ctx.requestId})`,
    outcome,
  });
}

/**
 * The errors of updateModelDeployment, passed as they are by each bulk item's `result` too: the
 * errors plugin makes the union once per `result.name` (with directResult that name names no
 * type), so both fields get the very same UpdateModelDeploymentResult.
 */
export const UPDATE_RESULT_ERRORS = {
  types: [...MUTATION_ERRORS],
  directResult: true,
  union: { name: 'UpdateModelDeploymentResult' },
  result: { name: 'UpdateModelDeploymentResult' },
};

export function registerMutations(builder: GatewayBuilder, refs: CoreRefs, vendorInputs: Map<string, InputRef<unknown>>) {
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

  const FieldConfirmationStateEnum = builder.enumType('FieldConfirmationState', {
    values: {
      CONFIRMED: { description: 'The re-read shows the value sent.' },
      UNCONFIRMED: { description: 'The vendor does not show this field (or it could not be read): not a failure.' },
      CONTRADICTED: { description: 'The re-read shows another value.' },
    } as const,
  });

  const FieldConfirmationRef = builder.objectRef<FieldConfirmation>('FieldConfirmation').implement({
    description: 'One field of a write, compared with the re-read deployment.',
    fields: (t) => ({
      field: t.exposeString('field', { description: 'In the vendor\u2019s words, as sent.' }),
      state: t.field({ type: FieldConfirmationStateEnum, resolve: (f) => f.state }),
      sent: t.field({ type: 'JSON', nullable: true, resolve: (f) => f.sent }),
      seen: t.field({ type: 'JSON', nullable: true, description: 'What the re-read shows; null when it does not show the field.', resolve: (f) => f.seen }),
      note: t.exposeString('note', { nullable: true }),
    }),
  });

  const SuccessRef = builder.objectRef<UpdateSuccess>('UpdateModelDeploymentSuccess').implement({
    fields: (t) => ({
      deployment: t.field({
        type: refs.ModelDeploymentRef,
        description: 'Re-read after the update; in a dry run, the deployment as it is now.',
        resolve: (s) => s.deployment,
      }),
      requests: t.field({ type: [VendorRequestRef], resolve: (s) => s.requests }),
      changes: t.field({ type: [FieldChangeRef], resolve: (s) => s.changes }),
      dryRun: t.exposeBoolean('dryRun'),
      confirmations: t.field({
        type: [FieldConfirmationRef],
        description: 'After a write: each field sent, CONFIRMED, UNCONFIRMED or CONTRADICTED by the re-read. The write is applied when none is CONTRADICTED. Empty in a dry run.',
        resolve: (s) => s.confirmations ?? [],
      }),
    }),
  });

  const vendorBlocks = [...vendorInputs.keys()];
  const Input = builder.inputType('UpdateModelDeploymentInput', {
    description: 'Common fields, plus at most one vendor block: the one of the target deployment\u2019s vendor.',
    fields: (t) => {
      const fields: InputFieldMap = {
        id: t.id({ required: true }),
        name: t.string({ required: false }),
        description: t.string({ required: false }),
        tags: t.stringList({ required: false, description: 'Replaces the whole tag list.' }),
        expectedVersion: t.string({
          required: false,
          description: 'Compare-and-set: write only if the deployment is at this version (checked and written under one lock per deployment), else ConflictError.',
        }),
        dryRun: t.boolean({ required: false, description: 'Validate and return the vendor requests without sending them.' }),
      };
      for (const [vendor, ref] of vendorInputs) fields[vendor] = t.field({ type: ref, required: false });
      return fields;
    },
  });

  builder.mutationField('updateModelDeployment', (t) =>
    t.field({
      type: SuccessRef,
      // Nullable: a fault of the gateway in this field's selection never nulls the other fields of a document.
      nullable: true,
      args: { input: t.arg({ type: Input, required: true }) },
      errors: UPDATE_RESULT_ERRORS,
      resolve: (_root, { input }, ctx) => {
        const id = String((input as UpdateInputShape).id);
        return runUpdate(ctx, input as UpdateInputShape, vendorBlocks).catch((err) => {
          // Writes go through updates.apply, which tells their outcome itself: what escapes here never sent one.
          throw asResultError(ctx, err, id.split(':')[0] ?? null, `update of ${id}`, 'NOT_SENT');
        });
      },
    }),
  );

  return { SuccessRef, VendorRequestRef, FieldChangeRef, Input, vendorBlocks };
}

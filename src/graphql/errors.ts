import { GraphQLError } from 'graphql';
import { ConflictError, ForbiddenError, NotFoundError, UnsupportedFieldError, UpstreamError, ValidationError, GatewayError } from '../domain/errors.js';
import type { GatewayBuilder } from './builder.js';

/** The error of ours a GraphQL error carries (a resolver threw it), or the error itself when it is one. */
export function shownErrorOf(error: unknown): GatewayError | null {
  let e = error;
  while (e instanceof GraphQLError) e = e.originalError;
  return e instanceof GatewayError ? e : null;
}

/**
 * An error of ours in its GraphQL form: its message and extensions, at the path and locations of
 * the GraphQL error that carried it. Null for anything else (which is masked). Its form has no
 * original error, so Yoga reckons it a GraphQL error of its own (never a 500).
 */
export function toGraphQLError(error: unknown): GraphQLError | null {
  if (error instanceof GatewayError) return new GraphQLError(error.message, { extensions: { ...error.extensions } });
  if (!(error instanceof GraphQLError) || !shownErrorOf(error)) return null;
  const shown = new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions: error.extensions });
  // graphql-jit's errors carry their locations without the nodes they were computed from.
  if (shown.locations !== error.locations) (shown as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return shown;
}

/** Error classes as GraphQL object types, members of mutation result unions (Pothos errors plugin). */
export function registerErrorTypes(builder: GatewayBuilder) {
  const ErrorInterface = builder.interfaceRef<GatewayError>('Error').implement({
    description: 'A typed failure; `code` is one of a fixed set.',
    fields: (t) => ({
      message: t.exposeString('message'),
      code: t.exposeString('code'),
    }),
  });

  const ValidationIssueRef = builder.simpleObject('ValidationIssue', {
    fields: (t) => ({
      path: t.stringList({ description: 'Input path, e.g. ["northflank","ports","0","internalPort"].' }),
      rule: t.string({ description: 'pattern, min_length, max_length, enum, min, max, required, id_format …' }),
      message: t.string(),
    }),
  });

  builder.objectType(ValidationError, {
    name: 'ValidationError',
    interfaces: [ErrorInterface],
    isTypeOf: (e) => e instanceof ValidationError,
    fields: (t) => ({
      issues: t.field({
        type: [ValidationIssueRef],
        resolve: (e) => e.issues.map((i) => ({ ...i, path: i.path.map(String) })),
      }),
    }),
  });

  builder.objectType(NotFoundError, {
    name: 'NotFoundError',
    interfaces: [ErrorInterface],
    isTypeOf: (e) => e instanceof NotFoundError,
    fields: (t) => ({
      id: t.exposeString('id'),
      backend: t.exposeString('backend', { nullable: true }),
    }),
  });

  builder.objectType(ConflictError, {
    name: 'ConflictError',
    interfaces: [ErrorInterface],
    isTypeOf: (e) => e instanceof ConflictError,
    fields: (t) => ({
      id: t.exposeString('id'),
      expectedVersion: t.exposeString('expectedVersion', { nullable: true }),
      actualVersion: t.exposeString('actualVersion', { nullable: true }),
    }),
  });

  builder.objectType(ForbiddenError, {
    name: 'ForbiddenError',
    interfaces: [ErrorInterface],
    description: 'The API key may not do this: a scope it lacks, or a backend outside its list. Nothing was sent.',
    isTypeOf: (e) => e instanceof ForbiddenError,
    fields: (t) => ({
      backend: t.exposeString('backend', { nullable: true }),
      scope: t.exposeString('scope', { nullable: true, description: 'The scope the key lacks, if that is the reason.' }),
    }),
  });

  builder.objectType(UnsupportedFieldError, {
    name: 'UnsupportedFieldError',
    interfaces: [ErrorInterface],
    isTypeOf: (e) => e instanceof UnsupportedFieldError,
    fields: (t) => ({
      field: t.exposeString('field'),
      vendor: t.exposeString('vendor'),
      reason: t.exposeString('reason'),
    }),
  });

  const WriteOutcomeEnum = builder.enumType('WriteOutcome', {
    description: 'Whether a write that failed took effect upstream.',
    values: ['NOT_SENT', 'NOT_APPLIED', 'APPLIED', 'UNKNOWN'] as const,
  });

  const UpstreamRequestRef = builder.simpleObject('UpstreamRequestInfo', {
    fields: (t) => ({ method: t.string(), path: t.string() }),
  });

  builder.objectType(UpstreamError, {
    name: 'UpstreamError',
    interfaces: [ErrorInterface],
    isTypeOf: (e) => e instanceof UpstreamError,
    fields: (t) => ({
      backend: t.exposeString('backend'),
      status: t.exposeInt('status', { nullable: true, description: 'The upstream HTTP status, if one came back.' }),
      vendorCode: t.exposeString('vendorCode', { nullable: true }),
      vendorMessage: t.exposeString('vendorMessage', { nullable: true }),
      retryable: t.exposeBoolean('retryable', {
        description: 'Sending the same request again cannot apply a write twice and may succeed: true only for reads and for writes NOT_SENT or NOT_APPLIED whose fault is temporary; never with outcome UNKNOWN.',
      }),
      outcome: t.field({ type: WriteOutcomeEnum, nullable: true, description: 'What became of the write (null on reads).', resolve: (e) => e.outcome }),
      request: t.field({ type: UpstreamRequestRef, nullable: true, resolve: (e) => e.request }),
      detail: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.detail ?? null }),
    }),
  });

  return { ErrorInterface };
}

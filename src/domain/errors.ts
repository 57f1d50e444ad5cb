/**
 * The fixed set of codes a client can see in `extensions.code`. Every error the gateway means
 * to show is a GatewayError; anything else is masked.
 */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'UNSUPPORTED_FIELD',
  'RATE_LIMITED',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_AUTH',
  'UPSTREAM_ERROR',
  /** The request is not a valid GraphQL operation for this schema: syntax, validation, query limits, variables. */
  'GRAPHQL_VALIDATION',
  /** The HTTP request itself is unusable (not JSON, no query, wrong method). */
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  /** This instance is shutting down (draining): send the operation again, to another instance. */
  'UNAVAILABLE',
  /** A fault of the gateway itself; the detail is in the server log only. */
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * An error the gateway means to show: a code of the fixed set, a message, and the fields a client
 * sees beside them. The API layer gives it its wire form (src/graphql/errors.ts).
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  /** What a client sees beside the message: `code`, then the fields of this kind of error. */
  readonly extensions: Readonly<Record<string, unknown>>;
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.extensions = { code, ...extensions };
  }
}

export interface ValidationIssue {
  /** Path of the offending input field, e.g. `["northflank", "ports", 0, "internalPort"]`. */
  path: (string | number)[];
  /** The rule broken, e.g. `pattern`, `max_length`, `enum`, `required`, `id_format`. */
  rule: string;
  message: string;
}

export class ValidationError extends GatewayError {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[], message?: string) {
    const first = issues[0];
    super(
      'VALIDATION',
      message ??
        (first
          ? `Invalid ${first.path.join('.') || 'input'}: ${first.message}` +
            (issues.length > 1 ? ` (and ${issues.length - 1} more)` : '')
          : 'Invalid input'),
      { issues },
    );
    this.issues = issues;
  }
}

export class NotFoundError extends GatewayError {
  readonly id: string;
  readonly backend: string | null;
  constructor(id: string, backend: string | null, message = `Model deployment ${id} not found`) {
    super('NOT_FOUND', message, { id, backend });
    this.id = id;
    this.backend = backend;
  }
}

export class ConflictError extends GatewayError {
  readonly id: string;
  readonly expectedVersion: string | null;
  readonly actualVersion: string | null;
  constructor(id: string, expectedVersion: string | null, actualVersion: string | null, message?: string) {
    super(
      'CONFLICT',
      message ?? `Model deployment ${id} is at version ${actualVersion ?? '?'}, not ${expectedVersion ?? '?'}`,
      { id, expectedVersion, actualVersion },
    );
    this.id = id;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** The caller's key may not do this (a missing scope, or a backend outside the key's list). */
export class ForbiddenError extends GatewayError {
  readonly backend: string | null;
  readonly scope: string | null;
  constructor(message: string, init: { backend?: string | null; scope?: string | null } = {}) {
    super('FORBIDDEN', message, { ...(init.backend ? { backend: init.backend } : {}) });
    this.backend = init.backend ?? null;
    this.scope = init.scope ?? null;
  }
}

export class UnsupportedFieldError extends GatewayError {
  readonly field: string;
  readonly vendor: string;
  readonly reason: string;
  constructor(field: string, vendor: string, reason: string) {
    super('UNSUPPORTED_FIELD', `${vendor} cannot change ${field}: ${reason}`, { field, vendor });
    this.field = field;
    this.vendor = vendor;
    this.reason = reason;
  }
}

/** Whether a write that failed in flight took effect (DESIGN.md "Updates", issue 7 point 4). */
export type WriteOutcome = 'NOT_SENT' | 'NOT_APPLIED' | 'APPLIED' | 'UNKNOWN';

export interface UpstreamErrorInit {
  code?: Extract<ErrorCode, 'RATE_LIMITED' | 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_TIMEOUT' | 'UPSTREAM_AUTH' | 'UPSTREAM_ERROR'>;
  backend: string;
  message: string;
  request?: { method: string; path: string };
  status?: number | null;
  vendorCode?: string | null;
  vendorMessage?: string | null;
  /**
   * The fault is temporary. Shown as `retryable` only where re-sending cannot apply a write twice:
   * never with outcome UNKNOWN or APPLIED.
   */
  retryable?: boolean;
  retryAfterMs?: number | null;
  outcome?: WriteOutcome | null;
  /** Vendor detail safe to show (e.g. ZStack's ErrorCode cause chain). Never secrets. */
  detail?: unknown;
}

/** Everything that went wrong on the far side of an adapter, with the facts a caller can act on. */
export class UpstreamError extends GatewayError {
  readonly backend: string;
  readonly request: { method: string; path: string } | null;
  readonly status: number | null;
  readonly vendorCode: string | null;
  readonly vendorMessage: string | null;
  readonly retryable: boolean;
  readonly retryAfterMs: number | null;
  readonly outcome: WriteOutcome | null;
  readonly detail: unknown;
  /** Whether the fault itself is temporary, whatever became of the write. */
  readonly transient: boolean;
  constructor(init: UpstreamErrorInit) {
    const code = init.code ?? 'UPSTREAM_ERROR';
    const transient = init.retryable ?? false;
    const retryable = transient && init.outcome !== 'UNKNOWN' && init.outcome !== 'APPLIED';
    super(code, `Backend ${init.backend}: ${init.message}`, {
      backend: init.backend,
      request: init.request ?? null,
      status: init.status ?? null,
      vendorCode: init.vendorCode ?? null,
      retryable,
      ...(init.outcome ? { outcome: init.outcome } : {}),
    });
    this.transient = transient;
    this.backend = init.backend;
    this.request = init.request ?? null;
    this.status = init.status ?? null;
    this.vendorCode = init.vendorCode ?? null;
    this.vendorMessage = init.vendorMessage ?? null;
    this.retryable = retryable;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.outcome = init.outcome ?? null;
    this.detail = init.detail ?? null;
  }

  withOutcome(outcome: WriteOutcome, message?: string): UpstreamError {
    return new UpstreamError({
      code: this.code as UpstreamErrorInit['code'],
      backend: this.backend,
      message: message ?? this.message.replace(`Backend ${this.backend}: `, ''),
      request: this.request ?? undefined,
      status: this.status,
      vendorCode: this.vendorCode,
      vendorMessage: this.vendorMessage,
      retryable: this.transient,
      retryAfterMs: this.retryAfterMs,
      outcome,
      detail: this.detail,
    });
  }
}

/** Errors that can be a member of a mutation's result union. */
export const MUTATION_ERRORS = [
  ForbiddenError,
  ValidationError,
  NotFoundError,
  ConflictError,
  UnsupportedFieldError,
  UpstreamError,
] as const;

import { UpstreamError, type WriteOutcome } from '../domain/errors.js';

/** The name a lost store goes by in errors: `backend` of the UpstreamError. */
export const STORE_BACKEND = 'redis';

/**
 * Redis (plans, write locks) did not answer: a temporary, typed error. Nothing was written, so a
 * write refused this way says NOT_SENT and may be sent again.
 */
export function storeUnavailable(message: string, outcome: WriteOutcome | null = 'NOT_SENT'): UpstreamError {
  return new UpstreamError({
    code: 'UPSTREAM_UNAVAILABLE',
    backend: STORE_BACKEND,
    message: `${message}; the store of pubsub.redis is unreachable, try again shortly`,
    retryable: true,
    outcome,
  });
}

import type { Logger } from 'pino';
import type { AdapterInstance, PlanResult, UpdateResult } from '../domain/adapter.js';
import { GatewayError, UpstreamError, type WriteOutcome } from '../domain/errors.js';
import type { UpdatePatch } from '../domain/patch.js';
import type { HttpClient } from '../domain/http.js';
import type { WriteLock } from './write-lock.js';

/** What one update sent upstream, as its HTTP client saw it. */
interface WriteLedger {
  /** Requests that are not safe to repeat (the vendor writes), in order. */
  writes: Array<{ method: string; path: string }>;
}

/**
 * The ledgers of the updates in flight, by the request id their adapter passes to the HTTP client
 * (AsyncLocalStorage would do this without the id, but its promise hooks slow every request of
 * the process once used). Updates that share a request id (a bulk run) each see all of its
 * writes: an error then says UNKNOWN where NOT_SENT might have been true — never the reverse.
 */
const ledgers = new Map<string, Set<WriteLedger>>();

/**
 * Wraps a backend's HTTP client so that an update knows whether a vendor write left the gateway,
 * whatever the adapter makes of a failure: an error without an outcome is then NOT_SENT (nothing
 * left) or UNKNOWN (a write left and its effect is not known).
 */
export function observeWrites(client: HttpClient): HttpClient {
  return {
    get backend() {
      return client.backend;
    },
    describe: (req) => client.describe(req),
    circuitOpen: () => client.circuitOpen(),
    close: () => client.close(),
    request(req) {
      const open = req.requestId === undefined ? undefined : ledgers.get(req.requestId);
      if (open && !(req.idempotent ?? req.method === 'GET')) {
        const write = { method: req.method, path: client.describe(req) };
        for (const ledger of open) ledger.writes.push(write);
      }
      return client.request(req);
    },
  };
}

export interface UpdateRequest {
  backend: { id: string; instance: AdapterInstance; writesObserved?: boolean };
  key: unknown;
  patch: UpdatePatch;
  expectedVersion?: string;
  requestId?: string;
}

export interface Updates {
  /**
   * Applies a patch under the deployment's write lock, so that the adapter's version check and its
   * write are one step among every writer going through the gateway (every instance, with Redis).
   * `before` runs under the same lock first (plan apply checks the plan still holds there).
   */
  apply(req: UpdateRequest, before?: () => Promise<void>): Promise<UpdateResult>;
  /** The requests an update would send, and the deployment now; sends nothing, takes no lock. */
  plan(req: UpdateRequest): Promise<PlanResult>;
}

export interface UpdatesOptions {
  lock: WriteLock;
  logger: Logger;
}

/** The deployment id the lock is taken for: `<backendId>:<canonical native key>`. */
const lockKey = (req: UpdateRequest) => `${req.backend.id}:${req.backend.instance.formatKey(req.key)}`;

export function createUpdates(options: UpdatesOptions): Updates {
  const { lock, logger } = options;

  /**
   * Gives every failure of a write an outcome the caller can act on. NOT_SENT only where the
   * ledger saw every request (the adapter uses the gateway's HTTP client) and none was a write.
   */
  function told(err: unknown, req: UpdateRequest, ledger: WriteLedger): unknown {
    const observed = req.backend.writesObserved && req.requestId !== undefined;
    const outcome: WriteOutcome = observed && ledger.writes.length === 0 ? 'NOT_SENT' : 'UNKNOWN';
    if (err instanceof UpstreamError) return err.outcome ? err : err.withOutcome(outcome);
    if (err instanceof GatewayError) return err;
    logger.error({ err, requestId: req.requestId, id: lockKey(req) }, 'update failed unexpectedly');
    return new UpstreamError({
      backend: req.backend.id,
      message: `update of ${lockKey(req)} failed unexpectedly (logged with request id ${req.requestId ?? 'none'})`,
      request: ledger.writes[0],
      outcome,
    });
  }

  return {
    async apply(req, before) {
      return lock.run(lockKey(req), async () => {
        if (before) await before();
        const ledger: WriteLedger = { writes: [] };
        const id = req.requestId;
        let open: Set<WriteLedger> | undefined;
        if (id !== undefined) {
          open = ledgers.get(id) ?? new Set();
          ledgers.set(id, open.add(ledger));
        }
        try {
          return await req.backend.instance.update(req.key, req.patch, { expectedVersion: req.expectedVersion, requestId: id });
        } catch (err) {
          throw told(err, req, ledger);
        } finally {
          if (open && id !== undefined) {
            open.delete(ledger);
            if (open.size === 0) ledgers.delete(id);
          }
        }
      });
    },
    plan(req) {
      return req.backend.instance.planUpdate(req.key, req.patch, { expectedVersion: req.expectedVersion, requestId: req.requestId });
    },
  };
}

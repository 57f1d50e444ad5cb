import type { ListFilter } from './domain/adapter.js';
import type { ModelDeployment } from './domain/deployment.js';
import { GatewayError, UpstreamError } from './domain/errors.js';
import type { Backend } from './domain/backend.js';
import type { GatewayRuntime } from './app/runtime.js';
import { canSeeBackend, type Principal } from './auth.js';

export interface BackendFailure {
  backend: string;
  code: string;
  message: string;
}

export interface ListResult {
  items: ModelDeployment[];
  failures: BackendFailure[];
}

/** Backends a filter (and the caller's key) selects. */
export function selectBackends(runtime: GatewayRuntime, filter: ListFilter, principal: Principal | null): Backend[] {
  return [...runtime.backends.values()].filter(
    (b) =>
      (!filter.vendors?.length || filter.vendors.includes(b.vendor)) &&
      (!filter.backends?.length || filter.backends.includes(b.id)) &&
      canSeeBackend(principal, b.id),
  );
}

/** The gateway's own filter; adapters may already have applied part of it upstream. */
export function matchesFilter(d: ModelDeployment, filter: ListFilter): boolean {
  if (filter.statuses?.length && !filter.statuses.includes(d.status)) return false;
  if (filter.tags?.length && !filter.tags.every((t) => d.tags.includes(t))) return false;
  if (filter.search) {
    const q = filter.search.toLowerCase();
    const hay = `${d.name}\n${d.description ?? ''}\n${d.nativeId}`.toLowerCase();
    if (!hay.includes(q)) return false;
  }
  return true;
}

/**
 * Lists every selected backend at once. A backend that fails does not fail the list: its
 * failure is reported beside the items of the others. Items are ordered by id, a stable key
 * for cursors.
 */
export async function listAcrossBackends(
  runtime: GatewayRuntime,
  filter: ListFilter,
  principal: Principal | null,
  requestId?: string,
  /** How a backend is listed: a request's loaders share identical lists (aliases). @default the adapter's list */
  read: (backend: Backend, filter: ListFilter) => Promise<ModelDeployment[]> = (b, f) => b.instance.list(f, { requestId }),
): Promise<ListResult> {
  const backends = selectBackends(runtime, filter, principal);
  const settled = await Promise.allSettled(backends.map((b) => read(b, filter)));
  const items: ModelDeployment[] = [];
  const failures: BackendFailure[] = [];
  settled.forEach((r, i) => {
    const backend = backends[i]!;
    if (r.status === 'fulfilled') {
      for (const d of r.value) if (matchesFilter(d, filter)) items.push(d);
    } else {
      const err = r.reason;
      if (!(err instanceof GatewayError)) runtime.logger.error({ err, backend: backend.id }, 'list failed');
      failures.push({
        backend: backend.id,
        code: err instanceof GatewayError ? err.code : 'UPSTREAM_ERROR',
        message: err instanceof GatewayError ? err.message : `Backend ${backend.id}: list failed`,
      });
    }
  });
  items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { items, failures };
}

const FAILURE_CODES = ['RATE_LIMITED', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT', 'UPSTREAM_AUTH'] as const;
const isFailureCode = (code: string): code is (typeof FAILURE_CODES)[number] => FAILURE_CODES.some((c) => c === code);

export function failureError(f: BackendFailure): GatewayError {
  return new UpstreamError({
    code: isFailureCode(f.code) ? f.code : 'UPSTREAM_ERROR',
    backend: f.backend,
    message: f.message.replace(`Backend ${f.backend}: `, ''),
  });
}

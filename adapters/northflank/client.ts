import type { AdapterContext } from '../../src/domain/adapter.js';
import { UpstreamError } from '../../src/domain/errors.js';
import { pathSegment } from '../../src/domain/ids.js';
import { createRedactor } from '../../src/http/redact.js';
import type { HttpRequest, VendorErrorFacts } from '../../src/domain/http.js';
import { checkGetReply, checkListReply, readErrorBody, type NorthflankDeployment, type NorthflankListReply, type NorthflankUpdateBody } from './contract.js';
import type { NorthflankKey } from './mapping.js';

export interface NorthflankClientOptions {
  baseUrl: string;
  token: string;
  /** Use the `/v1/teams/{teamId}/projects/...` form of every path (CONVENTIONS.md 1.2). */
  teamId?: string;
  /** @default 10000 */
  timeoutMs?: number;
}

/** Maximum page size of the list endpoint (CONVENTIONS.md 1.3). */
export const MAX_PER_PAGE = 100;

/** Reads `{"error": {status, message, id, details}}` (CONVENTIONS.md 1.5). */
export function parseNorthflankError(_status: number, text: string): VendorErrorFacts | undefined {
  const e = readErrorBody(text);
  if (!e) return undefined;
  return { vendorCode: typeof e.id === 'string' ? e.id : null, message: e.message, detail: e.details ?? null };
}

/** Where a wait before retrying is read: Retry-After when sent, else the reset of the rate-limit window. */
export const RETRY_AFTER_HEADERS = [{ name: 'retry-after' }, { name: 'x-ratelimit-reset', statuses: [429] }] as const;

/** The paths this client calls, as templates: metrics and traces name these, never an id. */
const ROUTES = ['', '/teams/{teamId}'].flatMap((scope) => [`/v1${scope}/projects/{projectId}/llm-model-deployments`, `/v1${scope}/projects/{projectId}/llm-model-deployments/{llmModelDeploymentId}`]);

/** One method per Northflank AI-model endpoint used by the adapter; every reply checked by contract.ts. */
export function createNorthflankClient(options: NorthflankClientOptions, ctx: AdapterContext) {
  const http = ctx.http({
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    headers: () => ({ authorization: `Bearer ${options.token}` }),
    parseError: parseNorthflankError,
    // A vendor error that quotes our token back (some do) must not carry it on to clients or logs.
    redact: createRedactor([options.token]),
    // Northflank documents x-ratelimit-reset (seconds to reset) on a 429, not Retry-After (CONVENTIONS.md 0.5, 1.6).
    retryAfterHeaders: RETRY_AFTER_HEADERS,
    routes: ROUTES,
  });
  const scope = options.teamId ? `/v1/teams/${pathSegment(options.teamId)}` : '/v1';
  const collectionPath = (projectId: string) => `${scope}/projects/${pathSegment(projectId)}/llm-model-deployments`;
  const itemPath = (key: NorthflankKey) => `${collectionPath(key.projectId)}/${pathSegment(key.llmModelDeploymentId)}`;

  const wrongShape = (req: Pick<HttpRequest, 'method' | 'path' | 'query'>, status: number, problem: string) =>
    new UpstreamError({
      backend: ctx.backendId,
      code: 'UPSTREAM_ERROR',
      status,
      request: { method: req.method, path: http.describe(req) },
      message: `${req.method} ${req.path} answered with a body of the wrong shape: it ${problem}`,
    });

  return {
    itemPath,
    collectionPath,
    /** Full path as sent (base path + path + query), for dry runs and call records. */
    describe: http.describe,

    /** `GET .../llm-model-deployments/{id}` (seed 002); null when Northflank answers 404. */
    async getLlmModelDeployment(key: NorthflankKey, opts: { requestId?: string } = {}): Promise<NorthflankDeployment | null> {
      const req = { method: 'GET', path: itemPath(key), allowStatus: [404], requestId: opts.requestId } as const;
      const res = await http.request(req);
      if (res.status === 404) return null;
      const body = checkGetReply(res.json());
      if (typeof body === 'string') throw wrongShape(req, res.status, body);
      return body.data;
    },

    /** `GET .../llm-model-deployments?per_page=&cursor=` (CONVENTIONS.md 1.3): one page. */
    async listLlmModelDeployments(
      projectId: string,
      page: { perPage?: number; cursor?: string } = {},
      opts: { requestId?: string } = {},
    ): Promise<NorthflankListReply> {
      const req = {
        method: 'GET',
        path: collectionPath(projectId),
        query: { per_page: page.perPage ?? MAX_PER_PAGE, cursor: page.cursor },
        requestId: opts.requestId,
      } as const;
      const res = await http.request(req);
      const body = checkListReply(res.json());
      if (typeof body === 'string') throw wrongShape(req, res.status, body);
      return body;
    },

    /**
     * `POST .../llm-model-deployments/{id}` with a partial body (seeds 000/001). Never retried:
     * the caller re-reads to learn the outcome of an ambiguous failure. The reply body is
     * undocumented (CONVENTIONS.md 1.3: `Result = any`), so only its status is used.
     */
    async updateLlmModelDeployment(key: NorthflankKey, body: NorthflankUpdateBody, opts: { requestId?: string } = {}): Promise<void> {
      await http.request({ method: 'POST', path: itemPath(key), body, idempotent: false, requestId: opts.requestId });
    },

    close: () => http.close(),
  };
}

export type NorthflankClient = ReturnType<typeof createNorthflankClient>;

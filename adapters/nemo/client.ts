import type { AdapterContext } from '../../src/domain/adapter.js';
import { NotFoundError, UpstreamError, ValidationError, type ValidationIssue } from '../../src/domain/errors.js';
import { pathSegment } from '../../src/domain/ids.js';
import { createRedactor } from '../../src/http/redact.js';
import type { HttpClient, QueryValue, VendorErrorFacts } from '../../src/domain/http.js';
import {
  checkModelDeployment,
  checkPage,
  ErrorBodySchema,
  ModelDeploymentConfigSchema,
  ValidationErrorSchema,
  type ModelDeployment,
  type ModelDeploymentConfig,
  type NemoValidationError,
  type Page,
  type UpdateModelDeploymentRequest,
} from './contract.js';
import { BODY_FIELD_TO_INPUT } from './mapping.js';

export interface NemoClientOptions {
  baseUrl: string;
  token?: string;
  timeoutMs?: number;
}

export interface ListDeploymentsQuery {
  page?: number;
  pageSize?: number;
  /** Field name, `-` prefix for descending (CONVENTIONS.md 2.4). */
  sort?: string;
  /** Sent in bracket form: `filter[status]=READY` (CONVENTIONS.md 2.4). */
  filter?: Record<string, string>;
  allVersions?: boolean;
}

const BASE = '/apis/models/v2/workspaces';

/** Reads `{"detail": string}` or the FastAPI 422 `{"detail": [{loc, msg, type, ...}]}` (CONVENTIONS.md 2.5). */
export function parseNemoError(_status: number, text: string): VendorErrorFacts | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = ErrorBodySchema.safeParse(body);
  if (!r.success) return undefined;
  const detail = r.data.detail;
  if (typeof detail === 'string') return { message: detail };
  const items = detail.flatMap((d) => {
    const item = ValidationErrorSchema.safeParse(d);
    return item.success ? [item.data] : [];
  });
  if (items.length === 0) return undefined;
  return {
    vendorCode: items[0]!.type,
    message: items.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '),
    // loc/msg/type only: `input` may echo a caller's body back.
    detail: items.map((i) => ({ loc: i.loc, msg: i.msg, type: i.type })),
  };
}

const RULE_OF_TYPE: Record<string, string> = {
  missing: 'required',
  string_too_long: 'max_length',
  string_too_short: 'min_length',
  string_pattern_mismatch: 'pattern',
  string_type: 'type',
  int_type: 'type',
  int_parsing: 'type',
  int_from_float: 'type',
  greater_than_equal: 'min',
  greater_than: 'min',
  less_than_equal: 'max',
  extra_forbidden: 'unknown_field',
};

/** A 422 item's `loc` as a path of our input: `body.config_version` → `["nemo","configVersion"]`. */
export function inputPathOf(loc: (string | number)[]): (string | number)[] {
  const [where, ...rest] = loc;
  if (where === 'body') {
    const [field, ...deeper] = rest;
    if (field === undefined) return ['nemo'];
    return ['nemo', typeof field === 'string' ? (BODY_FIELD_TO_INPUT[field] ?? field) : field, ...deeper];
  }
  if (where === 'path') return ['id'];
  return ['nemo', ...loc];
}

export function issuesFromNemo422(items: NemoValidationError[]): ValidationIssue[] {
  return items.map((i) => ({ path: inputPathOf(i.loc), rule: RULE_OF_TYPE[i.type] ?? i.type, message: i.msg }));
}

export type NemoClient = ReturnType<typeof createNemoClient>;

/** The paths this client calls, as templates: metrics and traces name these, never an id. */
const ROUTES = ['deployments', 'deployment-configs'].flatMap((kind) =>
  ['', '/{name}', '/{name}/versions', '/{name}/versions/{version}'].map((rest) => `/apis/models/v2/workspaces/{workspace}/${kind}${rest}`),
);

/** One method per NeMo models v2 endpoint (CONVENTIONS.md 2.2, 2.3); every reply checked by contract.ts. */
export function createNemoClient(ctx: AdapterContext, options: NemoClientOptions) {
  const backend = ctx.backendId;
  const token = options.token;
  const http: HttpClient = ctx.http({
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    headers: token ? () => ({ authorization: `Bearer ${token}` }) : undefined,
    parseError: parseNemoError,
    // A vendor error that quotes our token back (some do) must not carry it on to clients or logs.
    redact: createRedactor([token]),
    routes: ROUTES,
  });

  const deploymentsPath = (ws: string) => `${BASE}/${pathSegment(ws)}/deployments`;
  const deploymentPath = (ws: string, name: string) => `${deploymentsPath(ws)}/${pathSegment(name)}`;
  const configsPath = (ws: string) => `${BASE}/${pathSegment(ws)}/deployment-configs`;
  const configPath = (ws: string, name: string) => `${configsPath(ws)}/${pathSegment(name)}`;

  const wrongShape = (method: string, path: string, what: string, problem: string) =>
    new UpstreamError({
      backend,
      code: 'UPSTREAM_ERROR',
      status: 200,
      request: { method, path: http.describe({ path }) },
      message: `${method} ${path} answered with ${what} of the wrong shape (${problem})`,
    });

  const deployment = (body: unknown, method: string, path: string): ModelDeployment => {
    const r = checkModelDeployment(body);
    if (!r.ok) throw wrongShape(method, path, 'a ModelDeployment', r.problem);
    return r.value;
  };

  const config = (body: unknown, method: string, path: string): ModelDeploymentConfig => {
    const r = ModelDeploymentConfigSchema.safeParse(body);
    if (!r.success) throw wrongShape(method, path, 'a ModelDeploymentConfig', r.error.issues[0]?.message ?? 'unexpected shape');
    return r.data as ModelDeploymentConfig;
  };

  const listQuery = (q: ListDeploymentsQuery): Record<string, QueryValue> => {
    const query: Record<string, QueryValue> = { page: q.page ?? 1, page_size: q.pageSize ?? 100 };
    if (q.sort) query.sort = q.sort;
    for (const [field, value] of Object.entries(q.filter ?? {})) query[`filter[${field}]`] = value;
    if (q.allVersions) query.all_versions = true;
    return query;
  };

  return {
    backend,
    http,
    describe: http.describe,
    deploymentPath,

    /** GET .../deployments → Page (CONVENTIONS.md 2.4). */
    async listModelDeployments(workspace: string, q: ListDeploymentsQuery = {}, requestId?: string): Promise<Page<ModelDeployment>> {
      const path = deploymentsPath(workspace);
      const res = await http.request({ method: 'GET', path, query: listQuery(q), requestId });
      const page = checkPage(res.json());
      if (!page.ok) throw wrongShape('GET', path, 'a Page', page.problem);
      // One item that cannot be read (no name, workspace or entity_version) costs only itself.
      const data: ModelDeployment[] = [];
      page.value.data.forEach((d, index) => {
        const r = checkModelDeployment(d);
        if (r.ok) data.push(r.value);
        else ctx.logger.warn({ backend, workspace, page: q.page ?? 1, index, problem: r.problem }, 'skipped a ModelDeployment that cannot be read');
      });
      return { ...page.value, data };
    },

    /** GET .../deployments/{name} → latest version; null on 404 `"Deployment '<ws>/<name>' not found"`. */
    async getModelDeployment(workspace: string, name: string, requestId?: string): Promise<ModelDeployment | null> {
      const path = deploymentPath(workspace, name);
      const res = await http.request({ method: 'GET', path, allowStatus: [404], requestId });
      if (res.status === 404) return null;
      return deployment(res.json(), 'GET', path);
    },

    /** GET .../deployments/{name}/versions → plain array, newest first; empty when unknown (CONVENTIONS.md 2.2). */
    async listModelDeploymentVersions(workspace: string, name: string, requestId?: string): Promise<ModelDeployment[]> {
      const path = `${deploymentPath(workspace, name)}/versions`;
      const res = await http.request({ method: 'GET', path, requestId });
      const body = res.json();
      if (!Array.isArray(body)) throw wrongShape('GET', path, 'a version list', 'expected a JSON array');
      return body.map((d) => deployment(d, 'GET', path));
    },

    /** GET .../deployments/{name}/versions/{version}; null on 404. */
    async getModelDeploymentVersion(workspace: string, name: string, version: number, requestId?: string): Promise<ModelDeployment | null> {
      const path = `${deploymentPath(workspace, name)}/versions/${pathSegment(String(version))}`;
      const res = await http.request({ method: 'GET', path, allowStatus: [404], requestId });
      if (res.status === 404) return null;
      return deployment(res.json(), 'GET', path);
    },

    /**
     * POST .../deployments/{name} (seed 003): 201 with the new version. Creates a version, so it is
     * never retried. 400 "... does not exist" for the deployment → NotFoundError; for the config →
     * ValidationError on `nemo.config(Version)`; 422 array → ValidationError from `loc` (CONVENTIONS.md 0.4, 2.5).
     */
    async updateModelDeployment(workspace: string, name: string, body: UpdateModelDeploymentRequest, requestId?: string): Promise<ModelDeployment> {
      const path = deploymentPath(workspace, name);
      try {
        const res = await http.request({ method: 'POST', path, body, idempotent: false, requestId });
        return deployment(res.json(), 'POST', path);
      } catch (err) {
        throw interpretUpdateError(err, backend, `${backend}:${workspace}/${name}`);
      }
    },

    /** GET .../deployment-configs (CONVENTIONS.md 2.3). */
    async listModelDeploymentConfigs(workspace: string, q: Omit<ListDeploymentsQuery, 'allVersions'> = {}, requestId?: string): Promise<Page<ModelDeploymentConfig>> {
      const path = configsPath(workspace);
      const res = await http.request({ method: 'GET', path, query: listQuery(q), requestId });
      const page = checkPage(res.json());
      if (!page.ok) throw wrongShape('GET', path, 'a Page', page.problem);
      return { ...page.value, data: page.value.data.map((c) => config(c, 'GET', path)) };
    },

    /** GET .../deployment-configs/{name} → latest version; null on 404. */
    async getModelDeploymentConfig(workspace: string, name: string, requestId?: string): Promise<ModelDeploymentConfig | null> {
      const path = configPath(workspace, name);
      const res = await http.request({ method: 'GET', path, allowStatus: [404], requestId });
      if (res.status === 404) return null;
      return config(res.json(), 'GET', path);
    },

    /** GET .../deployment-configs/{name}/versions → plain array. */
    async listModelDeploymentConfigVersions(workspace: string, name: string, requestId?: string): Promise<ModelDeploymentConfig[]> {
      const path = `${configPath(workspace, name)}/versions`;
      const res = await http.request({ method: 'GET', path, requestId });
      const body = res.json();
      if (!Array.isArray(body)) throw wrongShape('GET', path, 'a version list', 'expected a JSON array');
      return body.map((c) => config(c, 'GET', path));
    },

    /** GET .../deployment-configs/{config}/versions/{version}; null on 404. */
    async getModelDeploymentConfigVersion(workspace: string, name: string, version: number | bigint, requestId?: string): Promise<ModelDeploymentConfig | null> {
      const path = `${configPath(workspace, name)}/versions/${pathSegment(String(version))}`;
      const res = await http.request({ method: 'GET', path, allowStatus: [404], requestId });
      if (res.status === 404) return null;
      return config(res.json(), 'GET', path);
    },

    close: () => http.close(),
  };
}

const DEPLOYMENT_MISSING = /^Deployment with workspace '.*' and name '.*' does not exist$/s;
const CONFIG_VERSION_MISSING = /^Deployment config '.*' version '.*' does not exist$/s;
const CONFIG_MISSING = /^Deployment config '.*' does not exist$/s;

/** Turns the update endpoint's 400/422 answers into our typed errors; anything else passes through. */
export function interpretUpdateError(err: unknown, backend: string, id: string): unknown {
  if (!(err instanceof UpstreamError) || (err.status !== 400 && err.status !== 422)) return err;
  const message = err.vendorMessage ?? '';
  if (err.status === 400 && DEPLOYMENT_MISSING.test(message)) return new NotFoundError(id, backend);
  if (CONFIG_VERSION_MISSING.test(message)) {
    return new ValidationError([{ path: ['nemo', 'configVersion'], rule: 'exists', message }]);
  }
  if (CONFIG_MISSING.test(message)) return new ValidationError([{ path: ['nemo', 'config'], rule: 'exists', message }]);
  if (err.status === 422 && Array.isArray(err.detail) && err.detail.length > 0) {
    return new ValidationError(issuesFromNemo422(err.detail as NemoValidationError[]));
  }
  return err;
}

import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '../../src/domain/clock.js';
import { startSimulatorServer, type SimHandler, type SimRequest, type SimResponse, type VendorSimulator } from '../../src/simulator/server.js';
import { loadSeedSchemas, type SeedIssue } from '../../src/simulator/seed-validator.js';
import { seedConfigs, seedDeployments, type SimAuthContext as AuthContext, type SimStatus as ModelDeploymentStatus } from './fixtures/seed.js';

/**
 * The simulator's rules come from the JSON Schema transcription of seed 003's OpenAPI in `seed/`
 * (plus CONVENTIONS.md 2), never from the adapter's contract.ts, mapping.ts or adapter.ts.
 */
const SEED = loadSeedSchemas(new URL('./seed/', import.meta.url), [
  'update-request.schema.json',
  'model-deployment.schema.json',
  'http-validation-error.schema.json',
  'error.schema.json',
  'page.schema.json',
  'routes.schema.json',
]);

/** The route table of seed/routes.schema.json: method, path, the statuses it answers. */
const SEED_ROUTES = SEED.schema('nemo/routes')['x-routes'] as { method: string; path: string; status: number[] }[];

/** Checks a body against one of the seed schemas, e.g. `nemo/update-request`. */
export const checkSeed = (id: string, value: unknown): SeedIssue[] => SEED.check(id, value);

/** What is wrong with the seed schema files (meta-schema, strict compilation); empty when nothing is. */
export const seedSchemaProblems = (): string[] => SEED.schemaProblems();

/** seed 003 `ModelDeployment` as served. */
export interface ModelDeployment {
  id?: string;
  name: string;
  workspace: string;
  project?: string;
  created_at: string;
  updated_at: string;
  entity_version: number;
  config: string;
  config_version: number;
  /** A word of seed 003's enum, or any word `storeOffContract` puts there. */
  status?: string;
  status_message?: string;
  status_history?: { timestamp: string; status: string; status_message?: string }[];
  model_provider_id?: string;
  auth_context?: AuthContext;
}

/** CONVENTIONS.md 2.3 ModelDeploymentConfig (stored form). */
export interface ModelDeploymentConfig {
  id?: string;
  name: string;
  workspace: string;
  project?: string;
  description?: string;
  engine?: 'nim' | 'vllm' | 'generic';
  model_spec?: Record<string, unknown>;
  executor_config?: Record<string, unknown>;
  model_entity_id?: string;
  entity_version: number;
  created_at?: string;
  updated_at?: string;
}

/** seed 003 `ValidationError`. */
interface NemoValidationError {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

/**
 * A contract-faithful fake of the NeMo Platform models API v2 (seed 003, CONVENTIONS.md 2):
 * versioned deployments keyed by workspace/name, a registry of ModelDeploymentConfigs, Page
 * listings with sort and filter, `{"detail": ...}` errors, optional Bearer auth, and a status
 * timeline on the clock.
 */

export interface NemoSimulatorOptions {
  clock?: Clock;
  port?: number;
  /** How long each status phase lasts on the clock. @default 3000 */
  phaseMs?: number;
  /** Load fixtures/seed.ts. @default true */
  seed?: boolean;
  /** When set, every request needs `Authorization: Bearer <token>` (CONVENTIONS.md 2.1). */
  token?: string;
  /**
   * How an update naming an unknown config (version) is refused: `400` with a `detail` string, as the
   * service code does (CONVENTIONS.md 2.2), or `422` with a `{loc, msg, type}` item. @default '400'
   */
  unknownConfigAnswer?: '400' | '422';
}

export interface NemoSimulator extends VendorSimulator {
  workspaces: string[];
  token: string | undefined;
  /** The latest version as GET would serve it. */
  deployment(key: string): ModelDeployment | undefined;
  /** Every version, newest first. */
  versions(key: string): ModelDeployment[];
  /** What the models controller would write: sets the latest version's status now and stops its timeline. */
  setStatus(key: string, status: ModelDeploymentStatus, message?: string): void;
  /** Appends a config version (entity_version + 1) and returns it. */
  addConfigVersion(workspace: string, name: string, spec?: Partial<ModelDeploymentConfig>): ModelDeploymentConfig;
  /** Number of deployment versions stored (every update adds one). */
  versionCount(): number;
  /**
   * Serves the latest version as `edit` leaves it from now on, whatever seed 003 says: e.g. a status
   * word outside its enum, as a newer NeMo may send. Key: `<workspace>/<name>`.
   */
  storeOffContract(key: string, edit: (deployment: ModelDeployment) => void): void;
}

interface HistoryEntry {
  at: number;
  status: ModelDeploymentStatus;
  message: string;
}

interface StoredVersion {
  id: string;
  entity_version: number;
  config: string;
  config_version: number;
  project?: string;
  model_provider_id?: string;
  auth_context?: AuthContext;
  createdAt: number;
  updatedAt: number;
  history: HistoryEntry[];
  /** Transitions still to come; moved into history once the clock passes them. */
  schedule: HistoryEntry[];
}

interface StoredDeployment {
  workspace: string;
  name: string;
  versions: StoredVersion[];
}

type StoredConfig = ModelDeploymentConfig & { createdAtMs: number };

const BASE = '/apis/models/v2/workspaces';
const HISTORY_CAP = 100;
const MSG = {
  created: 'Deployment created',
  pending: 'Container is starting',
  updatePending: 'Deployment update pending',
  ready: 'Deployment is active and serving requests.',
};

const DEPLOYMENT_FILTER_FIELDS = ['workspace', 'project', 'status', 'config', 'model_provider_id', 'name', 'status_message', 'created_at', 'updated_at', 'id'];
const CONFIG_FILTER_FIELDS = ['workspace', 'project', 'model_entity_id', 'name', 'description', 'created_at', 'updated_at', 'id'];
const SORT_FIELDS = ['name', 'created_at', 'updated_at', 'entity_version', 'status', 'config', 'id', 'workspace', 'project'];

const at = (root: unknown, path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined), root);
const iso = (ms: number) => new Date(ms).toISOString();
const detail = (status: number, message: string): SimResponse => ({ status, body: { detail: message } });
const invalid = (items: NemoValidationError[]): SimResponse => ({ status: 422, body: { detail: items } });

/** A stable UUID-shaped id, so seeded and updated versions keep the same ids across runs. */
function uuidOf(...parts: (string | number)[]): string {
  const h = createHash('sha256').update(parts.join('/')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-9${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** CONVENTIONS.md 2.6: adjacent duplicates merge (first timestamp kept), the last 100 are kept. */
function record(history: HistoryEntry[], entry: HistoryEntry): void {
  const last = history.at(-1);
  if (last && last.status === entry.status && last.message === entry.message) return;
  history.push(entry);
  if (history.length > HISTORY_CAP) history.splice(0, history.length - HISTORY_CAP);
}

export async function createNemoSimulator(options: NemoSimulatorOptions = {}): Promise<NemoSimulator> {
  const clock = options.clock ?? systemClock;
  const phaseMs = options.phaseMs ?? 3000;
  const token = options.token;
  const deployments = new Map<string, StoredDeployment>();
  const configs = new Map<string, StoredConfig[]>();
  const workspaces = new Set<string>();

  // ---- storage ------------------------------------------------------------------------------

  const settle = (v: StoredVersion) => {
    const now = clock.now();
    while (v.schedule.length && v.schedule[0]!.at <= now) record(v.history, v.schedule.shift()!);
  };

  const latest = (d: StoredDeployment) => d.versions.at(-1)!;

  const offContract = new Map<string, (deployment: ModelDeployment) => void>();

  const view = (d: StoredDeployment, v: StoredVersion): ModelDeployment => {
    const body = viewOnContract(d, v);
    if (v === latest(d)) offContract.get(`${d.workspace}/${d.name}`)?.(body);
    return body;
  };

  const viewOnContract = (d: StoredDeployment, v: StoredVersion): ModelDeployment => {
    settle(v);
    const current = v.history.at(-1);
    const body: ModelDeployment = {
      id: v.id,
      name: d.name,
      workspace: d.workspace,
      created_at: iso(v.createdAt),
      updated_at: iso(Math.max(v.updatedAt, current?.at ?? 0)),
      entity_version: v.entity_version,
      config: v.config,
      config_version: v.config_version,
      status: current?.status ?? 'UNKNOWN',
      status_message: current?.message ?? '',
      status_history: v.history.map((h) => ({ timestamp: iso(h.at), status: h.status, status_message: h.message })),
    };
    // `None` fields are dropped from the JSON (CONVENTIONS.md 2.4 response_model_exclude_none).
    if (v.project !== undefined) body.project = v.project;
    if (v.model_provider_id !== undefined) body.model_provider_id = v.model_provider_id;
    if (v.auth_context !== undefined) body.auth_context = v.auth_context;
    return body;
  };

  const configVersions = (workspace: string, name: string) => configs.get(`${workspace}/${name}`) ?? [];

  const configView = (c: StoredConfig): ModelDeploymentConfig => {
    const { createdAtMs: _ms, ...rest } = c;
    return rest;
  };

  function addConfigVersion(workspace: string, name: string, spec: Partial<ModelDeploymentConfig> = {}, at = clock.now()): StoredConfig {
    const key = `${workspace}/${name}`;
    const list = configs.get(key) ?? [];
    const prev = list.at(-1);
    const entity_version = (prev?.entity_version ?? 0) + 1;
    const stored: StoredConfig = {
      id: uuidOf('config', workspace, name, entity_version),
      name,
      workspace,
      ...(spec.project ?? prev?.project ? { project: spec.project ?? prev?.project } : {}),
      description: spec.description ?? prev?.description ?? '',
      engine: spec.engine ?? prev?.engine ?? 'nim',
      model_spec: spec.model_spec ?? prev?.model_spec ?? { model_type: 'llm', lora_enabled: false },
      executor_config: spec.executor_config ?? prev?.executor_config ?? { gpu: 1, disk_size: '50Gi', additional_args: [] },
      ...(spec.model_entity_id ? { model_entity_id: spec.model_entity_id } : {}),
      entity_version,
      created_at: iso(at),
      updated_at: iso(at),
      createdAtMs: at,
    };
    list.push(stored);
    configs.set(key, list);
    workspaces.add(workspace);
    return stored;
  }

  function loadSeed() {
    const start = clock.now();
    for (const c of seedConfigs) {
      for (const v of c.versions) {
        addConfigVersion(c.workspace, c.name, { ...v, project: c.project } as Partial<ModelDeploymentConfig>, start - v.agoMs);
      }
    }
    for (const s of seedDeployments) {
      const d: StoredDeployment = { workspace: s.workspace, name: s.name, versions: [] };
      const createdAt = start - s.versions[0]!.agoMs;
      let history: HistoryEntry[] = [];
      s.versions.forEach((sv, i) => {
        const at = start - sv.agoMs;
        const isLast = i === s.versions.length - 1;
        history = [...history];
        if (i === 0) {
          record(history, { at, status: 'CREATED', message: MSG.created });
          record(history, { at: at + 60_000, status: 'PENDING', message: MSG.pending });
        } else {
          record(history, { at, status: 'PENDING', message: MSG.updatePending });
        }
        const settled = isLast ? { status: s.status, message: s.status_message } : { status: 'READY' as const, message: MSG.ready };
        if (!(isLast && s.live)) record(history, { at: Math.min(at + 3 * 60_000, start), ...settled });
        else record(history, { at: Math.min(at + 60_000, start), status: s.status, message: s.status_message });
        d.versions.push({
          id: isLast && s.id ? s.id : uuidOf('deployment', s.workspace, s.name, i + 1),
          entity_version: i + 1,
          config: sv.config,
          config_version: sv.config_version,
          project: s.project,
          model_provider_id: s.model_provider_id,
          auth_context: s.auth_context,
          // ASSUMPTION(CONVENTIONS.md 2.6): like seed 003's example, a version keeps the deployment's
          // created_at and continues its status_history; updated_at is the version's own time.
          createdAt,
          updatedAt: at,
          history,
          schedule: isLast && s.live ? [{ at: start + phaseMs, status: 'READY', message: MSG.ready }] : [],
        });
      });
      deployments.set(`${s.workspace}/${s.name}`, d);
      workspaces.add(s.workspace);
    }
  }
  if (options.seed ?? true) loadSeed();

  // ---- query parsing (CONVENTIONS.md 2.4) --------------------------------------------------------

  type Query = { page: number; pageSize: number; sort: string; filter: Record<string, unknown>; allVersions: boolean };

  function intQuery(q: URLSearchParams, name: string, fallback: number): number | NemoValidationError {
    const raw = q.get(name);
    if (raw === null) return fallback;
    if (!/^-?\d+$/.test(raw.trim())) {
      return { type: 'int_parsing', loc: ['query', name], msg: 'Input should be a valid integer, unable to parse string as an integer', input: raw };
    }
    const n = Number(raw);
    // ASSUMPTION(CONVENTIONS.md 2.4): page and page_size start at 1.
    if (n < 1) return { type: 'greater_than_equal', loc: ['query', name], msg: 'Input should be greater than or equal to 1', input: raw, ctx: { ge: 1 } };
    return n;
  }

  function parseQuery(q: URLSearchParams, fields: string[]): Query | SimResponse {
    const page = intQuery(q, 'page', 1);
    const pageSize = intQuery(q, 'page_size', 100);
    const bad = [page, pageSize].filter((x): x is NemoValidationError => typeof x !== 'number');
    if (bad.length) return invalid(bad);
    const sort = q.get('sort') ?? 'created_at';
    // ASSUMPTION(CONVENTIONS.md 2.4): an unknown sort field is a 400 like an unknown filter field.
    if (!SORT_FIELDS.includes(sort.replace(/^-/, ''))) return detail(400, `Invalid sort field '${sort}'`);
    const filter: Record<string, unknown> = {};
    const json = q.get('filter');
    if (json !== null) {
      try {
        const parsed = JSON.parse(json);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        Object.assign(filter, parsed);
      } catch {
        // ASSUMPTION(CONVENTIONS.md 2.4): the text filter expression form is not simulated.
        return detail(400, `Invalid filter: ${json}`);
      }
    }
    for (const [k, v] of q.entries()) {
      const m = /^filter\[([^\]]+)\](?:\[(\$[a-z]+)\])?$/.exec(k);
      if (!m) continue;
      const [, field, op] = m;
      if (op) filter[field!] = { ...((filter[field!] as object) ?? {}), [op]: v };
      else filter[field!] = v;
    }
    for (const field of Object.keys(filter)) {
      if (!fields.includes(field)) return detail(400, `Unknown filter field '${field}'. Valid fields: [${fields.map((f) => `'${f}'`).join(', ')}]`);
    }
    return { page: page as number, pageSize: pageSize as number, sort, filter, allVersions: q.get('all_versions') === 'true' };
  }

  /** A field of a reply object by name (filters and sort name them at run time). */
  const fieldOf = (item: object, name: string): unknown => (item as Record<string, unknown>)[name];

  function matches(item: object, filter: Record<string, unknown>): boolean {
    for (const [field, cond] of Object.entries(filter)) {
      const value = fieldOf(item, field);
      const ops = cond && typeof cond === 'object' ? (cond as Record<string, unknown>) : { $eq: cond };
      const cmp = (a: unknown, b: unknown) => {
        if (field === 'created_at' || field === 'updated_at') return Date.parse(String(a)) - Date.parse(String(b));
        return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
      };
      for (const [op, want] of Object.entries(ops)) {
        if (value === undefined) return false;
        if (op === '$eq' && String(value) !== String(want)) return false;
        if (op === '$gte' && cmp(value, want) < 0) return false;
        if (op === '$lte' && cmp(value, want) > 0) return false;
      }
    }
    return true;
  }

  function pageOf(items: object[], q: Query): SimResponse {
    const desc = q.sort.startsWith('-');
    const field = q.sort.replace(/^-/, '');
    const sorted = [...items].sort((a, b) => {
      const x = fieldOf(a, field) as string | number | undefined;
      const y = fieldOf(b, field) as string | number | undefined;
      const c = x === y ? 0 : x === undefined ? 1 : y === undefined ? -1 : x < y ? -1 : 1;
      return (desc ? -c : c) || String(fieldOf(a, 'name')).localeCompare(String(fieldOf(b, 'name'))) || Number(fieldOf(a, 'entity_version')) - Number(fieldOf(b, 'entity_version'));
    });
    const start = (q.page - 1) * q.pageSize;
    const data = sorted.slice(start, start + q.pageSize);
    const total = sorted.length;
    return {
      status: 200,
      body: {
        data,
        pagination: {
          page: q.page,
          page_size: q.pageSize,
          current_page_size: data.length,
          // ASSUMPTION(CONVENTIONS.md 2.4): an out-of-range page is 200 with empty data and the real totals.
          total_pages: total > 0 ? Math.ceil(total / q.pageSize) : 1,
          total_results: total,
        },
        sort: q.sort,
      },
    };
  }

  // ---- handlers ------------------------------------------------------------------------------

  const guard =
    (handler: SimHandler): SimHandler =>
    (req) => {
      if (token) {
        const header = req.headers.authorization;
        const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
        // ASSUMPTION(CONVENTIONS.md 2.1): FastAPI's HTTPBearer wording.
        if (!m) return { status: 401, body: { detail: 'Not authenticated' }, headers: { 'www-authenticate': 'Bearer' } };
        if (m[1] !== token) return { status: 401, body: { detail: 'Invalid authentication credentials' }, headers: { 'www-authenticate': 'Bearer' } };
      }
      return handler(req);
    };

  const find = (req: SimRequest, param = 'name') => deployments.get(`${req.params.workspace}/${req.params[param]}`);

  const listDeployments: SimHandler = (req) => {
    const q = parseQuery(req.query, DEPLOYMENT_FILTER_FIELDS);
    if ('status' in q) return q;
    const items: ModelDeployment[] = [];
    for (const d of deployments.values()) {
      if (d.workspace !== req.params.workspace) continue;
      // ASSUMPTION(CONVENTIONS.md 2.4): the filter applies to the latest version of each deployment
      // (all versions with all_versions=true).
      const versions = q.allVersions ? d.versions : [latest(d)];
      for (const v of versions) {
        const body = view(d, v);
        if (matches(body, q.filter)) items.push(body);
      }
    }
    return pageOf(items, q);
  };

  const getDeployment: SimHandler = (req) => {
    const d = find(req);
    if (!d) return detail(404, `Deployment '${req.params.workspace}/${req.params.name}' not found`);
    return { status: 200, body: view(d, latest(d)) };
  };

  const listVersions: SimHandler = (req) => {
    const d = find(req);
    return { status: 200, body: d ? [...d.versions].reverse().map((v) => view(d, v)) : [] };
  };

  const getVersion: SimHandler = (req) => {
    const raw = req.params.version!;
    if (!/^-?\d+$/.test(raw)) return detail(400, `Invalid version '${raw}': must be a positive integer`);
    const d = find(req, 'deployment');
    const v = d?.versions.find((x) => x.entity_version === Number(raw));
    if (!d || !v) return detail(404, `Deployment '${req.params.workspace}/${req.params.deployment}' version '${raw}' not found`);
    return { status: 200, body: view(d, v) };
  };

  /**
   * `UpdateModelDeploymentRequest` checked with `seed/update-request.schema.json`; refusals are
   * FastAPI's 422 items (seed 003 `HTTPValidationError`), `loc` starting at `body`.
   */
  function validateUpdate(body: unknown): { config: string; config_version: number | null } | NemoValidationError[] {
    if (body === undefined) return [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }];
    const issues = checkSeed('nemo/update-request', body);
    if (issues.length) {
      // ASSUMPTION(CONVENTIONS.md 2.5): the item `type` is the JSON Schema keyword that failed.
      return issues.map((i) => ({ type: i.keyword === 'required' ? 'missing' : i.keyword, loc: ['body', ...i.path], msg: i.message, input: at(body, i.path) }));
    }
    const b = body as { config: string; config_version?: number };
    return { config: b.config, config_version: b.config_version ?? null };
  }

  const updateDeployment: SimHandler = (req) => {
    const parsed = validateUpdate(req.body);
    if (Array.isArray(parsed)) return invalid(parsed);
    const { workspace, name } = req.params as { workspace: string; name: string };
    const d = deployments.get(`${workspace}/${name}`);
    // CONVENTIONS.md 0.4 / 2.2: an unknown name is a 400, not a 404.
    if (!d) return detail(400, `Deployment with workspace '${workspace}' and name '${name}' does not exist`);
    const refuse = (field: 'config' | 'config_version', message: string, input: unknown) =>
      options.unknownConfigAnswer === '422' ? invalid([{ type: 'value_error', loc: ['body', field], msg: message, input }]) : detail(400, message);
    const versions = configVersions(workspace, parsed.config);
    // A missing or 0 config_version means "latest" (the service tests `if not config_version`).
    const configVersion = parsed.config_version || versions.at(-1)?.entity_version;
    if (!configVersion) return refuse('config', `Deployment config '${workspace}/${parsed.config}' does not exist`, parsed.config);
    if (!versions.some((c) => c.entity_version === configVersion)) {
      return refuse('config_version', `Deployment config '${workspace}/${parsed.config}' version '${configVersion}' does not exist`, parsed.config_version);
    }
    const now = clock.now();
    const prev = latest(d);
    settle(prev);
    // The superseded version stays as it is; the controller now works on the new one.
    prev.schedule = [];
    const history = [...prev.history];
    record(history, { at: now, status: 'PENDING', message: MSG.updatePending });
    const next: StoredVersion = {
      id: uuidOf('deployment', workspace, name, prev.entity_version + 1),
      entity_version: prev.entity_version + 1,
      config: parsed.config,
      config_version: configVersion,
      project: prev.project,
      model_provider_id: prev.model_provider_id,
      // ASSUMPTION(CONVENTIONS.md 2.1): the simulator knows no principal; the creator's context is kept.
      auth_context: prev.auth_context,
      createdAt: prev.createdAt,
      updatedAt: now,
      history,
      // CONVENTIONS.md 0.6 / 2.6: an update restarts at PENDING, READY one phase later.
      schedule: [{ at: now + phaseMs, status: 'READY', message: MSG.ready }],
    };
    d.versions.push(next);
    return { status: 201, body: view(d, next) };
  };

  const listConfigs: SimHandler = (req) => {
    const q = parseQuery(req.query, CONFIG_FILTER_FIELDS);
    if ('status' in q) return q;
    const items: ModelDeploymentConfig[] = [];
    for (const [key, list] of configs) {
      if (!key.startsWith(`${req.params.workspace}/`)) continue;
      const c = configView(list.at(-1)!);
      if (matches(c, q.filter)) items.push(c);
    }
    return pageOf(items, q);
  };

  const getConfig: SimHandler = (req) => {
    const list = configVersions(req.params.workspace!, req.params.name!);
    if (!list.length) return detail(404, `Deployment config '${req.params.workspace}/${req.params.name}' not found`);
    return { status: 200, body: configView(list.at(-1)!) };
  };

  const listConfigVersions: SimHandler = (req) => ({
    status: 200,
    body: [...configVersions(req.params.workspace!, req.params.name!)].reverse().map(configView),
  });

  const getConfigVersion: SimHandler = (req) => {
    const raw = req.params.version!;
    if (!/^-?\d+$/.test(raw)) return detail(400, `Invalid version '${raw}': must be a positive integer`);
    const c = configVersions(req.params.workspace!, req.params.config!).find((x) => x.entity_version === Number(raw));
    if (!c) return detail(404, `Deployment config '${req.params.workspace}/${req.params.config}' version '${raw}' not found`);
    return { status: 200, body: configView(c) };
  };

  // The routes are those of seed/routes.schema.json (seed 003, CONVENTIONS.md 2.2–2.3).
  const HANDLERS: Record<string, SimHandler> = {
    [`GET ${BASE}/{workspace}/deployments`]: listDeployments,
    [`GET ${BASE}/{workspace}/deployments/{name}`]: getDeployment,
    [`POST ${BASE}/{workspace}/deployments/{name}`]: updateDeployment,
    [`GET ${BASE}/{workspace}/deployments/{name}/versions`]: listVersions,
    [`GET ${BASE}/{workspace}/deployments/{deployment}/versions/{version}`]: getVersion,
    [`GET ${BASE}/{workspace}/deployment-configs`]: listConfigs,
    [`GET ${BASE}/{workspace}/deployment-configs/{name}`]: getConfig,
    [`GET ${BASE}/{workspace}/deployment-configs/{name}/versions`]: listConfigVersions,
    [`GET ${BASE}/{workspace}/deployment-configs/{config}/versions/{version}`]: getConfigVersion,
  };

  const server = await startSimulatorServer({
    name: 'nemo',
    port: options.port,
    errorBody: (_status, message) => ({ detail: message }),
    wrongShapeBody: { detail: null, items: 'not a deployment' },
    routes: SEED_ROUTES.map((route) => {
      const handler = HANDLERS[`${route.method} ${route.path}`];
      if (!handler) throw new Error(`no handler for ${route.method} ${route.path} of seed/routes.schema.json`);
      // An answer with a status the table does not list for the route is a simulator bug (500).
      const checked: SimHandler = async (req) => {
        const res = await guard(handler)(req);
        if (!route.status.includes(res.status)) throw new Error(`${route.method} ${route.path} answered ${res.status}, which seed/routes.schema.json does not list`);
        return res;
      };
      return [route.method, route.path.replace(/\{(\w+)\}/g, ':$1'), checked] as [string, string, SimHandler];
    }),
  });

  const mustFind = (key: string) => {
    const d = deployments.get(key);
    if (!d) throw new Error(`no deployment ${key} in the NeMo simulator`);
    return d;
  };

  const workspaceList = [...workspaces];
  return {
    vendor: 'nemo',
    url: server.url,
    server,
    workspaces: workspaceList,
    token,
    backendConfig: {
      vendor: 'nemo',
      baseUrl: server.url,
      ...(token ? { token } : {}),
      workspaces: workspaceList.length ? workspaceList : ['default'],
    },
    deployment(key) {
      const d = deployments.get(key);
      return d ? view(d, latest(d)) : undefined;
    },
    versions(key) {
      const d = deployments.get(key);
      return d ? [...d.versions].reverse().map((v) => view(d, v)) : [];
    },
    setStatus(key, status, message = '') {
      const v = latest(mustFind(key));
      settle(v);
      v.schedule = [];
      record(v.history, { at: clock.now(), status, message });
    },
    addConfigVersion: (workspace, name, spec) => configView(addConfigVersion(workspace, name, spec)),
    storeOffContract(key, edit) {
      mustFind(key);
      offContract.set(key, edit);
    },
    versionCount: () => [...deployments.values()].reduce((n, d) => n + d.versions.length, 0),
    close: () => server.close(),
  };
}

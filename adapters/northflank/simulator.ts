/**
 * A contract-faithful fake of the Northflank API v1 AI-model endpoints (seeds 000–002,
 * CONVENTIONS.md 1) on loopback: both path forms, Bearer auth, the `{"data": …}` and
 * `{"error": …}` envelopes, cursor pagination, the update body's validation, and a status
 * timeline computed lazily from the clock.
 */
import { systemClock, type Clock } from '../../src/domain/clock.js';
import { startSimulatorServer, type SimHandler, type SimRequest, type SimResponse, type VendorSimulator } from '../../src/simulator/server.js';
import { loadSeedSchemas, type SeedIssue } from '../../src/simulator/seed-validator.js';
import { SEED_DEPLOYMENTS, SEED_PROJECTS, type SimConfiguration, type SimPortInput } from './fixtures/deployments.js';

/**
 * The simulator's rules come from the JSON Schema transcription of the seed pages in `seed/`
 * (seeds 000–002 and CONVENTIONS.md 1), never from the adapter's contract.ts, mapping.ts or adapter.ts.
 */
const SEED = loadSeedSchemas(new URL('./seed/', import.meta.url), [
  'update-request.schema.json',
  'create-request.schema.json',
  'deployment.schema.json',
  'get-response.schema.json',
  'list-response.schema.json',
  'error.schema.json',
  'routes.schema.json',
]);

/** The route table of seed/routes.schema.json: method, path, the statuses it answers. */
const SEED_ROUTES = SEED.schema('northflank/routes')['x-routes'] as { method: string; path: string; status: number[] }[];

/** Checks a body (or path parameters) against one of the seed schemas, e.g. `northflank/update-request`. */
export const checkSeed = (id: string, value: unknown): SeedIssue[] => SEED.check(id, value);

/** What is wrong with the seed schema files (meta-schema, strict compilation); empty when nothing is. */
export const seedSchemaProblems = (): string[] => SEED.schemaProblems();

// The status words of seed 002.
const STATUSES = ['pending', 'provisioning', 'starting', 'crashed', 'paused', 'running', 'deleting'] as const;
export type NorthflankStatusWord = (typeof STATUSES)[number];

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export interface NorthflankSimulatorOptions {
  /** @default the system clock (demo mode) */
  clock?: Clock;
  /** @default 0 (ephemeral) */
  port?: number;
  /** How long each of pending, provisioning and starting lasts on the clock. @default 3000 */
  phaseMs?: number;
  /** Load the fixtures. @default true */
  seed?: boolean;
  /** The accepted API token. @default 'nf-simulator-token' */
  token?: string;
  /** Projects that exist. @default default-project and ml-research */
  projects?: string[];
  /** The team of the `/v1/teams/{teamId}/...` paths. @default 'model-gateway' */
  teamId?: string;
  /** Domains (and their subdomains) verified on the account (seed 001). @default ['models.example.com'] */
  verifiedDomains?: string[];
  /**
   * Enforce a fixed-window rate limit and send `x-ratelimit-*` on every answer (CONVENTIONS.md 1.6;
   * Northflank's default is 1000 per hour). Off by default so tests and benchmarks are not limited.
   */
  rateLimit?: { limit: number; windowMs?: number };
}

export type NorthflankSimStatus = NorthflankStatusWord;

/** An update body once it passed `seed/update-request.schema.json`. */
interface UpdateBody {
  name?: string;
  description?: string;
  tags?: string[];
  ports?: SimPortInput[];
  spec?: { configuration?: SimConfiguration };
}

export interface NorthflankSimulator extends VendorSimulator {
  token: string;
  teamId: string;
  projects: string[];
  phaseMs: number;
  /**
   * Pins a status (`crashed`, `paused`, `deleting`) or moves the pending → running timeline to the
   * given step. Key: `<projectId>/<llmModelDeploymentId>`.
   */
  setStatus(key: string, status: NorthflankSimStatus): void;
  /** The resource as GET would return it now, or undefined. */
  get(key: string): Record<string, unknown> | undefined;
  /** Every live resource, in list order. */
  all(projectId?: string): Record<string, unknown>[];
  /**
   * Serves the resource as `edit` leaves it from now on, whatever the seed's rules say: a value a
   * real backend may hold although no update could write it (a negative `storageSize`, a status
   * word seed 002 does not list). Key: `<projectId>/<llmModelDeploymentId>`.
   */
  storeOffContract(key: string, edit: (resource: Record<string, unknown>) => void): void;
}

interface StoredPort extends SimPortInput {
  id: string;
}

interface Stored {
  seq: number;
  projectId: string;
  id: string;
  name: string;
  description?: string;
  tags?: string[];
  configuration: SimConfiguration;
  ports: StoredPort[];
  creatorId: string;
  createdAt: string;
  updatedAtMs: number;
  deploymentConfiguration: { id: string; createdAt: string };
  /** Start of the pending → provisioning → starting → running timeline. */
  rolloutAtMs: number;
  pinned: 'crashed' | 'paused' | null;
  deletingAtMs: number | null;
}

// ASSUMPTION(CONVENTIONS.md 1.4 item 9): the timeline is pending → provisioning → starting → running, one phase each.
const TIMELINE = ['pending', 'provisioning', 'starting', 'running'] as const;
const DNS_ZONE = 'code.run';
// ASSUMPTION(CONVENTIONS.md 1.5): stable kebab-case error ids.
const ERROR_IDS: Record<number, string> = {
  400: 'validation-error',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  429: 'rate-limited',
  500: 'internal-error',
  502: 'bad-gateway',
  503: 'service-unavailable',
  504: 'gateway-timeout',
};

export function northflankErrorBody(status: number, message: string, details?: unknown) {
  return { error: { status, message, id: ERROR_IDS[status] ?? 'error', ...(details !== undefined ? { details } : {}) } };
}

const fail = (status: number, message: string, details?: unknown): SimResponse => ({ status, body: northflankErrorBody(status, message, details) });
const NOT_FOUND = () => fail(404, 'Not found');

// ASSUMPTION(CONVENTIONS.md 1.5): validation `details` is an array of `{path, message}`, path dotted.
// One detail per path: the alternatives of `integer | "auto"` fail together, the last issue sums them up.
function seedDetails(issues: SeedIssue[]) {
  const byPath = new Map<string, string>();
  for (const i of issues) {
    byPath.set(i.path.map(String).join('.'), i.keyword === 'additionalProperties' ? `Unknown field ${String(i.path.at(-1))}` : i.message);
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}

// ASSUMPTION(CONVENTIONS.md 1.2): ids are the slugified name (lower-case, spaces → `-`).
export const slugify = (name: string) => name.toLowerCase().replace(/\s+/g, '-');

// ASSUMPTION(CONVENTIONS.md 1.2): cursors are opaque base64url (the JS client does not encode query values).
const encodeCursor = (afterSeq: number) => Buffer.from(JSON.stringify({ after: afterSeq }), 'utf8').toString('base64url');
function decodeCursor(cursor: string): number | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    return typeof v.after === 'number' && Number.isInteger(v.after) ? v.after : null;
  } catch {
    return null;
  }
}

/** Objects merge key by key; anything else (scalars, arrays) replaces. */
function deepMerge<T>(base: T, patch: unknown): T {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch as T;
  const out: Record<string, unknown> = typeof base === 'object' && base !== null && !Array.isArray(base) ? { ...(base as object) } : {};
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(out[k], v);
  return out as T;
}

const clone = <T>(v: T): T => structuredClone(v);

export async function createNorthflankSimulator(options: NorthflankSimulatorOptions = {}): Promise<NorthflankSimulator> {
  const clock = options.clock ?? systemClock;
  const phaseMs = options.phaseMs ?? 3000;
  const token = options.token ?? 'nf-simulator-token';
  const teamId = options.teamId ?? 'model-gateway';
  const projects = options.projects ?? [...SEED_PROJECTS];
  const verified = options.verifiedDomains ?? ['models.example.com'];
  const store = new Map<string, Stored>();
  let seq = 0;
  let configSeq = 0;
  const keyOf = (projectId: string, id: string) => `${projectId}/${id}`;
  const iso = (ms: number) => new Date(ms).toISOString();
  const nextConfigId = () => `dc-${String(++configSeq).padStart(6, '0')}`;

  if (options.seed ?? true) {
    const now = clock.now();
    for (const s of SEED_DEPLOYMENTS) {
      if (!projects.includes(s.projectId)) continue;
      const step = TIMELINE.indexOf(s.status as (typeof TIMELINE)[number]);
      let portSeq = 0;
      store.set(keyOf(s.projectId, s.id), {
        seq: ++seq,
        projectId: s.projectId,
        id: s.id,
        name: s.name,
        description: s.description,
        tags: s.tags ? [...s.tags] : undefined,
        configuration: clone(s.configuration),
        ports: s.ports.map((p) => ({ ...p, id: `p${String(++portSeq).padStart(2, '0')}` })),
        creatorId: s.creatorId,
        createdAt: s.createdAt,
        updatedAtMs: Date.parse(s.updatedAt),
        deploymentConfiguration: { id: nextConfigId(), createdAt: s.updatedAt },
        // A pinned status (crashed, paused) sits on a finished rollout.
        rolloutAtMs: now - (step >= 0 ? step : TIMELINE.length - 1) * phaseMs,
        pinned: s.status === 'crashed' || s.status === 'paused' ? s.status : null,
        deletingAtMs: null,
      });
    }
  }

  /** The deployment, or undefined when absent or gone after its `deleting` phase. */
  function lookup(projectId: string, id: string): Stored | undefined {
    const d = store.get(keyOf(projectId, id));
    if (d && d.deletingAtMs !== null && clock.now() - d.deletingAtMs >= phaseMs) {
      store.delete(keyOf(projectId, id));
      return undefined;
    }
    return d;
  }

  function statusOf(d: Stored): NorthflankStatusWord {
    if (d.deletingAtMs !== null) return 'deleting';
    if (d.pinned) return d.pinned;
    const step = Math.floor((clock.now() - d.rolloutAtMs) / phaseMs);
    return TIMELINE[Math.min(Math.max(step, 0), TIMELINE.length - 1)]!;
  }

  const offContract = new Map<string, (resource: Record<string, unknown>) => void>();

  function render(d: Stored): Record<string, unknown> {
    const r = renderOnContract(d);
    offContract.get(keyOf(d.projectId, d.id))?.(r);
    return r;
  }

  function renderOnContract(d: Stored): Record<string, unknown> {
    const base = `${d.id}--${d.projectId}.${DNS_ZONE}`;
    return {
      name: d.name,
      ...(d.description !== undefined ? { description: d.description } : {}),
      ...(d.tags !== undefined ? { tags: [...d.tags] } : {}),
      spec: { type: 'custom', configuration: clone(d.configuration) },
      id: d.id,
      projectId: d.projectId,
      entityId: teamId,
      entityType: 'team',
      creatorId: d.creatorId,
      dns: { base, zone: DNS_ZONE },
      // The GET shape has no `domains` (seed 002); they are kept but not shown.
      ports: d.ports.map((p) => ({
        id: p.id,
        name: p.name,
        internalPort: p.internalPort,
        protocol: p.protocol,
        public: p.public ?? false,
        ...(p.public ? { dns: `${p.id}--${base}` } : {}),
        ...(p.disableNfDomain !== undefined ? { disableNfDomain: p.disableNfDomain } : {}),
      })),
      status: statusOf(d),
      deploymentConfiguration: { ...d.deploymentConfiguration },
      createdAt: d.createdAt,
      updatedAt: iso(d.updatedAtMs),
    };
  }

  const live = (projectId?: string) =>
    [...store.values()]
      .filter((d) => (!projectId || d.projectId === projectId) && lookup(d.projectId, d.id))
      // ASSUMPTION(CONVENTIONS.md 1.3): list order is creation time ascending.
      .sort((a, b) => a.seq - b.seq);

  // ---- rate limit (CONVENTIONS.md 1.6): fixed window from the first request ----
  // ASSUMPTION(CONVENTIONS.md 1.6): the limit is per API token, so only requests whose token
  // passed are counted (and start the window); a 401 carries no x-ratelimit-* headers.
  let windowStart: number | null = null;
  let used = 0;
  function rateLimit(): { headers: Record<string, string>; limited: boolean } {
    if (!options.rateLimit) return { headers: {}, limited: false };
    const windowMs = options.rateLimit.windowMs ?? 3_600_000;
    const now = clock.now();
    if (windowStart === null || now - windowStart >= windowMs) {
      windowStart = now;
      used = 0;
    }
    used += 1;
    const resetSeconds = Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000));
    const limited = used > options.rateLimit.limit;
    return {
      limited,
      headers: {
        'x-ratelimit-limit': String(options.rateLimit.limit),
        'x-ratelimit-remaining': String(Math.max(0, options.rateLimit.limit - used)),
        'x-ratelimit-reset': String(resetSeconds),
        // ASSUMPTION(CONVENTIONS.md 0.5): a 429 also carries Retry-After.
        ...(limited ? { 'retry-after': String(resetSeconds) } : {}),
      },
    };
  }

  // The auth scheme is case-insensitive (RFC 7235 section 2.1); one or more spaces before the token.
  const BEARER = /^bearer +(.+)$/i;

  // ASSUMPTION(CONVENTIONS.md 1.5): a missing or wrong token is 401 in the error envelope.
  const authFailure = (authorization: string | undefined): SimResponse | null => {
    const presented = BEARER.exec(authorization ?? '')?.[1];
    if (presented === undefined) return fail(401, 'Missing API token: send Authorization: Bearer <token>');
    return presented === token ? null : fail(401, 'Invalid API token');
  };

  /** Auth, rate limit, team and project checks shared by every route, in that order. */
  const guarded =
    (handler: (req: SimRequest, projectId: string) => SimResponse): SimHandler =>
    (req) => {
      const refused = authFailure(req.headers.authorization);
      if (refused) return refused;
      const rl = rateLimit();
      const respond = (r: SimResponse): SimResponse => ({ ...r, headers: { ...rl.headers, ...r.headers } });
      if (rl.limited) return respond(fail(429, 'Rate limit exceeded'));
      if (req.params.teamId !== undefined && req.params.teamId !== teamId) return respond(NOT_FOUND());
      const projectId = req.params.projectId!;
      if (!projects.includes(projectId)) return respond(NOT_FOUND());
      return respond(handler(req, projectId));
    };

  function checkDomains(ports: SimPortInput[] | undefined): SimResponse | null {
    const details: { path: string; message: string }[] = [];
    ports?.forEach((p, i) => {
      p.domains?.forEach((domain, j) => {
        const ok = verified.some((v) => domain === v || domain.endsWith(`.${v}`));
        if (!ok) details.push({ path: `ports.${i}.domains.${j}`, message: `Domain ${domain} must first be verified and registered to your account` });
      });
      // ASSUMPTION(CONVENTIONS.md 1.5): port names are unique within a deployment.
      if (ports.findIndex((q) => q.name === p.name) !== i) details.push({ path: `ports.${i}.name`, message: `Port name ${p.name} is used twice` });
    });
    return details.length ? fail(400, 'Invalid request body', details) : null;
  }

  function assignPorts(previous: StoredPort[], ports: SimPortInput[]): StoredPort[] {
    const used = new Set(previous.map((p) => p.id));
    let n = 0;
    const fresh = () => {
      let id: string;
      do id = `p${String(++n).padStart(2, '0')}`;
      while (used.has(id));
      used.add(id);
      return id;
    };
    return ports.map((p) => ({ ...p, id: previous.find((q) => q.name === p.name)?.id ?? fresh() }));
  }

  const list = guarded((req, projectId) => {
    const perPageRaw = req.query.get('per_page');
    const pageRaw = req.query.get('page');
    const cursor = req.query.get('cursor');
    const details: { path: string; message: string }[] = [];
    // CONVENTIONS.md 1.3: per_page max 100, default 50.
    const perPage = perPageRaw === null ? 50 : /^\d+$/.test(perPageRaw) ? Number(perPageRaw) : NaN;
    if (!(perPage >= 1 && perPage <= 100)) details.push({ path: 'per_page', message: 'must be an integer from 1 to 100' });
    const page = pageRaw === null ? 1 : /^\d+$/.test(pageRaw) ? Number(pageRaw) : NaN;
    if (!(page >= 1)) details.push({ path: 'page', message: 'must be an integer from 1' });
    const after = cursor === null || cursor === '' ? null : decodeCursor(cursor);
    if (cursor && after === null) details.push({ path: 'cursor', message: 'is not a cursor this API gave out' });
    if (details.length) return fail(400, 'Invalid query parameters', details);
    const all = live(projectId);
    // ASSUMPTION(CONVENTIONS.md 1.3): a cursor wins over page.
    const start = after !== null ? all.findIndex((d) => d.seq > after) : (page - 1) * perPage;
    const items = start < 0 ? [] : all.slice(start, start + perPage);
    const hasNextPage = start >= 0 && start + perPage < all.length;
    return {
      status: 200,
      body: {
        data: { llmModelDeployments: items.map(render) },
        pagination: { hasNextPage, ...(hasNextPage ? { cursor: encodeCursor(items[items.length - 1]!.seq) } : {}), count: items.length },
      },
    };
  });

  const getOne = guarded((req, projectId) => {
    const d = lookup(projectId, req.params.llmModelDeploymentId!);
    return d ? { status: 200, body: { data: render(d) } } : NOT_FOUND();
  });

  const update = guarded((req, projectId) => {
    const d = lookup(projectId, req.params.llmModelDeploymentId!);
    if (!d) return NOT_FOUND();
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return fail(400, 'Request body must be a JSON object');
    const issues = checkSeed('northflank/update-request', req.body);
    if (issues.length) return fail(400, 'Invalid request body', seedDetails(issues));
    const body = req.body as UpdateBody;
    const bad = checkDomains(body.ports);
    if (bad) return bad;
    // ASSUMPTION(CONVENTIONS.md 1.4 item 10): a deployment being deleted takes no updates.
    if (d.deletingAtMs !== null) return fail(409, 'The AI model is being deleted');
    const now = clock.now();
    if (body.name !== undefined) d.name = body.name;
    if (body.description !== undefined) d.description = body.description;
    if (body.tags !== undefined) d.tags = [...body.tags];
    if (body.ports !== undefined) d.ports = assignPorts(d.ports, body.ports);
    if (body.spec?.configuration !== undefined) {
      const next = deepMerge(d.configuration, body.spec.configuration);
      if (!deepEqual(next, d.configuration)) {
        d.configuration = next;
        // ASSUMPTION(CONVENTIONS.md 1.4 item 9): a spec change is a rollout: back to pending,
        // a crash is cleared; a paused deployment stays paused.
        d.rolloutAtMs = now;
        if (d.pinned === 'crashed') d.pinned = null;
        d.deploymentConfiguration = { id: nextConfigId(), createdAt: iso(now) };
      }
    }
    // updatedAt moves on every update, strictly (it is the gateway's version of the resource).
    d.updatedAtMs = Math.max(now, d.updatedAtMs + 1);
    // ASSUMPTION(CONVENTIONS.md 1.3): update answers 200 with the resource.
    return { status: 200, body: { data: render(d) } };
  });

  const create = guarded((req, projectId) => {
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return fail(400, 'Request body must be a JSON object');
    // ASSUMPTION(CONVENTIONS.md 1.4 item 1): create without spec.type is refused.
    const issues = checkSeed('northflank/create-request', req.body);
    if (issues.length) return fail(400, 'Invalid request body', seedDetails(issues));
    const body = req.body as UpdateBody & { name: string; spec: { configuration: SimConfiguration } };
    const bad = checkDomains(body.ports);
    if (bad) return bad;
    const id = slugify(body.name);
    if (lookup(projectId, id)) return fail(409, `An AI model with id ${id} already exists in project ${projectId}`);
    const now = clock.now();
    const d: Stored = {
      seq: ++seq,
      projectId,
      id,
      name: body.name,
      description: body.description,
      tags: body.tags,
      configuration: clone(body.spec.configuration) as SimConfiguration,
      ports: assignPorts([], body.ports ?? []),
      creatorId: 'api',
      createdAt: iso(now),
      updatedAtMs: now,
      deploymentConfiguration: { id: nextConfigId(), createdAt: iso(now) },
      rolloutAtMs: now,
      pinned: null,
      deletingAtMs: null,
    };
    store.set(keyOf(projectId, id), d);
    return { status: 200, body: { data: render(d) } };
  });

  const remove = guarded((req, projectId) => {
    const d = lookup(projectId, req.params.llmModelDeploymentId!);
    if (!d) return NOT_FOUND();
    // ASSUMPTION(CONVENTIONS.md 1.4 item 10): 200 at once; `deleting` for one phase, then 404.
    d.deletingAtMs ??= clock.now();
    return { status: 200, body: { data: {} } };
  });

  // The routes are those of seed/routes.schema.json (seeds 000–002, CONVENTIONS.md 1.2), in both path
  // forms; a path parameter off its pattern matches nothing (404), and an answer with a status the
  // table does not list for the route is a simulator bug (500).
  const HANDLERS: Record<string, SimHandler> = {
    'GET /v1/projects/{projectId}/llm-model-deployments': list,
    'POST /v1/projects/{projectId}/llm-model-deployments': create,
    'GET /v1/projects/{projectId}/llm-model-deployments/{llmModelDeploymentId}': getOne,
    'POST /v1/projects/{projectId}/llm-model-deployments/{llmModelDeploymentId}': update,
    'DELETE /v1/projects/{projectId}/llm-model-deployments/{llmModelDeploymentId}': remove,
  };
  const routes: [string, string, SimHandler][] = [];
  for (const route of SEED_ROUTES) {
    const handler = HANDLERS[`${route.method} ${route.path}`];
    if (!handler) throw new Error(`no handler for ${route.method} ${route.path} of seed/routes.schema.json`);
    const checked: SimHandler = async (req) => {
      if (checkSeed('northflank/routes', req.params).length) return NOT_FOUND();
      const res = await handler(req);
      if (!route.status.includes(res.status)) throw new Error(`${route.method} ${route.path} answered ${res.status}, which seed/routes.schema.json does not list`);
      return res;
    };
    // Every path also exists under /v1/teams/{teamId} (seeds 000, 002).
    for (const prefix of ['', '/teams/{teamId}']) {
      const path = route.path.replace(/^\/v1/, `/v1${prefix}`).replace(/\{(\w+)\}/g, ':$1');
      routes.push([route.method, path, checked]);
    }
  }

  const server = await startSimulatorServer({
    name: 'northflank',
    port: options.port,
    routes,
    errorBody: (status, message) => northflankErrorBody(status, message),
    // Every route needs the token: without it, a body that is not JSON is a 401 first.
    authFailure: (headers) => authFailure(headers.authorization),
    wrongShapeBody: { data: { llmModelDeployments: { unexpected: true }, name: 42 } },
  });

  const findByKey = (key: string) => {
    const [projectId, id] = key.split('/');
    const d = projectId && id ? lookup(projectId, id) : undefined;
    if (!d) throw new Error(`no deployment ${key} in the Northflank simulator`);
    return d;
  };

  return {
    vendor: 'northflank',
    url: server.url,
    token,
    teamId,
    projects,
    phaseMs,
    backendConfig: { vendor: 'northflank', baseUrl: server.url, token, projects: [...projects] },
    server,
    setStatus(key, status) {
      const d = findByKey(key);
      const now = clock.now();
      d.deletingAtMs = status === 'deleting' ? now : null;
      d.pinned = status === 'crashed' || status === 'paused' ? status : null;
      const step = TIMELINE.indexOf(status as (typeof TIMELINE)[number]);
      if (step >= 0) d.rolloutAtMs = now - step * phaseMs;
    },
    get(key) {
      const [projectId, id] = key.split('/');
      const d = projectId && id ? lookup(projectId, id) : undefined;
      return d ? render(d) : undefined;
    },
    all: (projectId) => live(projectId).map(render),
    storeOffContract(key, edit) {
      findByKey(key);
      offContract.set(key, edit);
    },
    close: () => server.close(),
  };
}

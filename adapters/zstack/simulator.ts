import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { systemClock, type Clock } from '../../src/domain/clock.js';
import { startSimulatorServer, type SimRequest, type SimResponse, type VendorSimulator } from '../../src/simulator/server.js';
import type { SimulatorOptions } from '../simulators.js';
import { sha512Hex } from './client.js';
import {
  formatGsonDate,
  LONG_FIELDS,
  MODEL_RESOURCE_TYPE,
  parseGsonDate,
  parseJsonLossless,
  UPDATE_BODY_FIELDS,
  UpdateModelFieldsSchema,
  type ZStackErrorCode,
} from './contract.js';

/**
 * A contract-faithful fake of the ZStack REST API for the AI model repository: login/logout and
 * sessions (CONVENTIONS.md 3.2), the query API (3.3), UpdateModel (seed 004) synchronous or as a
 * 202 job (3.4), ErrorCode bodies and plain-text 400/404/500 (3.5).
 */

export interface ZStackSimulatorOptions extends SimulatorOptions {
  /** @default 'admin' */
  accountName?: string;
  /** @default a random password */
  password?: string;
  /** ASSUMPTION(CONVENTIONS.md 3.2): session lifetime 2 h, fixed from login (not sliding). @default 7200000 */
  sessionTtlMs?: number;
  /** `wrapped` reads UpdateModel fields only from `updateModel`, like ZStack's RestServer (CONVENTIONS.md 0.1). @default 'flat' */
  bodyStyle?: 'flat' | 'wrapped';
  /** Answer UpdateModel with 202 + job location (CONVENTIONS.md 0.2). @default false */
  async?: boolean;
  /** Polls of a job before it finishes. @default 2 */
  jobPolls?: number;
}

export interface ZStackSimulator extends VendorSimulator {
  accountName: string;
  password: string;
  /** Successful logins so far. */
  logins(): number;
  /** Ends every session now (the next call gets ID.1001). */
  expireSessions(): void;
  setBodyStyle(style: 'flat' | 'wrapped'): void;
  /** 202 + job for UpdateModel; `hang` makes jobs never finish. */
  setAsync(enabled: boolean, options?: { polls?: number; hang?: boolean }): void;
  /** The next UpdateModel fails with this ErrorCode (503, or inside the job in async mode). */
  failNextUpdate(error: ZStackErrorCode): void;
  /** Adds a model; Long fields may be bigint, numbers or decimal strings; dates Gson text or epoch ms. */
  addModel(inventory: Record<string, unknown> & { uuid: string; name: string }, extra?: { userTags?: string[] }): void;
  removeModel(uuid: string): boolean;
  /** The model as the API would return it (JSON text parsed losslessly). */
  model(uuid: string): Record<string, unknown> | undefined;
  userTags(uuid: string): string[];
  hidden(uuid: string): { modelClassifications: string[]; defaultModelServiceUuid: string | null; systemTags: string[] } | undefined;
}

interface SimModel {
  /** Inventory fields: Long fields as bigint, dates as epoch ms. */
  inv: Record<string, unknown>;
  modelClassifications: string[];
  defaultModelServiceUuid: string | null;
  systemTags: string[];
}

interface UserTag {
  uuid: string;
  resourceUuid: string;
  resourceType: string;
  tag: string;
  type: string;
  createDate: number;
  lastOpDate: number;
}

interface Job {
  pollsLeft: number;
  run: () => SimResponse;
  result?: SimResponse;
}

const API = '/zstack/v1';
const MN_LOCATION = 'http://172.20.0.10:8080';
const uuid32 = () => randomUUID().replace(/-/g, '');

const MODEL_SCHEMA: Record<string, string> = {
  uuid: 'java.lang.String',
  name: 'java.lang.String',
  description: 'java.lang.String',
  installPath: 'java.lang.String',
  parameters: 'java.lang.String',
  modelCenterUuid: 'java.lang.String',
  logo: 'java.lang.String',
  vendor: 'java.lang.String',
  modelId: 'java.lang.String',
  introduction: 'java.lang.String',
  size: 'java.lang.Long',
  version: 'java.lang.String',
  type: 'java.lang.String',
  minGpuMemory: 'java.lang.Long',
  recommendedGpuMemory: 'java.lang.Long',
  recommendedGpuNum: 'java.util.List',
  gpuConstraintDescription: 'java.lang.String',
  versionSemver: 'java.lang.String',
  isLatestVersion: 'java.lang.Boolean',
  artifactChecksum: 'java.lang.String',
  artifactSizeBytes: 'java.lang.Long',
  architectureType: 'java.lang.String',
  frameworkVersion: 'java.lang.String',
  requiredAccelerator: 'java.lang.String',
  pipelineTag: 'java.lang.String',
  modelServiceRefs: 'java.util.List',
  extraGpuMemRequest: 'java.lang.Long',
  SAMPLE_SIZE: 'java.lang.Integer',
  createDate: 'java.sql.Timestamp',
  lastOpDate: 'java.sql.Timestamp',
};

const TAG_SCHEMA: Record<string, string> = {
  uuid: 'java.lang.String',
  resourceUuid: 'java.lang.String',
  resourceType: 'java.lang.String',
  tag: 'java.lang.String',
  type: 'java.lang.String',
  createDate: 'java.sql.Timestamp',
  lastOpDate: 'java.sql.Timestamp',
};

// ---- JSON with exact Longs -------------------------------------------------------------------

const LONG_MARK = '\u0000long:';

/** JSON text in which bigint values are written as bare number literals (Java Longs stay exact). */
export function toJsonText(value: unknown): string {
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${LONG_MARK}${v.toString()}` : v));
  return text.replace(/"\\u0000long:(-?\d+)"/g, '$1');
}

const json = (status: number, body: unknown): SimResponse => ({
  status,
  body: toJsonText(body),
  headers: { 'content-type': 'application/json; charset=utf-8' },
});
const text = (status: number, body: string): SimResponse => ({ status, body });

/** A failed sync API: 503 + `{"error": ErrorCode}` (CONVENTIONS.md 3.2, 3.5). */
const apiError = (code: string, description: string, details: string, cause?: ZStackErrorCode): SimResponse =>
  json(503, { error: { code, description, details, ...(cause ? { cause } : {}) } });

const invalidArgument = (details: string) => apiError('SYS.1007', 'One or more API argument is invalid', details);
const UPDATE_MSG = 'org.zstack.ai.message.APIUpdateModelMsg';

function toLong(v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' || (typeof v === 'string' && /^-?\d+$/.test(v))) return BigInt(v);
  throw new Error(`not a Long: ${String(v)}`);
}

function toMs(v: unknown, fallback: number): number {
  if (typeof v === 'number') return v;
  return parseGsonDate(v)?.getTime() ?? fallback;
}

// ---- query API (CONVENTIONS.md 3.3) -----------------------------------------------------------

type Row = Record<string, unknown>;
const CONDITION = /^([A-Za-z_][A-Za-z0-9_.]*)(!\?=|!~=|\?=|~=|!=|>=|<=|=|>|<)(.*)$/s;

function likeRegex(pattern: string): RegExp {
  const src = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${src}$`, 'is');
}

function compare(a: unknown, b: string): number {
  const as = typeof a === 'bigint' || typeof a === 'number' ? String(a) : String(a ?? '');
  if (/^-?\d+$/.test(as) && /^-?\d+$/.test(b)) {
    const x = BigInt(as);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return as < b ? -1 : as > b ? 1 : 0;
}

function conditionOf(q: string, fields: Record<string, string>): ((row: Row) => boolean) | string {
  const nullForm = /^([A-Za-z_][A-Za-z0-9_.]*) (is null|not null)$/.exec(q);
  if (nullForm) {
    const [, field, op] = nullForm;
    if (!(field! in fields)) return `unknown field[${field}]`;
    return (row) => (row[field!] === null || row[field!] === undefined) === (op === 'is null');
  }
  const m = CONDITION.exec(q);
  if (!m) return `condition[${q}] has no operator`;
  const [, field, op, value] = m as unknown as [string, string, string, string];
  if (!(field in fields)) return `unknown field[${field}]`;
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  if (value === 'null' && (op === '=' || op === '!=')) return (row) => (str(row[field]) === null) === (op === '=');
  switch (op) {
    case '=':
      return (row) => str(row[field]) === value;
    case '!=':
      return (row) => str(row[field]) !== value;
    case '?=': {
      const set = new Set(value.split(','));
      return (row) => set.has(str(row[field]) ?? '\u0000');
    }
    case '!?=': {
      const set = new Set(value.split(','));
      return (row) => !set.has(str(row[field]) ?? '\u0000');
    }
    case '~=': {
      const re = likeRegex(value);
      return (row) => re.test(str(row[field]) ?? '');
    }
    case '!~=': {
      const re = likeRegex(value);
      return (row) => !re.test(str(row[field]) ?? '');
    }
    case '>':
      return (row) => row[field] != null && compare(row[field], value) > 0;
    case '<':
      return (row) => row[field] != null && compare(row[field], value) < 0;
    case '>=':
      return (row) => row[field] != null && compare(row[field], value) >= 0;
    default:
      return (row) => row[field] != null && compare(row[field], value) <= 0;
  }
}

/** The standard query: q (ANDed), limit (default 1000), start, sort, count, replyWithCount; replies carry `schema`. */
function runQuery(rows: Row[], query: URLSearchParams, schema: Record<string, string>, view: (row: Row) => unknown): SimResponse {
  const intParam = (name: string): number | undefined | string => {
    const v = query.get(name);
    if (v === null) return undefined;
    if (!/^\d+$/.test(v)) return `Invalid query parameter. '${name}' must be an integer`;
    return Number(v);
  };
  const limit = intParam('limit');
  if (typeof limit === 'string') return text(400, limit);
  const start = intParam('start');
  if (typeof start === 'string') return text(400, start);
  let out = rows;
  for (const q of query.getAll('q')) {
    const cond = conditionOf(q, schema);
    if (typeof cond === 'string') return text(400, `Invalid query condition: ${cond}`);
    out = out.filter(cond);
  }
  const sort = query.get('sort');
  if (sort) {
    const desc = sort.startsWith('-');
    const field = sort.replace(/^[+-]/, '');
    if (!(field in schema)) return text(400, `Invalid query parameter. 'sort' field[${field}] is not a field of the inventory`);
    out = [...out].sort((a, b) => (desc ? -1 : 1) * compare(a[field], String(b[field] ?? '')));
  }
  const total = out.length;
  if (query.get('count') === 'true') return json(200, { total });
  const from = start ?? 0;
  const page = out.slice(from, from + (limit ?? 1000)).map(view);
  return json(200, { inventories: page, ...(query.get('replyWithCount') === 'true' ? { total } : {}), schema });
}

// ---- the simulator ----------------------------------------------------------------------------

type Fixture = { inventory: Record<string, unknown> & { uuid: string; name: string }; userTags?: string[]; modelClassifications?: string[] };

function loadFixtures(): Fixture[] {
  const raw = readFileSync(new URL('./fixtures/models.json', import.meta.url), 'utf8');
  return parseJsonLossless(raw) as Fixture[];
}

export async function createZStackSimulator(options: ZStackSimulatorOptions = {}): Promise<ZStackSimulator> {
  const clock: Clock = options.clock ?? systemClock;
  const accountName = options.accountName ?? 'admin';
  const password = options.password ?? randomBytes(12).toString('base64url');
  const passwordHash = sha512Hex(password);
  const accountUuid = '36c27e8ff05c4780bf6d2fa65700f22e';
  const ttl = options.sessionTtlMs ?? 2 * 60 * 60 * 1000;
  let bodyStyle = options.bodyStyle ?? 'flat';
  let asyncMode = options.async ?? false;
  let jobPolls = options.jobPolls ?? 2;
  let hangJobs = false;
  let nextUpdateFailure: ZStackErrorCode | null = null;
  let loginCount = 0;

  const models = new Map<string, SimModel>();
  const tags: UserTag[] = [];
  const sessions = new Map<string, { expiresAt: number }>();
  const jobs = new Map<string, Job>();

  const setUserTags = (resourceUuid: string, list: string[]) => {
    const now = clock.now();
    for (let i = tags.length - 1; i >= 0; i--) if (tags[i]!.resourceUuid === resourceUuid) tags.splice(i, 1);
    for (const tag of list) tags.push({ uuid: uuid32(), resourceUuid, resourceType: MODEL_RESOURCE_TYPE, tag, type: 'User', createDate: now, lastOpDate: now });
  };

  function addModel(inventory: Record<string, unknown> & { uuid: string; name: string }, extra: { userTags?: string[]; modelClassifications?: string[] } = {}) {
    const now = clock.now();
    const inv: Record<string, unknown> = { ...inventory };
    for (const f of LONG_FIELDS) if (f in inv) inv[f] = toLong(inv[f]);
    inv.createDate = toMs(inv.createDate, now);
    inv.lastOpDate = toMs(inv.lastOpDate, inv.createDate as number);
    inv.modelServiceRefs = ((inv.modelServiceRefs as Row[] | undefined) ?? []).map((r) => ({
      ...r,
      createDate: toMs(r.createDate, now),
      lastOpDate: toMs(r.lastOpDate, now),
    }));
    models.set(inventory.uuid, { inv, modelClassifications: extra.modelClassifications ?? [], defaultModelServiceUuid: null, systemTags: [] });
    setUserTags(inventory.uuid, extra.userTags ?? []);
  }

  if (options.seed !== false) for (const f of loadFixtures()) addModel(f.inventory, f);

  /** The inventory as the API writes it: Gson dates, Longs exact. */
  const view = (row: Row): Row => ({
    ...row,
    createDate: formatGsonDate(row.createDate as number),
    lastOpDate: formatGsonDate(row.lastOpDate as number),
    ...(Array.isArray(row.modelServiceRefs)
      ? { modelServiceRefs: (row.modelServiceRefs as Row[]).map((r) => ({ ...r, createDate: formatGsonDate(r.createDate as number), lastOpDate: formatGsonDate(r.lastOpDate as number) })) }
      : {}),
  });
  const tagView = (t: Row): Row => ({ ...t, createDate: formatGsonDate(t.createDate as number), lastOpDate: formatGsonDate(t.lastOpDate as number) });

  /** `Authorization: OAuth <session>` (CONVENTIONS.md 3.1–3.2): 400 plain text, or 503 ID.1001. */
  function checkAuth(req: SimRequest): SimResponse | null {
    const header = req.headers.authorization;
    if (!header) return text(400, "missing header 'Authorization'");
    const space = header.indexOf(' ');
    const scheme = space < 0 ? header : header.slice(0, space);
    const token = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme !== 'OAuth') return text(400, "Authorization type must be 'OAuth'");
    const s = sessions.get(token);
    if (!s) return apiError('ID.1001', 'Invalid session', 'Session expired');
    if (clock.now() >= s.expiresAt) {
      sessions.delete(token);
      return apiError('ID.1001', 'Invalid session', 'Session expired');
    }
    return null;
  }

  function login(req: SimRequest): SimResponse {
    const body = req.body as { logInByAccount?: { accountName?: unknown; password?: unknown } } | undefined;
    const msg = body?.logInByAccount;
    if (!msg || typeof msg !== 'object') return text(400, "the body doesn't contain field 'logInByAccount'");
    if (typeof msg.accountName !== 'string' || !msg.accountName) return invalidArgument('field[accountName] of message[org.zstack.header.identity.APILogInByAccountMsg] is mandatory, can not be null');
    if (typeof msg.password !== 'string' || !msg.password) return invalidArgument('field[password] of message[org.zstack.header.identity.APILogInByAccountMsg] is mandatory, can not be null');
    // ASSUMPTION(CONVENTIONS.md 3.2): a wrong account or password fails with ID.1000.
    if (msg.accountName !== accountName || msg.password !== passwordHash) return apiError('ID.1000', 'Authentication error', 'wrong account name or password');
    const now = clock.now();
    const uuid = uuid32();
    sessions.set(uuid, { expiresAt: now + ttl });
    loginCount++;
    return json(200, { inventory: { uuid, accountUuid, userUuid: accountUuid, expiredDate: formatGsonDate(now + ttl), createDate: formatGsonDate(now) } });
  }

  /** Validates and applies the UpdateModel fields; ZStack-style SYS.1007 / SYS.1003 errors. */
  function applyUpdate(uuid: string, fields: Record<string, unknown>, systemTags: unknown, userTags: unknown): SimResponse {
    const m = models.get(uuid);
    if (!m) return apiError('SYS.1003', 'Resource not found', `invalid field[uuid], resource[uuids:[${uuid}], type:ModelVO] not found`);
    // Gson ignores unknown keys; the known ones are checked with the API's rules.
    const known: Record<string, unknown> = {};
    for (const f of UPDATE_BODY_FIELDS) if (f !== 'systemTags' && f !== 'userTags' && fields[f] !== undefined && fields[f] !== null) known[f] = fields[f];
    const r = UpdateModelFieldsSchema.safeParse(known);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const field = String(issue.path[0] ?? 'unknown');
      return invalidArgument(`field[${field}] of message[${UPDATE_MSG}] is invalid: ${issue.message}`);
    }
    for (const [name, list] of [['systemTags', systemTags], ['userTags', userTags]] as const) {
      if (list !== undefined && list !== null && (!Array.isArray(list) || list.some((t) => typeof t !== 'string' || t === ''))) {
        return invalidArgument(`field[${name}] of message[${UPDATE_MSG}] must be a list of non-empty strings`);
      }
    }
    const v = r.data;
    if (v.clearDefaultModelService && v.defaultModelServiceUuid) {
      return invalidArgument(`field[clearDefaultModelService] of message[${UPDATE_MSG}] cannot be true while defaultModelServiceUuid is set`);
    }
    let changed = false;
    for (const f of ['name', 'installPath', 'description', 'vendor', 'parameters', 'modelCenterUuid', 'gpuConstraintDescription', 'modelId'] as const) {
      if (v[f] !== undefined) {
        m.inv[f] = v[f];
        changed = true;
      }
    }
    if (v.recommendedGpuNum !== undefined) {
      m.inv.recommendedGpuNum = v.recommendedGpuNum.split(',').map(Number);
      changed = true;
    }
    if (v.modelClassifications !== undefined) {
      m.modelClassifications = [...v.modelClassifications];
      changed = true;
    }
    if (v.defaultModelServiceUuid !== undefined) {
      m.defaultModelServiceUuid = v.defaultModelServiceUuid;
      changed = true;
    }
    if (v.clearDefaultModelService) {
      m.defaultModelServiceUuid = null;
      changed = true;
    }
    // ASSUMPTION(CONVENTIONS.md 3.6): tags given to UpdateModel replace the model's tags of that kind.
    if (Array.isArray(systemTags)) {
      m.systemTags = [...(systemTags as string[])];
      changed = true;
    }
    if (Array.isArray(userTags)) {
      setUserTags(uuid, userTags as string[]);
      changed = true;
    }
    if (changed) m.inv.lastOpDate = clock.now();
    // Seed 004's example reply carries only the inventory (CONVENTIONS.md 3.6).
    return json(200, { inventory: view(m.inv) });
  }

  function updateModel(req: SimRequest): SimResponse {
    const header = req.headers.authorization;
    const authFailure = checkAuth(req);
    // Header problems are refused at once; an invalid session fails the API (in the job when async).
    if (authFailure && (!header || authFailure.status === 400)) return authFailure;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) return text(400, 'the body is not a JSON object');
    const wrapped = body.updateModel && typeof body.updateModel === 'object' ? (body.updateModel as Record<string, unknown>) : undefined;
    // wrapped mode: like the RestServer, only `updateModel` (+ top-level tags) is read (CONVENTIONS.md 0.1).
    const fields = bodyStyle === 'wrapped' ? (wrapped ?? {}) : (wrapped ?? body);
    const uuid = req.params.uuid!;
    const run = (): SimResponse => {
      if (authFailure) return authFailure;
      if (nextUpdateFailure) {
        const e = nextUpdateFailure;
        nextUpdateFailure = null;
        return json(503, { error: e });
      }
      return applyUpdate(uuid, fields, body.systemTags, body.userTags);
    };
    if (!asyncMode) return run();
    const job = uuid32();
    jobs.set(job, { pollsLeft: hangJobs ? Infinity : jobPolls, run });
    return json(202, { location: `${MN_LOCATION}${API}/api-jobs/${job}`, apiTimeout: 1_800_000 });
  }

  /**
   * ASSUMPTION(CONVENTIONS.md 3.4): the job result is read without a session check (the job
   * uuid is the capability); the API's own result — including ID.1001 — is the job's result.
   */
  function pollJob(req: SimRequest): SimResponse {
    const job = jobs.get(req.params.job!);
    if (!job) return text(404, 'the job has been expired');
    if (!job.result) {
      job.pollsLeft -= 1;
      if (job.pollsLeft > 0) return json(202, { location: `${MN_LOCATION}${API}/api-jobs/${req.params.job}` });
      job.result = job.run();
    }
    return job.result;
  }

  const guarded =
    (handler: (req: SimRequest) => SimResponse) =>
    (req: SimRequest): SimResponse =>
      checkAuth(req) ?? handler(req);

  const modelRows = () => [...models.values()].map((m) => m.inv);

  const server = await startSimulatorServer({
    name: 'zstack',
    port: options.port,
    // ZStack answers 400/404/405/500 in plain text and API failures as 503 + ErrorCode (CONVENTIONS.md 3.5).
    errorBody: (status, message) => {
      if (status === 503) return { error: { code: 'SYS.1000', description: 'An internal error happened in the system', details: message } };
      const route = /^No route for \S+ (\S+)$/.exec(message);
      return route ? `no api mapping to ${route[1]}` : message;
    },
    wrongShapeBody: { inventories: 'not-a-list', schema: {} },
    routes: [
      ['PUT', `${API}/accounts/login`, login],
      [
        'DELETE',
        `${API}/accounts/sessions/:session`,
        (req) => {
          sessions.delete(req.params.session!);
          return json(200, {});
        },
      ],
      ['GET', `${API}/ai/models`, guarded((req) => runQuery(modelRows(), req.query, MODEL_SCHEMA, view))],
      [
        'GET',
        `${API}/ai/models/:uuid`,
        guarded((req) => {
          const q = new URLSearchParams(req.query);
          q.append('q', `uuid=${req.params.uuid}`);
          return runQuery(modelRows(), q, MODEL_SCHEMA, view);
        }),
      ],
      ['PUT', `${API}/ai/models/:uuid`, updateModel],
      ['GET', `${API}/user-tags`, guarded((req) => runQuery(tags as unknown as Row[], req.query, TAG_SCHEMA, tagView))],
      ['GET', `${API}/api-jobs/:job`, pollJob],
      ['PUT', `${API}/api-jobs/:job`, () => text(405, 'method not allowed')],
    ],
  });

  const present = (uuid: string) => {
    const m = models.get(uuid);
    return m ? (parseJsonLossless(toJsonText(view(m.inv))) as Record<string, unknown>) : undefined;
  };

  return {
    vendor: 'zstack',
    url: server.url,
    backendConfig: { vendor: 'zstack', baseUrl: server.url, accountName, password },
    server,
    accountName,
    password,
    conformance: {
      existingKey: '1bb3ef7d600d4d30b21b8ffd299c37b5',
      missingKey: '0123456789abcdef0123456789abcdef',
      badKeys: [
        '..',
        '1BB3EF7D600D4D30B21B8FFD299C37B5',
        '1bb3ef7d600d4d30b21b8ffd299c37b',
        '1bb3ef7d600d4d30b21b8ffd299c37b5a',
        '1bb3ef7d-600d-4d30-b21b-8ffd299c37b5',
        '1bb3ef7d600d4d30b21b8ffd299c37b5/x',
        '%2e%2e',
        'gggggggggggggggggggggggggggggggg',
      ],
      validPatch: { description: 'Updated by conformance' },
      applied: (d) => d.description === 'Updated by conformance',
      invalidPatch: { name: '' },
      invalidPath: ['name'],
    },
    logins: () => loginCount,
    expireSessions: () => sessions.clear(),
    setBodyStyle: (style) => {
      bodyStyle = style;
    },
    setAsync(enabled, opts = {}) {
      asyncMode = enabled;
      if (opts.polls !== undefined) jobPolls = opts.polls;
      hangJobs = opts.hang ?? false;
    },
    failNextUpdate(error) {
      nextUpdateFailure = error;
    },
    addModel: (inventory, extra) => addModel(inventory, extra),
    removeModel: (uuid) => {
      setUserTags(uuid, []);
      return models.delete(uuid);
    },
    model: present,
    userTags: (uuid) => tags.filter((t) => t.resourceUuid === uuid).map((t) => t.tag),
    hidden(uuid) {
      const m = models.get(uuid);
      return m ? { modelClassifications: m.modelClassifications, defaultModelServiceUuid: m.defaultModelServiceUuid, systemTags: m.systemTags } : undefined;
    },
    close: () => server.close(),
  };
}

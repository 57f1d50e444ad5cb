import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { systemClock, type Clock } from '../../src/domain/clock.js';
import { startSimulatorServer, type SimRequest, type SimResponse, type VendorSimulator } from '../../src/simulator/server.js';
import { checkBody, longFields, paramValidator } from './seed/validators.js';

/**
 * A fake of the ZStack REST API for the AI model repository, built from the seed transcription in
 * ./seed (bodies.schema.json, operations.json, validated with ajv) and CONVENTIONS.md section 3 —
 * never from the adapter (contract.ts, mapping.ts, adapter.ts, client.ts). Login/logout and sessions
 * (CONVENTIONS.md 3.2), the query API (3.3), UpdateModel (seed 004) synchronous or as a 202 job
 * (3.4), ErrorCode bodies and plain-text 400/404/500 (3.5). Every behaviour the seeds do not state is
 * a row of the assumption table in ./README.md (A1…), cited beside the code as `ASSUMPTION(An)`.
 */

/** An ErrorCode (seed 004 `error`, CONVENTIONS.md 3.5). */
export interface SimErrorCode {
  code: string;
  description?: string | null;
  details?: string | null;
  elaboration?: string | null;
  opaque?: Record<string, unknown> | null;
  cause?: SimErrorCode | null;
}

/** What happens to UpdateModel's `userTags` (ASSUMPTION(A12)): they replace the model's user tags, or are accepted and ignored. */
export type UserTagsOnUpdate = 'replace' | 'ignore';

export interface ZStackSimulatorOptions {
  clock?: Clock;
  port?: number;
  /** Unused: ZStack models have no status timeline (CONVENTIONS.md 0.6). */
  phaseMs?: number;
  /** Load fixtures/models.json. @default true */
  seed?: boolean;
  /** @default 'admin' */
  accountName?: string;
  /** @default a random password */
  password?: string;
  /** ASSUMPTION(A14): session lifetime 2 h, fixed from login (not sliding). @default 7200000 */
  sessionTtlMs?: number;
  /** `wrapped` reads UpdateModel fields only from `updateModel`, like ZStack's RestServer (CONVENTIONS.md 0.1). @default 'flat' */
  bodyStyle?: 'flat' | 'wrapped';
  /** Answer UpdateModel with 202 + job location (CONVENTIONS.md 0.2; ASSUMPTION(A1): 200 by default, as seed 004 says). @default false */
  async?: boolean;
  /** Polls of a job before it finishes. @default 2 */
  jobPolls?: number;
  /** Serve `GET /zstack/v1/user-tags` (ASSUMPTION(A9)); false answers it 404 like any unmapped path. @default true */
  userTagsRoute?: boolean;
  /** @default 'replace' */
  userTagsOnUpdate?: UserTagsOnUpdate;
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
  failNextUpdate(error: SimErrorCode): void;
  setUserTagsBehaviour(options: { route?: boolean; onUpdate?: UserTagsOnUpdate }): void;
  /**
   * Adds a model; Long fields may be bigint, numbers or decimal strings; dates Gson text or epoch ms.
   * The inventory must fit seed 004's ModelInventory unless `unchecked` (a fault: a garbled stored row).
   */
  addModel(inventory: Record<string, unknown> & { uuid: string; name: string }, extra?: { userTags?: string[]; modelClassifications?: string[]; unchecked?: boolean }): void;
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

type UserTag = {
  uuid: string;
  resourceUuid: string;
  resourceType: string;
  tag: string;
  type: string;
  createDate: number;
  lastOpDate: number;
};

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

// ---- Gson dates and JSON with exact Longs -------------------------------------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Epoch ms as Gson writes a Timestamp with the default US locale (CONVENTIONS.md 3.3); ASSUMPTION(A13): in UTC. */
export function gsonDate(epochMs: number): string {
  const d = new Date(epochMs);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

/** Gson text ("Dec 1, 2025 9:30:05 AM") back to epoch ms; fixtures use it. */
function fromGsonDate(text: string): number | null {
  const m = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})\s*(AM|PM)$/.exec(text.trim());
  if (!m) return null;
  const month = MONTHS.indexOf(m[1]!);
  const hour = (Number(m[4]) % 12) + (m[7] === 'PM' ? 12 : 0);
  return month < 0 ? null : Date.UTC(Number(m[3]), month, Number(m[2]), hour, Number(m[5]), Number(m[6]));
}

const LONG_FIELDS = longFields();
// A Long key right after `{` or `,` followed by a number literal: quoted before JSON.parse so it stays exact.
const LONG_LITERAL = new RegExp(`([{,]\\s*"(?:${LONG_FIELDS.join('|')})"\\s*:\\s*)(-?\\d+)(?=\\s*[,}\\]])`, 'g');

/** JSON.parse that keeps ModelInventory's Long fields exact (as decimal strings). */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(text.replace(LONG_LITERAL, '$1"$2"'));
}

// ---- JSON written with exact Longs -------------------------------------------------------------------

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
const apiError = (code: string, description: string, details: string, cause?: SimErrorCode): SimResponse =>
  json(503, { error: { code, description, details, ...(cause ? { cause } : {}) } });

const invalidArgument = (details: string) => apiError('SYS.1007', 'One or more API argument is invalid', details);
const UPDATE_MSG = 'org.zstack.ai.message.APIUpdateModelMsg';

function toLong(v: unknown): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' || (typeof v === 'string' && /^-?\d+$/.test(v))) return BigInt(v);
  throw new Error(`not a Long: ${String(v)}`);
}

function tryLong(v: unknown): bigint | null | undefined {
  try {
    return toLong(v);
  } catch {
    return undefined;
  }
}

function toMs(v: unknown, fallback: number): number {
  if (typeof v === 'number') return v;
  return typeof v === 'string' ? (fromGsonDate(v) ?? fallback) : fallback;
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
  const [, field, op, value] = m;
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
  return parseJsonExact(raw) as Fixture[];
}

export async function createZStackSimulator(options: ZStackSimulatorOptions = {}): Promise<ZStackSimulator> {
  const clock: Clock = options.clock ?? systemClock;
  const accountName = options.accountName ?? 'admin';
  const password = options.password ?? randomBytes(12).toString('base64url');
  // CONVENTIONS.md 3.2: the login carries the lower-case hex SHA-512 of the password.
  const passwordHash = createHash('sha512').update(password, 'utf8').digest('hex');
  const accountUuid = '36c27e8ff05c4780bf6d2fa65700f22e';
  const ttl = options.sessionTtlMs ?? 2 * 60 * 60 * 1000;
  let bodyStyle = options.bodyStyle ?? 'flat';
  let asyncMode = options.async ?? false;
  let jobPolls = options.jobPolls ?? 2;
  let hangJobs = false;
  let nextUpdateFailure: SimErrorCode | null = null;
  let userTagsRoute = options.userTagsRoute ?? true;
  let userTagsOnUpdate: UserTagsOnUpdate = options.userTagsOnUpdate ?? 'replace';
  let loginCount = 0;

  const models = new Map<string, SimModel>();
  const tags: UserTag[] = [];
  const sessions = new Map<string, { expiresAt: number }>();
  const jobs = new Map<string, Job>();

  const setUserTags = (resourceUuid: string, list: string[]) => {
    const now = clock.now();
    for (let i = tags.length - 1; i >= 0; i--) if (tags[i]!.resourceUuid === resourceUuid) tags.splice(i, 1);
    for (const tag of list) tags.push({ uuid: uuid32(), resourceUuid, resourceType: 'ModelVO', tag, type: 'User', createDate: now, lastOpDate: now });
  };

  /** `fixture`: one of fixtures/models.json, which the tests check against the transcription ("fixtures" in mapping.test.ts). */
  function addModel(inventory: Record<string, unknown> & { uuid: string; name: string }, extra: { userTags?: string[]; modelClassifications?: string[]; unchecked?: boolean } = {}, fixture = false) {
    if (!extra.unchecked && !fixture) {
      const served = { ...inventory };
      for (const f of LONG_FIELDS) if (typeof served[f] === 'bigint') served[f] = String(served[f]);
      for (const f of ['createDate', 'lastOpDate']) if (typeof served[f] === 'number') served[f] = gsonDate(served[f] as number);
      delete served.modelServiceRefs;
      const r = checkBody('ModelInventory', served);
      if (!r.ok) throw new Error(`not a ModelInventory of seed 004: ${r.message}`);
    }
    const now = clock.now();
    const inv: Record<string, unknown> = { ...inventory };
    for (const f of LONG_FIELDS) {
      if (f in inv) inv[f] = extra.unchecked ? (tryLong(inv[f]) ?? inv[f]) : toLong(inv[f]);
    }
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

  // The seed models are not checked against ModelInventory at every start: that check compiles its
  // validator, the largest part of the simulator's start, and the file does not change at run time.
  if (options.seed !== false) for (const f of loadFixtures()) addModel(f.inventory, f, true);

  /** The inventory as the API writes it: Gson dates, Longs exact. */
  const view = (row: Row): Row => ({
    ...row,
    createDate: gsonDate(row.createDate as number),
    lastOpDate: gsonDate(row.lastOpDate as number),
    ...(Array.isArray(row.modelServiceRefs)
      ? { modelServiceRefs: (row.modelServiceRefs as Row[]).map((r) => ({ ...r, createDate: gsonDate(r.createDate as number), lastOpDate: gsonDate(r.lastOpDate as number) })) }
      : {}),
  });
  const tagView = (t: Row): Row => ({ ...t, createDate: gsonDate(t.createDate as number), lastOpDate: gsonDate(t.lastOpDate as number) });

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
    const r = checkBody('LogInByAccountRequest', body);
    if (!r.ok) return invalidArgument(`field[${r.field ?? 'logInByAccount'}] of message[org.zstack.header.identity.APILogInByAccountMsg] is invalid: ${r.message}`);
    // ASSUMPTION(A11): a wrong account or password fails with ID.1000.
    if (msg.accountName !== accountName || msg.password !== passwordHash) return apiError('ID.1000', 'Authentication error', 'wrong account name or password');
    const at = clock.now();
    const uuid = uuid32();
    sessions.set(uuid, { expiresAt: at + ttl });
    loginCount++;
    return json(200, { inventory: { uuid, accountUuid, userUuid: accountUuid, expiredDate: gsonDate(at + ttl), createDate: gsonDate(at) } });
  }

  /** Applies a body that passed the seed schema; SYS.1003 for an unknown uuid. */
  function applyUpdate(uuid: string, fields: Record<string, unknown>, systemTags: unknown, userTags: unknown): SimResponse {
    const m = models.get(uuid);
    if (!m) return apiError('SYS.1003', 'Resource not found', `invalid field[uuid], resource[uuids:[${uuid}], type:ModelVO] not found`);
    let changed = false;
    for (const f of ['name', 'installPath', 'description', 'vendor', 'parameters', 'modelCenterUuid', 'gpuConstraintDescription', 'modelId'] as const) {
      if (typeof fields[f] === 'string') {
        m.inv[f] = fields[f];
        changed = true;
      }
    }
    if (typeof fields.recommendedGpuNum === 'string') {
      // ASSUMPTION(A4): the string "1,2,4" is the inventory's list [1, 2, 4].
      m.inv.recommendedGpuNum = fields.recommendedGpuNum.split(',').map(Number);
      changed = true;
    }
    if (Array.isArray(fields.modelClassifications)) {
      m.modelClassifications = [...(fields.modelClassifications as string[])];
      changed = true;
    }
    if (typeof fields.defaultModelServiceUuid === 'string') {
      m.defaultModelServiceUuid = fields.defaultModelServiceUuid;
      changed = true;
    }
    if (fields.clearDefaultModelService === true) {
      m.defaultModelServiceUuid = null;
      changed = true;
    }
    // ASSUMPTION(A12): tags given to UpdateModel replace the model's tags of that kind (user tags: unless `ignore`).
    if (Array.isArray(systemTags)) {
      m.systemTags = [...(systemTags as string[])];
      changed = true;
    }
    if (Array.isArray(userTags) && userTagsOnUpdate === 'replace') {
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
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return text(400, 'the body is not a JSON object');
    const wrapped = 'updateModel' in body;
    // wrapped mode: like the RestServer, only `updateModel` (+ top-level tags) is read (CONVENTIONS.md 0.1);
    // other top-level keys are ignored, as Gson ignores keys it does not map.
    const read: Record<string, unknown> =
      bodyStyle === 'wrapped'
        ? Object.fromEntries(Object.entries(body).filter(([k]) => k === 'updateModel' || k === 'systemTags' || k === 'userTags'))
        : body;
    const readsWrapped = bodyStyle === 'wrapped' || wrapped;
    const check = readsWrapped ? checkBody('WrappedUpdateModelRequest', { updateModel: {}, ...read }) : checkBody('UpdateModelRequest', read);
    const fields = (readsWrapped ? (read.updateModel ?? {}) : read) as Record<string, unknown>;
    const uuid = req.params.uuid!;
    const run = (): SimResponse => {
      if (authFailure) return authFailure;
      // ASSUMPTION(A2): a path uuid outside the pattern names no model.
      // Compiled on the first UpdateModel (and kept by validators.ts), not when the simulator starts.
      if (!paramValidator('UpdateModel', 'uuid')(uuid)) return apiError('SYS.1003', 'Resource not found', `invalid field[uuid], resource[uuids:[${uuid}], type:ModelVO] not found`);
      // The seed schema (bodies.schema.json, UTF-16 lengths) decides; ZStack names the field (SYS.1007).
      if (!check.ok) return invalidArgument(`field[${check.field ?? 'body'}] of message[${UPDATE_MSG}] is invalid: ${check.message}`);
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
   * ASSUMPTION(A10): the job result is read without a session check (the job
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
      // ASSUMPTION(A9): user tags of models through the standard query API; off → 404 like any unmapped path.
      ['GET', `${API}/user-tags`, (req) => (userTagsRoute ? guarded((r) => runQuery(tags, r.query, TAG_SCHEMA, tagView))(req) : text(404, `no api mapping to ${API}/user-tags`))],
      ['GET', `${API}/api-jobs/:job`, pollJob],
      ['PUT', `${API}/api-jobs/:job`, () => text(405, 'method not allowed')],
    ],
  });

  const present = (uuid: string) => {
    const m = models.get(uuid);
    return m ? (parseJsonExact(toJsonText(view(m.inv))) as Record<string, unknown>) : undefined;
  };

  return {
    vendor: 'zstack',
    url: server.url,
    backendConfig: { vendor: 'zstack', baseUrl: server.url, accountName, password },
    server,
    accountName,
    password,
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
    setUserTagsBehaviour(opts) {
      if (opts.route !== undefined) userTagsRoute = opts.route;
      if (opts.onUpdate !== undefined) userTagsOnUpdate = opts.onUpdate;
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

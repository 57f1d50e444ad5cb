import { createHash } from 'node:crypto';
import type { AdapterContext } from '../../src/domain/adapter.js';
import { NotFoundError, UpstreamError, ValidationError, type UpstreamErrorInit } from '../../src/domain/errors.js';
import { pathSegment } from '../../src/domain/ids.js';
import { createRedactor } from '../../src/http/redact.js';
import type { PlannedRequest } from '../../src/domain/patch.js';
import type { HttpClient, HttpRequest, HttpResponse, QueryValue, VendorErrorFacts } from '../../src/domain/http.js';
import {
  AsyncJobReplySchema,
  CountReplySchema,
  ErrorReplySchema,
  LoginReplySchema,
  MODEL_RESOURCE_TYPE,
  ModelInventorySchema,
  parseJsonLossless,
  QueryReplySchema,
  UpdateModelReplySchema,
  UserTagInventorySchema,
  wrapUpdateModelBody,
  type ModelInventory,
  type UpdateModelBody,
  type UserTagInventory,
  type ZStackErrorCode,
} from './contract.js';

export interface ZStackClientOptions {
  baseUrl: string;
  accountName?: string;
  password?: string;
  sessionUuid?: string;
  timeoutMs?: number;
  /** Bound on following a 202 job to its end (CONVENTIONS.md 3.4). @default 30000 */
  asyncTimeoutMs?: number;
}

export type UpdateBodyStyle = 'flat' | 'wrapped';

const API = '/zstack/v1';
const MODELS = `${API}/ai/models`;
const USER_TAGS = `${API}/user-tags`;
const LOGIN = `${API}/accounts/login`;
const JOBS = `${API}/api-jobs`;
/** seed 004's request example. */
export const UPDATE_CONTENT_TYPE = 'application/json;charset=UTF-8';

/** Lower-case hex SHA-512 of the plain password, as ZStack's login wants it (CONVENTIONS.md 3.2). */
export function sha512Hex(text: string): string {
  return createHash('sha512').update(text, 'utf8').digest('hex');
}

function errorCodeOf(text: string): ZStackErrorCode | null {
  try {
    const r = ErrorReplySchema.safeParse(JSON.parse(text));
    return r.success ? r.data.error : null;
  } catch {
    return null;
  }
}

/** The ErrorCode chain as safe detail: code, description, details, elaboration, cause (no `opaque`). */
export function errorDetail(e: ZStackErrorCode, scrub: (s: string) => string = (s) => s, depth = 0): Record<string, unknown> {
  return {
    code: e.code,
    description: e.description != null ? scrub(e.description) : null,
    details: e.details != null ? scrub(e.details) : null,
    elaboration: e.elaboration != null ? scrub(e.elaboration) : null,
    cause: e.cause && depth < 16 ? errorDetail(e.cause, scrub, depth + 1) : null,
  };
}

function errorText(e: ZStackErrorCode): string {
  const parts = [e.description, e.details].filter((s): s is string => !!s && s.length > 0);
  const unique = parts.filter((p, i) => parts.indexOf(p) === i);
  return `${e.code}${unique.length ? ` ${unique.join(': ')}` : ''}`;
}

/** Reads a ZStack error body: `{"error": ErrorCode}` JSON, or the plain text of 400/404/500 (CONVENTIONS.md 3.5). */
export function parseZStackError(_status: number, text: string, scrub: (s: string) => string = (s) => s): VendorErrorFacts | undefined {
  const e = errorCodeOf(text);
  if (e) return { vendorCode: e.code, message: scrub(errorText(e)), detail: errorDetail(e, scrub) };
  const plain = text.trim();
  return plain ? { message: scrub(plain.slice(0, 500)) } : undefined;
}

/** A 503 `{"error": ...}` reply, converted to a gateway error at the client's boundary. */
class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: ZStackErrorCode | null,
    readonly text: string,
    readonly phase: 'request' | 'job',
  ) {
    super(error?.code ?? `HTTP ${status}`);
  }
}

const isInvalidSession = (e: unknown) => e instanceof ApiFailure && e.error?.code === 'ID.1001';

export type ZStackClient = ReturnType<typeof createZStackClient>;

/** The paths this client calls, as templates: metrics and traces name these, never an id. */
const ROUTES = [MODELS, `${MODELS}/{uuid}`, USER_TAGS, LOGIN, `${JOBS}/{jobUuid}`];

/**
 * One method per ZStack endpoint the adapter uses; every reply is checked by contract.ts.
 * Auth is `Authorization: OAuth <session uuid>` (seed 004); sessions come from the config or
 * from logging in, and an expired one (ID.1001) is renewed once and the call replayed.
 */
export function createZStackClient(ctx: AdapterContext, options: ZStackClientOptions) {
  const backend = ctx.backendId;
  const asyncTimeoutMs = options.asyncTimeoutMs ?? 30_000;
  const canLogin = !!(options.accountName && options.password);
  const passwordHash = options.password ? sha512Hex(options.password) : null;
  // The password, its hash (sent in its place) and every session: from the config, and each login's.
  const secrets = createRedactor([options.password, passwordHash, options.sessionUuid]);
  const scrub = secrets.text;

  const http: HttpClient = ctx.http({
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    parseError: parseZStackError,
    redact: secrets,
    routes: ROUTES,
  });

  const upstream = (req: Pick<HttpRequest, 'method' | 'path' | 'query'>, init: Omit<UpstreamErrorInit, 'backend' | 'request'>) =>
    new UpstreamError({ backend, request: { method: req.method, path: http.describe(req) }, ...init });

  const parseBody = (req: HttpRequest, res: HttpResponse): unknown => {
    try {
      return parseJsonLossless(res.text);
    } catch {
      throw upstream(req, { status: res.status, message: `${req.method} ${req.path} answered ${res.status} with a body that is not valid JSON` });
    }
  };

  const wrongShape = (req: HttpRequest, status: number, problem: string) =>
    upstream(req, { status, message: `${req.method} ${req.path} answered with a body of the wrong shape (${problem})` });

  /** A failed API's ErrorCode as a gateway error; `write` marks it as not applied. */
  const failureError = (req: HttpRequest, f: ApiFailure, write: boolean): UpstreamError => {
    const e = f.error;
    if (!e) {
      return upstream(req, {
        code: 'UPSTREAM_UNAVAILABLE',
        status: f.status,
        retryable: true,
        message: `${req.method} ${req.path} answered ${f.status}${f.text.trim() ? `: ${scrub(f.text.trim().slice(0, 300))}` : ''}`,
        outcome: write ? 'UNKNOWN' : null,
      });
    }
    const code: UpstreamErrorInit['code'] =
      e.code === 'ID.1001' || e.code === 'ID.1000' || e.code === 'ID.1002' ? 'UPSTREAM_AUTH' : e.code === 'SYS.1001' ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_ERROR';
    const hint = e.code === 'ID.1001' ? (canLogin ? ' (still invalid after logging in again)' : ' (configure a fresh sessionUuid, or accountName and password)') : '';
    return upstream(req, {
      code,
      status: f.status,
      vendorCode: e.code,
      vendorMessage: scrub(errorText(e)),
      detail: errorDetail(e, scrub),
      retryable: e.code === 'SYS.1001',
      message: `${req.method} ${req.path} failed: ${scrub(errorText(e))}${hint}`,
      outcome: write ? 'NOT_APPLIED' : null,
    });
  };

  // ---- sessions -------------------------------------------------------------------------------

  let session: string | null = options.sessionUuid ?? null;
  let loggingIn: Promise<string> | null = null;

  async function logInByAccount(): Promise<string> {
    const req: HttpRequest = {
      method: 'PUT',
      path: LOGIN,
      body: { logInByAccount: { accountName: options.accountName, password: passwordHash } },
      idempotent: true,
      allowStatus: [503],
    };
    const res = await http.request(req);
    if (res.status === 503) {
      const e = errorCodeOf(res.text);
      // Only an ID.* ErrorCode is a refusal of our credentials; anything else is ZStack failing.
      const code: UpstreamErrorInit['code'] = !e ? 'UPSTREAM_UNAVAILABLE' : e.code.startsWith('ID.') ? 'UPSTREAM_AUTH' : e.code === 'SYS.1001' ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_ERROR';
      throw upstream(req, {
        code,
        status: 503,
        retryable: code === 'UPSTREAM_UNAVAILABLE' || code === 'UPSTREAM_TIMEOUT',
        vendorCode: e?.code ?? null,
        vendorMessage: e ? scrub(errorText(e)) : null,
        detail: e ? errorDetail(e, scrub) : null,
        message: `login as account ${JSON.stringify(options.accountName)} failed${e ? `: ${scrub(errorText(e))}` : ''}`,
      });
    }
    const r = LoginReplySchema.safeParse(parseBody(req, res));
    if (!r.success) throw wrongShape(req, res.status, 'expected {"inventory": {"uuid": ...}}');
    const uuid = r.data.inventory.uuid;
    secrets.add(uuid);
    session = uuid;
    ctx.logger.info({ account: options.accountName }, 'logged in to ZStack');
    return uuid;
  }

  /** The session to use; one login at a time, shared by every caller waiting for it. */
  function currentSession(): Promise<string> {
    if (session) return Promise.resolve(session);
    if (!canLogin) return Promise.reject(new UpstreamError({ backend, code: 'UPSTREAM_AUTH', message: 'no ZStack session: configure sessionUuid, or accountName and password' }));
    loggingIn ??= logInByAccount().finally(() => {
      loggingIn = null;
    });
    return loggingIn;
  }

  /** Drops `used` (if still current) and gets a fresh session. */
  function renewSession(used: string): Promise<string> {
    if (session === used) session = null;
    return currentSession();
  }

  // ---- exchanges --------------------------------------------------------------------------------

  /** Where to poll a job: the location's path below our baseUrl (SDKs rewrite the host, CONVENTIONS.md 3.4). */
  function jobPath(req: HttpRequest, location: string): string {
    const at = location.indexOf(`${JOBS}/`);
    const job = at >= 0 ? location.slice(at + JOBS.length + 1) : '';
    if (!/^[A-Za-z0-9-]{1,64}$/.test(job)) throw upstream(req, { status: 202, outcome: 'UNKNOWN', message: `${req.method} ${req.path} answered 202 with an unusable job location` });
    return `${JOBS}/${pathSegment(job)}`;
  }

  /** Polls a job with backoff until it ends or asyncTimeoutMs passes, both on the adapter's clock. */
  async function followJob(req: HttpRequest, location: string, sessionUuid: string, started: number): Promise<{ status: number; body: unknown }> {
    const path = jobPath(req, location);
    const deadline = started + asyncTimeoutMs;
    const timedOut = () =>
      upstream(req, {
        code: 'UPSTREAM_TIMEOUT',
        status: 202,
        retryable: false,
        outcome: 'UNKNOWN',
        message: `${req.method} ${req.path}: the job did not finish within ${asyncTimeoutMs} ms`,
      });
    let delay = 25;
    for (;;) {
      const left = deadline - ctx.clock.now();
      if (left <= 0) throw timedOut();
      await ctx.clock.sleep(Math.min(delay, left));
      delay = Math.min(delay * 2, 1000);
      const poll: HttpRequest = {
        method: 'GET',
        path,
        headers: { authorization: `OAuth ${sessionUuid}` },
        allowStatus: [503],
        requestId: req.requestId,
        timeoutMs: Math.ceil(Math.min(options.timeoutMs ?? 10_000, Math.max(100, deadline - ctx.clock.now()))),
      };
      let res: HttpResponse;
      try {
        res = await http.request(poll);
      } catch (err) {
        if (ctx.clock.now() >= deadline) throw timedOut();
        if (err instanceof UpstreamError) throw err.withOutcome('UNKNOWN');
        throw err;
      }
      if (res.status === 202) continue;
      if (res.status === 503) throw new ApiFailure(503, errorCodeOf(res.text), res.text, 'job');
      return { status: res.status, body: parseBody(poll, res) };
    }
  }

  /** One request with one session: a 202 is followed to its end; a 503 becomes an ApiFailure. */
  async function exchange(req: HttpRequest, sessionUuid: string): Promise<{ status: number; body: unknown }> {
    const started = ctx.clock.now();
    const res = await http.request({ ...req, headers: { ...req.headers, authorization: `OAuth ${sessionUuid}` }, allowStatus: [503] });
    if (res.status === 503) throw new ApiFailure(503, errorCodeOf(res.text), res.text, 'request');
    if (res.status === 202) {
      const r = AsyncJobReplySchema.safeParse(parseBody(req, res));
      if (!r.success) throw wrongShape(req, 202, 'expected {"location": ...}');
      return followJob(req, r.data.location, sessionUuid, started);
    }
    return { status: res.status, body: parseBody(req, res) };
  }

  /**
   * An authenticated call. An invalid session (ID.1001 — there is no 401, CONVENTIONS.md 3.2)
   * means the API did not run, so it is safe to log in again once and replay, writes included.
   */
  async function call(req: HttpRequest, onFailure: (f: ApiFailure) => Error): Promise<{ status: number; body: unknown }> {
    let used = await currentSession();
    try {
      return await exchange(req, used);
    } catch (err) {
      if (!isInvalidSession(err) || !canLogin) throw err instanceof ApiFailure ? onFailure(err) : err;
    }
    ctx.logger.info('ZStack session expired; logging in again');
    used = await renewSession(used);
    try {
      return await exchange(req, used);
    } catch (err) {
      throw err instanceof ApiFailure ? onFailure(err) : err;
    }
  }

  const read = (req: HttpRequest) => call(req, (f) => failureError(req, f, false));

  const problemOf = (error: { issues: { path: PropertyKey[]; message: string }[] }) => {
    const i = error.issues[0];
    return i ? `${i.path.map(String).join('.') || 'body'}: ${i.message}` : 'unexpected shape';
  };

  /**
   * A query reply's models. Reading is lenient (contract.ts): an item that is not a model at all
   * (no object, no uuid) is skipped and logged, so one bad row never hides its neighbours.
   */
  const inventories = (req: HttpRequest, status: number, body: unknown): { inventories: ModelInventory[]; total?: number } => {
    const page = QueryReplySchema.safeParse(body);
    if (!page.success) throw wrongShape(req, status, 'expected {"inventories": [...]}');
    const out: ModelInventory[] = [];
    for (const item of page.data.inventories) {
      const c = ModelInventorySchema.safeParse(item);
      if (c.success) out.push(c.data);
      else ctx.logger.warn({ path: req.path, problem: problemOf(c.error) }, 'ZStack answered a model that cannot be read; skipped');
    }
    return { inventories: out, total: page.data.total ?? undefined };
  };

  return {
    backend,
    describe: (req: Pick<HttpRequest, 'path' | 'query'>) => http.describe(req),
    logInByAccount,

    /** QueryModel by uuid path (`GET /zstack/v1/ai/models/{uuid}`): null when the inventories are empty (CONVENTIONS.md 0.3). */
    async getModel(uuid: string, requestId?: string): Promise<ModelInventory | null> {
      const req: HttpRequest = { method: 'GET', path: `${MODELS}/${pathSegment(uuid)}`, requestId };
      const r = await read(req);
      return inventories(req, r.status, r.body).inventories.find((i) => i.uuid === uuid) ?? null;
    },

    /**
     * QueryModel (`GET /zstack/v1/ai/models?q=...`, CONVENTIONS.md 3.3). `uuids` become one
     * `uuid?=a,b,c` condition, so many models cost one request.
     */
    async queryModel(query: { uuids?: string[]; q?: string[]; limit?: number; start?: number; replyWithCount?: boolean; sort?: string }, requestId?: string) {
      const q = [...(query.q ?? [])];
      if (query.uuids) q.push(query.uuids.length === 1 ? `uuid=${query.uuids[0]}` : `uuid?=${query.uuids.join(',')}`);
      const params: Record<string, QueryValue> = { q, limit: query.limit, start: query.start, sort: query.sort };
      if (query.replyWithCount) params.replyWithCount = true;
      const req: HttpRequest = { method: 'GET', path: MODELS, query: params, requestId };
      const r = await read(req);
      return inventories(req, r.status, r.body);
    },

    /** `GET /zstack/v1/ai/models?count=true` → the number of models. */
    async countModels(requestId?: string): Promise<number> {
      const req: HttpRequest = { method: 'GET', path: MODELS, query: { count: true }, requestId };
      const r = await read(req);
      const c = CountReplySchema.safeParse(r.body);
      if (!c.success) throw wrongShape(req, r.status, 'expected {"total": n}');
      return c.data.total;
    },

    /** QueryUserTag for models (`GET /zstack/v1/user-tags?q=resourceType=ModelVO[&q=resourceUuid?=...]`). */
    async queryUserTag(query: { resourceUuids?: string[]; limit?: number; start?: number }, requestId?: string): Promise<UserTagInventory[]> {
      const q = [`resourceType=${MODEL_RESOURCE_TYPE}`];
      if (query.resourceUuids) q.push(query.resourceUuids.length === 1 ? `resourceUuid=${query.resourceUuids[0]}` : `resourceUuid?=${query.resourceUuids.join(',')}`);
      const req: HttpRequest = { method: 'GET', path: USER_TAGS, query: { q, limit: query.limit, start: query.start }, requestId };
      const r = await read(req);
      const page = QueryReplySchema.safeParse(r.body);
      if (!page.success) throw wrongShape(req, r.status, 'expected {"inventories": [...]}');
      return page.data.inventories.map((t) => {
        const c = UserTagInventorySchema.safeParse(t);
        if (!c.success) throw wrongShape(req, r.status, 'expected UserTagInventory {resourceUuid, tag}');
        return c.data;
      });
    },

    /** The exact request UpdateModel sends, for plans and call records. */
    updateModelRequest(uuid: string, body: UpdateModelBody, style: UpdateBodyStyle): PlannedRequest {
      const path = `${MODELS}/${pathSegment(uuid)}`;
      return { method: 'PUT', path: http.describe({ path }), body: style === 'wrapped' ? wrapUpdateModelBody(body) : body };
    },

    /**
     * UpdateModel (`PUT /zstack/v1/ai/models/{uuid}`, seed 004): the flat body of the page, or the
     * RestServer's wrapped body (CONVENTIONS.md 0.1). 200 (seed 004: synchronous) or 202 + job
     * (CONVENTIONS.md 0.2). SYS.1003 → NotFoundError, SYS.1007 → ValidationError (paths are body
     * fields), any other ErrorCode → UpstreamError with outcome NOT_APPLIED.
     */
    async updateModel(uuid: string, body: UpdateModelBody, style: UpdateBodyStyle, requestId?: string): Promise<{ status: number; inventory: ModelInventory | null }> {
      const req: HttpRequest = {
        method: 'PUT',
        path: `${MODELS}/${pathSegment(uuid)}`,
        body: style === 'wrapped' ? wrapUpdateModelBody(body) : body,
        // As seed 004's request example sends it: ZStack decodes with the servlet default otherwise.
        headers: { 'content-type': UPDATE_CONTENT_TYPE },
        idempotent: false,
        requestId,
      };
      const r = await call(req, (f) => {
        const code = f.error?.code;
        if (code === 'SYS.1003') return new NotFoundError(`${backend}:${uuid}`, backend);
        if (code === 'SYS.1007') {
          const text = scrub(`${f.error!.details ?? ''} ${f.error!.description ?? ''}`.trim());
          const named = /field\[(\w+)\]/.exec(text)?.[1];
          return new ValidationError([{ path: named ? [named] : [], rule: 'vendor', message: text || 'ZStack refused an argument (SYS.1007)' }], `Backend ${backend} refused the update: ${text}`);
        }
        const e = failureError(req, f, true);
        return f.phase === 'job' && !f.error ? e.withOutcome('UNKNOWN') : e;
      }).catch((err: unknown) => {
        // A 2xx whose body is garbled, or a plain-text 500 (an unhandled exception, which may come
        // after the write, CONVENTIONS.md 3.5), says nothing of whether the change landed: the
        // adapter re-reads. An ErrorCode reply means the API failed, so that stays NOT_APPLIED.
        if (err instanceof UpstreamError && (err.outcome === null || (err.outcome === 'NOT_APPLIED' && (err.status ?? 0) >= 500 && err.vendorCode === null))) {
          throw err.withOutcome('UNKNOWN');
        }
        throw err;
      });
      const reply = UpdateModelReplySchema.safeParse(r.body);
      if (!reply.success) throw wrongShape(req, r.status, 'expected {"inventory": ModelInventory}').withOutcome('UNKNOWN');
      const failed = reply.data.error ?? null;
      if (failed || reply.data.success === false || reply.data.success === 'false') {
        throw failureError(req, new ApiFailure(r.status, failed, '', 'request'), true);
      }
      if (reply.data.inventory === undefined || reply.data.inventory === null) return { status: r.status, inventory: null };
      const inv = ModelInventorySchema.safeParse(reply.data.inventory);
      if (!inv.success) throw wrongShape(req, r.status, problemOf(inv.error)).withOutcome('UNKNOWN');
      return { status: r.status, inventory: inv.data };
    },

    close: () => http.close(),
  };
}

import { z } from 'zod';
import { defineAdapter, type AdapterInstance, type BackendHealth, type PlanResult } from '../../src/domain/adapter.js';
import { ConflictError, NotFoundError, UpstreamError, ValidationError, type ValidationIssue } from '../../src/domain/errors.js';
import { parseSegments } from '../../src/domain/ids.js';
import type { UpdatePatch } from '../../src/domain/patch.js';
import { issuesFromZod } from '../../src/domain/validation.js';
import { createZStackClient } from './client.js';
import { UPDATE_BODY_FIELDS, UpdateModelBodySchema, UUID_PATTERN, type ModelInventory, type UpdateModelBody, type UserTagInventory } from './contract.js';
import { contradictedFields, type FieldConfirmation } from '../../src/domain/confirmation.js';
import { changesOf, confirmWrite, fromVendor, toVendorPatch, VENDOR, type FieldOrigins, type ZStackModelDeployment, type ZStackUpdateInput } from './mapping.js';

export const ZStackConfigSchema = z
  .object({
    id: z.string(),
    vendor: z.literal(VENDOR),
    baseUrl: z.url(),
    /** Login account (with `password`); the alternative to a fixed `sessionUuid`. */
    accountName: z.string().min(1).optional(),
    /** Plain password; sent as its SHA-512 hex (CONVENTIONS.md 3.2). */
    password: z.string().min(1).optional(),
    /** A fixed session; with accountName/password as well it is renewed by logging in when it expires. */
    sessionUuid: z.string().min(1).optional(),
    /** UpdateModel body shape (CONVENTIONS.md 0.1). @default 'flat' */
    updateBodyStyle: z.enum(['flat', 'wrapped']).default('flat'),
    /** Bound on following a 202 job. @default 30000 */
    asyncTimeoutMs: z.number().int().positive().optional(),
    timeoutMs: z.number().int().positive().optional(),
    /**
     * Read models' user tags (the unified `tags`) with one QueryUserTag call per batch. The seeds do not
     * mention that call (ASSUMPTION(A9)): when it fails, models are still served, their tags unknown. @default true
     */
    readUserTags: z.boolean().default(true),
    /**
     * Take UpdateModel's `userTags` to replace the model's user tags (ASSUMPTION(A12)), so that a re-read
     * without them contradicts the write. Off: such tags are UNCONFIRMED and the write is judged by its
     * other fields. @default false
     */
    confirmUserTags: z.boolean().default(false),
  })
  .refine((c) => !!c.sessionUuid || (!!c.accountName && !!c.password), {
    path: ['accountName'],
    message: 'a zstack backend needs either sessionUuid, or accountName and password',
  })
  .refine((c) => !c.password || !!c.accountName, { path: ['accountName'], message: 'password is set but accountName is missing' });
export type ZStackConfig = z.infer<typeof ZStackConfigSchema>;

/** The native key is the model's 32-hex uuid (seed 004 path parameter). */
const KEY_RULES = [{ name: 'uuid', pattern: UUID_PATTERN, maxLength: 32 }];

/** uuids per query: `uuid?=a,b,...` keeps the URL well under common limits. */
const BATCH = 100;
const PAGE = 500;
const MAX_PAGES = 10_000;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const remap = (issues: ValidationIssue[], origins: FieldOrigins): ValidationIssue[] =>
  issues.map((i) => {
    const [field, ...rest] = i.path;
    const origin = typeof field === 'string' ? origins[field as keyof UpdateModelBody] : undefined;
    return origin ? { ...i, path: [...origin, ...rest] } : i;
  });

/**
 * Validates a patch against seed 004's rules (lengths in UTF-16 units, as ZStack counts) and builds
 * the UpdateModel body; nothing is sent. Throws ValidationError naming the caller's fields.
 */
export function updateBodyOf(patch: UpdatePatch): { body: UpdateModelBody; origins: FieldOrigins } {
  const block = (patch.vendor ?? {}) as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  for (const k of Object.keys(block)) {
    if (block[k] === undefined) continue;
    if (!(UPDATE_BODY_FIELDS as readonly string[]).includes(k)) {
      issues.push({ path: [VENDOR, k], rule: 'unknown_field', message: `${k} is not an UpdateModel field` });
    } else if (block[k] === null) {
      // seed 004 types every field (String, List, Boolean): null is none of them.
      issues.push({ path: [VENDOR, k], rule: 'not_null', message: `${k} cannot be null; omit it to leave it unchanged` });
    }
  }
  for (const k of ['name', 'description', 'tags'] as const) {
    if (patch[k] === null) issues.push({ path: [k], rule: 'not_null', message: `${k} cannot be null; omit it to leave it unchanged` });
  }
  const { body, origins, conflicts } = toVendorPatch(patch as UpdatePatch<ZStackUpdateInput>);
  for (const c of conflicts) issues.push({ path: c.path, rule: 'conflict', message: c.message });
  const parsed = UpdateModelBodySchema.safeParse(body, { reportInput: true });
  if (!parsed.success) issues.push(...remap(issuesFromZod(parsed.error), origins));
  if (issues.length === 0 && Object.keys(body).length === 0) {
    issues.push({ path: [], rule: 'required', message: 'the update sets no field' });
  }
  if (issues.length) throw new ValidationError(issues);
  return { body: parsed.data!, origins };
}

export const zstackAdapter = defineAdapter({
  vendor: VENDOR,
  configSchema: ZStackConfigSchema,
  capabilities: { updatableFields: ['name', 'description', 'tags'], batchGet: true, listFilters: ['status'] },
  create(config, ctx): AdapterInstance<string> {
    const backend = ctx.backendId;
    const style = config.updateBodyStyle ?? 'flat';
    const readTags = config.readUserTags ?? true;
    const client = createZStackClient(ctx, config);

    const tagMap = (tags: UserTagInventory[]) => {
      const m = new Map<string, string[]>();
      for (const t of tags) {
        const list = m.get(t.resourceUuid);
        if (list) list.push(t.tag);
        else m.set(t.resourceUuid, [t.tag]);
      }
      return m;
    };

    async function walk<T>(page: (start: number) => Promise<{ items: T[]; total?: number }>): Promise<T[]> {
      const all: T[] = [];
      for (let n = 0, start = 0; n < MAX_PAGES; n++) {
        const { items, total } = await page(start);
        all.push(...items);
        start += items.length;
        if (items.length < PAGE || (total !== undefined && start >= total)) break;
      }
      return all;
    }

    const userTagsOf = async (uuids: string[] | undefined, requestId?: string) =>
      tagMap(await walk(async (start) => ({ items: await client.queryUserTag({ resourceUuids: uuids, limit: PAGE, start }, requestId) })));

    /** The failure of the user-tag query as the error of the `tags` field (backend named, cause kept). */
    const tagsUnknown = (err: unknown): UpstreamError => {
      const why = err instanceof UpstreamError ? err.message.replace(`Backend ${backend}: `, '') : err instanceof Error ? err.message : String(err);
      return new UpstreamError({
        backend,
        code: err instanceof UpstreamError ? (err.code as 'UPSTREAM_ERROR') : 'UPSTREAM_ERROR',
        status: err instanceof UpstreamError ? err.status : null,
        request: err instanceof UpstreamError ? (err.request ?? undefined) : undefined,
        retryable: err instanceof UpstreamError && err.retryable,
        message: `tags unknown: the user-tag query failed (${why}); the model itself was read`,
      });
    };

    /**
     * Models with their user tags: the model query and, when readUserTags, one user-tag query beside
     * it. The user-tag query is not in the seeds (ASSUMPTION(A9)): when it fails the models are served
     * with `tagsDeferred`, so the `tags` field asks again and reports the failure for that field alone.
     */
    let tagsFailing = false;
    async function withTags(models: Promise<ModelInventory[]>, uuids: string[] | undefined, requestId?: string): Promise<ZStackModelDeployment[]> {
      const [inventories, tags] = await Promise.all([
        models,
        readTags
          ? userTagsOf(uuids, requestId).then(
              (found) => {
                if (tagsFailing) ctx.logger.info('ZStack user tags readable again');
                tagsFailing = false;
                return found;
              },
              (err: unknown) => {
                // One line when the tag reads start failing, not one per read (the hub polls).
                if (!tagsFailing) ctx.logger.warn({ problem: tagsUnknown(err).message }, 'ZStack user tags unavailable; serving models without them');
                tagsFailing = true;
                return null;
              },
            )
          : new Map<string, string[]>(),
      ]);
      return inventories.map((m) => {
        const d = fromVendor(m, backend, tags?.get(m.uuid) ?? []);
        return tags ? d : { ...d, tagsDeferred: true };
      });
    }

    /** One model query for many uuids, their tags beside it. */
    function getChunk(uuids: string[], requestId?: string): Promise<ZStackModelDeployment[]> {
      const models =
        uuids.length === 1
          ? client.getModel(uuids[0]!, requestId).then((m): ModelInventory[] => (m ? [m] : []))
          : client.queryModel({ uuids, limit: uuids.length }, requestId).then((r) => r.inventories);
      return withTags(models, uuids, requestId);
    }

    async function getOne(uuid: string, requestId?: string): Promise<ZStackModelDeployment> {
      const [d] = await getChunk([uuid], requestId);
      if (!d) throw new NotFoundError(`${backend}:${uuid}`, backend);
      return d;
    }

    async function plan(uuid: string, patch: UpdatePatch, requestId?: string): Promise<PlanResult & { body: UpdateModelBody; origins: FieldOrigins }> {
      const { body, origins } = updateBodyOf(patch);
      const current = await getOne(uuid, requestId);
      return { current, changes: changesOf(body, current), requests: [client.updateModelRequest(uuid, body, style)], body, origins };
    }

    const confirm = (body: UpdateModelBody, d: ZStackModelDeployment): FieldConfirmation[] =>
      confirmWrite(body, d.raw, { tags: d.tagsDeferred ? null : d.tags, readsTags: readTags, confirmsTags: config.confirmUserTags ?? false });
    const seenAny = (fields: FieldConfirmation[]) => fields.some((f) => f.state !== 'UNCONFIRMED');
    // Set once an update's effect was seen on the re-read: the server reads our body style.
    let styleConfirmed = false;

    return {
      parseKey: (nativeKey) => parseSegments(nativeKey, KEY_RULES)[0]!,
      formatKey: (key) => key,

      /** Tags of models read while the user-tag query failed (`tagsDeferred`): asked again, or the field's error. */
      async loadTags(keys, opts) {
        if (!readTags) return keys.map(() => []);
        const unique = [...new Set(keys)];
        try {
          const maps = await Promise.all(chunks(unique, BATCH).map((chunk) => userTagsOf(chunk, opts?.requestId)));
          return keys.map((k) => maps.find((m) => m.has(k))?.get(k) ?? []);
        } catch (err) {
          const e = tagsUnknown(err);
          return keys.map(() => e);
        }
      },

      /** The same full state as list: each model with its tags (one model query and one user-tag query per 100 keys). */
      async getMany(keys, opts) {
        const unique = [...new Set(keys)];
        const found = new Map<string, ZStackModelDeployment>();
        const failed = new Map<string, Error>();
        await Promise.all(
          chunks(unique, BATCH).map(async (chunk) => {
            try {
              for (const d of await getChunk(chunk, opts?.requestId)) found.set(d.nativeId, d);
            } catch (err) {
              for (const k of chunk) failed.set(k, err as Error);
            }
          }),
        );
        return keys.map((k) => found.get(k) ?? failed.get(k) ?? new NotFoundError(`${backend}:${k}`, backend));
      },

      async list(filter, opts) {
        // Every model present is READY (mapping.ts STATUS_TABLE).
        if (filter.statuses && !filter.statuses.includes('READY')) return [];
        const models = walk(async (start) => {
          const r = await client.queryModel({ limit: PAGE, start, replyWithCount: true, sort: '+uuid' }, opts?.requestId);
          return { items: r.inventories, total: r.total };
        });
        const seen = new Set<string>();
        const all = await withTags(models, undefined, opts?.requestId);
        return all.filter((d) => !seen.has(d.nativeId) && seen.add(d.nativeId));
      },

      async planUpdate(key, patch, opts) {
        const { body: _b, origins: _o, ...result } = await plan(key, patch, opts?.requestId);
        return result;
      },

      async update(key, patch, opts) {
        const p = await plan(key, patch, opts?.requestId);
        if (opts?.expectedVersion !== undefined && opts.expectedVersion !== p.current.version) {
          throw new ConflictError(p.current.id, opts.expectedVersion, p.current.version);
        }
        const request = p.requests[0]!;
        const afterWrite = (outcome: 'UNKNOWN' | 'NOT_APPLIED', message: string, fields?: FieldConfirmation[]) =>
          new UpstreamError({ backend, code: 'UPSTREAM_ERROR', request: { method: request.method, path: request.path }, status: 200, outcome, message, detail: fields ? { fields } : null });
        try {
          await client.updateModel(key, p.body, style, opts?.requestId);
        } catch (err) {
          if (err instanceof ValidationError) throw new ValidationError(remap(err.issues, p.origins), err.message);
          if (err instanceof UpstreamError && err.outcome === 'UNKNOWN') {
            // The write may or may not have happened: the re-read decides when it can.
            const after = await getOne(key, opts?.requestId).catch(() => null);
            const fields = after ? confirm(p.body, after) : [];
            if (after && seenAny(fields)) {
              if (!contradictedFields(fields).length) return { deployment: after, requests: p.requests, changes: p.changes, fields };
              // UpdateModel is synchronous (seed 004): once ZStack has answered, even garbled or with a 500,
              // it is done with the request, so what the re-read contradicts was not applied.
              const answered = err.status !== null && err.status !== 202 && err.code !== 'UPSTREAM_TIMEOUT';
              if (answered) throw err.withOutcome('NOT_APPLIED', `${err.message.replace(`Backend ${backend}: `, '')}; the re-read shows the update was not applied`);
            }
            throw err;
          }
          throw err;
        }
        const after = await getOne(key, opts?.requestId);
        const fields = confirm(p.body, after);
        const contradicted = contradictedFields(fields);
        if (contradicted.length) {
          throw afterWrite(
            'NOT_APPLIED',
            `UpdateModel ${key} was accepted but not applied: ${contradicted.join(', ')} unchanged on the re-read model ` +
              `(the server may expect the ${style === 'flat' ? 'wrapped' : 'flat'} body; see updateBodyStyle)`,
            fields,
          );
        }
        if (!seenAny(fields) && !styleConfirmed && after.raw.lastOpDate === (p.current as ZStackModelDeployment).raw.lastOpDate) {
          // None of the fields sent shows on the re-read, and the model's lastOpDate did not move:
          // a server that reads the other body style would have ignored them (CONVENTIONS.md 0.1).
          throw afterWrite(
            'UNKNOWN',
            `UpdateModel ${key} was accepted, but ZStack shows none of the fields sent (${Object.keys(p.body).join(', ')}) and the ` +
              `model's lastOpDate did not move, so the change cannot be confirmed in place (check updateBodyStyle)`,
            fields,
          );
        }
        if (seenAny(fields)) styleConfirmed = true;
        return { deployment: after, requests: p.requests, changes: p.changes, fields };
      },

      async health(): Promise<BackendHealth> {
        const started = performance.now();
        try {
          await client.countModels();
          return { ok: true, message: null, latencyMs: Math.round(performance.now() - started) };
        } catch (err) {
          return { ok: false, message: err instanceof Error ? err.message : 'health check failed', latencyMs: null };
        }
      },

      close: () => client.close(),
    };
  },
});

export default zstackAdapter;

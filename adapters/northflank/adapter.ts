import { z } from 'zod';
import { defineAdapter, type AdapterInstance, type PlanResult } from '../../src/domain/adapter.js';
import type { ModelDeployment } from '../../src/domain/deployment.js';
import { ConflictError, NotFoundError, UpstreamError, ValidationError, type ValidationIssue } from '../../src/domain/errors.js';
import { parseSegments, type SegmentRule } from '../../src/domain/ids.js';
import type { UpdatePatch } from '../../src/domain/patch.js';
import { issuesFromZod } from '../../src/domain/validation.js';
import { createNorthflankClient, MAX_PER_PAGE } from './client.js';
import {
  CommonFieldsSchema,
  NULLABLE_PATHS,
  SLUG_MAX_LENGTH,
  SLUG_PATTERN,
  ValidationDetailsSchema,
  VendorBlockSchema,
  type NorthflankDeployment,
  type NorthflankUpdateBody,
} from './contract.js';
import { forDisplay, formatNativeKey, fromVendor, planChanges, showsUpdate, toVendorPatch, VENDOR, type NorthflankKey } from './mapping.js';

const slug = z.string().max(SLUG_MAX_LENGTH).regex(SLUG_PATTERN, 'must be a Northflank id: lower-case letters and digits joined by single hyphens');

export const northflankConfigSchema = z.object({
  id: z.string(),
  vendor: z.literal('northflank'),
  /** e.g. https://api.northflank.com (paths start with /v1). */
  baseUrl: z.url(),
  /** API token, sent as `Authorization: Bearer <token>` (CONVENTIONS.md 1.1). */
  token: z.string().min(1),
  /** Projects whose AI models this backend serves. */
  projects: z.array(slug).min(1),
  /** Use the `/v1/teams/{teamId}/projects/...` paths (organisation-scoped tokens, CONVENTIONS.md 1.2). */
  teamId: slug.optional(),
  /** @default 10000 */
  timeoutMs: z.number().int().positive().optional(),
});
export type NorthflankBackendConfig = z.infer<typeof northflankConfigSchema>;

const KEY_RULES: SegmentRule[] = [
  { name: 'projectId', pattern: SLUG_PATTERN, maxLength: SLUG_MAX_LENGTH },
  { name: 'llmModelDeploymentId', pattern: SLUG_PATTERN, maxLength: SLUG_MAX_LENGTH },
];

/** A list that keeps handing out cursors is cut here rather than walked forever. */
const MAX_PAGES = 10_000;

/**
 * zod issues → our issues. A missing required value is rule `required` whatever the field's type
 * (zod 4 reports a missing enum as `invalid_value`); zod 4 fills `issue.input` only under `reportInput`.
 */
function issuesOf(error: z.ZodError, prefix: (string | number)[] = []): ValidationIssue[] {
  return issuesFromZod(error, prefix).map((issue, i) => {
    const raw = error.issues[i]!;
    const missing = raw.input === undefined && (raw.code === 'invalid_type' || raw.code === 'invalid_value' || raw.code === 'invalid_union');
    return missing ? { ...issue, rule: 'required' } : issue;
  });
}

/** Validates the common fields (paths like `["name"]`) and the `northflank` block (paths under `["northflank"]`). */
export function validatePatch(patch: UpdatePatch<Record<string, unknown> | null>): NorthflankUpdateBody {
  const issues: ValidationIssue[] = [];
  const common = CommonFieldsSchema.safeParse(
    Object.fromEntries(Object.entries({ name: patch.name, description: patch.description, tags: patch.tags }).filter(([, v]) => v !== undefined)),
    { reportInput: true },
  );
  if (!common.success) issues.push(...issuesOf(common.error));
  if (patch.vendor != null) {
    // Nulls are not dropped: the gateway passes one on only where Northflank takes it (shmSize).
    const block = VendorBlockSchema.safeParse(patch.vendor, { reportInput: true });
    if (!block.success) issues.push(...issuesOf(block.error, [VENDOR]));
  }
  if (issues.length) throw new ValidationError(issues);
  return toVendorPatch(patch);
}

export const northflankAdapter = defineAdapter<NorthflankBackendConfig, NorthflankKey>({
  vendor: VENDOR,
  configSchema: northflankConfigSchema,
  capabilities: { updatableFields: ['name', 'description', 'tags'], batchGet: false, listFilters: [], nullablePaths: NULLABLE_PATHS },
  create(config, ctx): AdapterInstance<NorthflankKey> {
    const client = createNorthflankClient(config, ctx);
    const idOf = (key: NorthflankKey) => `${ctx.backendId}:${formatNativeKey(key)}`;
    const map = (raw: NorthflankDeployment) => fromVendor(raw, ctx.backendId);

    const projects = new Set(config.projects);
    /** This backend serves only its configured projects: anything else is not found, without a call. */
    function inScope(key: NorthflankKey) {
      if (!projects.has(key.projectId)) throw new NotFoundError(idOf(key), ctx.backendId);
    }

    /**
     * A 400 whose `details` name fields (ASSUMPTION(CONVENTIONS.md 1.5): `[{path, message}]`) is a
     * ValidationError on the input paths: `name`/`description`/`tags`, the rest under `northflank`.
     */
    function refusedFields(err: UpstreamError): ValidationError | null {
      if (err.status !== 400) return null;
      const details = ValidationDetailsSchema.safeParse(err.detail);
      if (!details.success || details.data.length === 0) return null;
      return new ValidationError(
        details.data.map((d) => {
          const parts = (Array.isArray(d.path) ? d.path : d.path.split('.').filter(Boolean)).map((p) => (typeof p === 'string' && /^\d+$/.test(p) ? Number(p) : p));
          const common = parts.length > 0 && ['name', 'description', 'tags'].includes(String(parts[0]));
          return { path: common ? parts : [VENDOR, ...parts], rule: 'vendor', message: `Northflank refused it: ${d.message}` };
        }),
      );
    }

    async function get(key: NorthflankKey, requestId?: string): Promise<ModelDeployment<NorthflankDeployment>> {
      inScope(key);
      const raw = await client.getLlmModelDeployment(key, { requestId });
      if (!raw) throw new NotFoundError(idOf(key), ctx.backendId);
      return map(raw);
    }

    async function listProject(projectId: string, requestId?: string): Promise<ModelDeployment[]> {
      const out: ModelDeployment[] = [];
      const seen = new Set<string>();
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const reply = await client.listLlmModelDeployments(projectId, { perPage: MAX_PER_PAGE, cursor }, { requestId });
        for (const item of reply.items) out.push(map(item));
        // One item that cannot be read (no id or projectId) costs only itself.
        for (const u of reply.unreadable) {
          ctx.logger.warn({ backend: ctx.backendId, projectId, index: page * MAX_PER_PAGE + u.index, problem: u.problem }, 'skipped an AI model that cannot be read');
        }
        // CONVENTIONS.md 1.3: walk with the returned cursor until hasNextPage is false.
        if (!reply.pagination.hasNextPage) return out;
        cursor = reply.pagination.cursor!;
        if (seen.has(cursor)) break;
        seen.add(cursor);
      }
      throw new UpstreamError({
        backend: ctx.backendId,
        message: `listing project ${projectId} did not end: the cursor repeated or exceeded ${MAX_PAGES} pages`,
        request: { method: 'GET', path: client.describe({ path: client.collectionPath(projectId) }) },
      });
    }

    async function plan(key: NorthflankKey, patch: UpdatePatch, requestId?: string): Promise<PlanResult & { body: NorthflankUpdateBody }> {
      inScope(key);
      const body = validatePatch(patch);
      const current = await get(key, requestId);
      const empty = Object.keys(body).length === 0;
      return {
        body,
        current,
        changes: forDisplay(planChanges(current.raw, body)),
        // Nothing set: nothing to send.
        requests: empty ? [] : [{ method: 'POST', path: client.describe({ path: client.itemPath(key) }), body: forDisplay(body) }],
      };
    }

    return {
      parseKey(nativeKey) {
        const [projectId, llmModelDeploymentId] = parseSegments(nativeKey, KEY_RULES);
        return { projectId: projectId!, llmModelDeploymentId: llmModelDeploymentId! };
      },
      formatKey: formatNativeKey,

      // No batch endpoint (CONVENTIONS.md 1.2): one GET per key, in parallel.
      getMany: (keys, opts) => Promise.all(keys.map((k) => get(k, opts?.requestId).catch((e: Error) => e))),

      async list(_filter, opts) {
        // The list endpoint takes no filters (CONVENTIONS.md 1.3); the gateway filters.
        const pages = await Promise.all(config.projects.map((p) => listProject(p, opts?.requestId)));
        return pages.flat();
      },

      async planUpdate(key, patch, opts) {
        const { body: _body, ...result } = await plan(key, patch, opts?.requestId);
        return result;
      },

      async update(key, patch, opts) {
        const p = await plan(key, patch, opts?.requestId);
        // Northflank has no conditional update: the check is against the read just made.
        if (opts?.expectedVersion !== undefined && opts.expectedVersion !== p.current.version) {
          throw new ConflictError(p.current.id, opts.expectedVersion, p.current.version);
        }
        if (p.requests.length === 0) return { deployment: p.current, requests: [], changes: [] };
        try {
          await client.updateLlmModelDeployment(key, p.body, { requestId: opts?.requestId });
        } catch (err) {
          if (!(err instanceof UpstreamError)) throw err;
          const refused = refusedFields(err);
          if (refused) throw refused;
          if (err.status === 404) throw new NotFoundError(p.current.id, ctx.backendId);
          const ambiguous = err.outcome === 'UNKNOWN' || (err.status !== null && err.status >= 500);
          if (!ambiguous) throw err;
          // The outcome is not known: the re-read tells whether the write took effect.
          let after: ModelDeployment<NorthflankDeployment>;
          try {
            after = await get(key, opts?.requestId);
          } catch {
            throw err.withOutcome('UNKNOWN');
          }
          if (showsUpdate(after.raw, p.body)) {
            ctx.logger.warn({ code: err.code, status: err.status }, 'update failed in flight, but the re-read shows it applied');
            return { deployment: after, requests: p.requests, changes: p.changes };
          }
          // A 5xx answer (other than a gateway timeout) ends the request: the re-read is the truth.
          // Without an answer (timeout, reset, 504) the request may still be applied later.
          const answered = err.status !== null && err.status !== 504;
          throw answered
            ? err.withOutcome('NOT_APPLIED', `${err.message.replace(`Backend ${ctx.backendId}: `, '')}; the re-read shows the update was not applied`)
            : err.withOutcome('UNKNOWN', `${err.message.replace(`Backend ${ctx.backendId}: `, '')}; the re-read does not show the update yet, re-read before retrying`);
        }
        const deployment = await get(key, opts?.requestId);
        if (!showsUpdate(deployment.raw, p.body)) {
          throw new UpstreamError({
            backend: ctx.backendId,
            message: 'the update was answered with success, but the re-read deployment does not show it',
            request: { method: 'POST', path: p.requests[0]!.path },
            outcome: 'UNKNOWN',
          });
        }
        return { deployment, requests: p.requests, changes: p.changes };
      },

      async health() {
        const started = ctx.clock.now();
        try {
          await client.listLlmModelDeployments(config.projects[0]!, { perPage: 1 });
          return { ok: true, message: null, latencyMs: ctx.clock.now() - started };
        } catch (err) {
          return { ok: false, message: err instanceof Error ? err.message : 'health check failed', latencyMs: null };
        }
      },

      close: () => client.close(),
    };
  },
});

export default northflankAdapter;

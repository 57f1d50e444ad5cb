import { z } from 'zod';
import { defineAdapter, type AdapterInstance, type ListFilter, type PlanResult } from '../../src/domain/adapter.js';
import type { ModelDeployment as UnifiedDeployment } from '../../src/domain/deployment.js';
import {
  ConflictError,
  NotFoundError,
  UnsupportedFieldError,
  UpstreamError,
  ValidationError,
} from '../../src/domain/errors.js';
import { parseSegments, type SegmentRule } from '../../src/domain/ids.js';
import type { FieldChange, UpdateOptions, UpdatePatch } from '../../src/domain/patch.js';
import { issuesFromZod } from '../../src/domain/validation.js';
import {
  ENTITY_NAME_MAX,
  ENTITY_NAME_PATTERN,
  UpdateModelDeploymentRequestSchema,
  type ModelDeployment,
  type UpdateModelDeploymentRequest,
} from './contract.js';
import { createNemoClient, type NemoClient } from './client.js';
import { BODY_FIELD_TO_INPUT, fromVendor, nemoWordsFor, toVendorPatch, type NemoUpdateBlock } from './mapping.js';

const workspaceName = z
  .string()
  .min(1)
  .max(ENTITY_NAME_MAX)
  .regex(ENTITY_NAME_PATTERN, 'letters, digits, "_", "-" and "." only')
  .refine((s) => s !== '.' && s !== '..', 'may not be "." or ".."');

export const NemoConfigSchema = z.object({
  id: z.string(),
  vendor: z.literal('nemo'),
  baseUrl: z.url(),
  /** Bearer token when the installation has auth enabled (CONVENTIONS.md 2.1); absent: no header. */
  token: z.string().min(1).optional(),
  workspaces: z.array(workspaceName).min(1),
  timeoutMs: z.number().int().positive().optional(),
});
export type NemoBackendConfig = z.infer<typeof NemoConfigSchema>;

export interface NemoKey {
  workspace: string;
  name: string;
}

const KEY_RULES: SegmentRule[] = [
  { name: 'workspace', pattern: ENTITY_NAME_PATTERN, maxLength: ENTITY_NAME_MAX },
  { name: 'name', pattern: ENTITY_NAME_PATTERN, maxLength: ENTITY_NAME_MAX },
];

/** Largest number of pages walked per workspace; beyond it the vendor is misbehaving. */
const MAX_PAGES = 1000;
const PAGE_SIZE = 100;

const IMMUTABLE_REASON =
  'NeMo model deployments are immutable versions; an update only re-points the deployment to a ModelDeploymentConfig (nemo.config, nemo.configVersion)';

/** The instance, plus what the GraphQL type reads lazily (earlier versions). */
export interface NemoAdapterInstance extends AdapterInstance<NemoKey> {
  client: NemoClient;
  listVersions(key: NemoKey, opts?: { requestId?: string }): Promise<ModelDeployment[]>;
}

/** Checks the patch and builds the body; nothing is read or sent. */
export function bodyOf(patch: UpdatePatch): UpdateModelDeploymentRequest {
  for (const field of ['name', 'description', 'tags'] as const) {
    if (patch[field] !== undefined && patch[field] !== null) throw new UnsupportedFieldError(field, 'nemo', IMMUTABLE_REASON);
  }
  const block = (patch.vendor ?? null) as NemoUpdateBlock | null;
  // A field NeMo's body does not have would be dropped without a word: refused (seed/update-request.schema.json).
  const unknown = Object.keys(block ?? {}).filter((k) => !Object.values(BODY_FIELD_TO_INPUT).includes(k));
  if (unknown.length) {
    throw new ValidationError(unknown.map((k) => ({ path: ['nemo', k], rule: 'unknown_field', message: `NeMo's update body has no field ${k}` })));
  }
  const body = toVendorPatch(block);
  if (body.config === undefined) {
    throw new ValidationError([
      { path: ['nemo', 'config'], rule: 'required', message: 'an update needs nemo.config: the ModelDeploymentConfig to point to' },
    ]);
  }
  // reportInput lets issuesFromZod tell a wrong type from a missing field.
  const r = UpdateModelDeploymentRequestSchema.safeParse(body, { reportInput: true });
  if (!r.success) {
    const issues = issuesFromZod(r.error).map((i) => ({
      ...i,
      path: ['nemo', ...i.path.map((p) => (typeof p === 'string' ? (BODY_FIELD_TO_INPUT[p] ?? p) : p))],
    }));
    throw new ValidationError(issues);
  }
  // A bigint from the GraphQL scalar is sent as a JSON number (exact digits beyond 2^53).
  const v = r.data.config_version;
  return typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) ? { ...r.data, config_version: Number(v) } : r.data;
}

export const nemoAdapter = defineAdapter<NemoBackendConfig, NemoKey>({
  vendor: 'nemo',
  configSchema: NemoConfigSchema,
  capabilities: { updatableFields: [], batchGet: false, listFilters: ['status'] },
  create(config, ctx): NemoAdapterInstance {
    const backend = ctx.backendId;
    const client = createNemoClient(ctx, { baseUrl: config.baseUrl, token: config.token, timeoutMs: config.timeoutMs });
    const workspaces = new Set(config.workspaces);
    const idOf = (key: NemoKey) => `${backend}:${key.workspace}/${key.name}`;
    const map = (raw: ModelDeployment) => fromVendor(raw, backend);

    async function read(key: NemoKey, requestId?: string): Promise<UnifiedDeployment<ModelDeployment>> {
      // This backend serves only its configured workspaces.
      if (!workspaces.has(key.workspace)) throw new NotFoundError(idOf(key), backend);
      const raw = await client.getModelDeployment(key.workspace, key.name, requestId);
      if (!raw) throw new NotFoundError(idOf(key), backend);
      return map(raw);
    }

    /** The config version the update will point to; refuses an unknown config or version before any write. */
    async function resolveConfigVersion(key: NemoKey, body: UpdateModelDeploymentRequest, requestId?: string): Promise<number> {
      const ref = `${key.workspace}/${body.config}`;
      if (body.config_version !== undefined) {
        const v = await client.getModelDeploymentConfigVersion(key.workspace, body.config, body.config_version, requestId);
        if (v) return v.entity_version;
        const latest = await client.getModelDeploymentConfig(key.workspace, body.config, requestId);
        if (!latest) throw new ValidationError([{ path: ['nemo', 'config'], rule: 'exists', message: `Deployment config '${ref}' does not exist` }]);
        throw new ValidationError([
          {
            path: ['nemo', 'configVersion'],
            rule: 'exists',
            message: `Deployment config '${ref}' version '${body.config_version}' does not exist (latest is ${latest.entity_version})`,
          },
        ]);
      }
      const latest = await client.getModelDeploymentConfig(key.workspace, body.config, requestId);
      if (!latest) throw new ValidationError([{ path: ['nemo', 'config'], rule: 'exists', message: `Deployment config '${ref}' does not exist` }]);
      return latest.entity_version;
    }

    async function plan(key: NemoKey, patch: UpdatePatch, opts?: UpdateOptions): Promise<PlanResult & { body: UpdateModelDeploymentRequest; configVersion: number }> {
      const body = bodyOf(patch);
      const current = await read(key, opts?.requestId);
      const configVersion = await resolveConfigVersion(key, body, opts?.requestId);
      const raw = current.raw;
      const nextVersion = raw.entity_version + 1;
      const changes: FieldChange[] = [
        { field: 'version', before: String(raw.entity_version), after: String(nextVersion) },
        { field: 'nemo.config', before: raw.config, after: body.config },
        { field: 'nemo.configVersion', before: raw.config_version, after: configVersion },
      ];
      return {
        current,
        changes,
        body,
        configVersion,
        // GraphQL's JSON shows a bigint beyond 2^53 as its digits.
        requests: [
          {
            method: 'POST',
            path: client.describe({ path: client.deploymentPath(key.workspace, key.name) }),
            body: typeof body.config_version === 'bigint' ? { ...body, config_version: body.config_version.toString() } : body,
          },
        ],
      };
    }

    /** After an ambiguous write: did the new version land? (DESIGN.md "Updates": never retry blindly.) */
    async function settle(key: NemoKey, before: ModelDeployment, body: UpdateModelDeploymentRequest, configVersion: number, err: UpstreamError, requestId?: string) {
      let after: ModelDeployment | null;
      try {
        after = await client.getModelDeploymentVersion(key.workspace, key.name, before.entity_version + 1, requestId);
      } catch {
        return err.withOutcome('UNKNOWN', `${stripBackend(err)}; the re-read failed too, so whether version ${before.entity_version + 1} exists is unknown`);
      }
      if (after && after.config === body.config && after.config_version === configVersion) {
        const latest = await read(key, requestId).catch(() => map(after!));
        return latest;
      }
      if (after) {
        return err.withOutcome('UNKNOWN', `${stripBackend(err)}; version ${after.entity_version} exists but points to ${after.config} v${after.config_version}, not ours`);
      }
      // Without an answer (timeout, reset, 504) the POST may still be handled after the re-read.
      const answered = err.status !== null && err.status !== 504;
      return answered
        ? err.withOutcome('NOT_APPLIED', `${stripBackend(err)}; no version ${before.entity_version + 1} exists as of the re-read`)
        : err.withOutcome('UNKNOWN', `${stripBackend(err)}; no version ${before.entity_version + 1} exists as of the re-read, but the request may still land: re-read before retrying`);
    }

    const instance: NemoAdapterInstance = {
      client,
      parseKey(nativeKey) {
        const [workspace, name] = parseSegments(nativeKey, KEY_RULES);
        return { workspace: workspace!, name: name! };
      },
      formatKey: (key) => `${key.workspace}/${key.name}`,

      // NeMo has no batch read: one GET per key, in parallel.
      getMany(keys, opts) {
        return Promise.all(keys.map((k) => read(k, opts?.requestId).catch((e: Error) => e)));
      },

      async list(filter: ListFilter, opts) {
        const pushDown = statusFilterFor(filter);
        if (pushDown === 'none') return [];
        const perWorkspace = await Promise.all(
          config.workspaces.map(async (workspace) => {
            const out: UnifiedDeployment[] = [];
            for (let page = 1; page <= MAX_PAGES; page++) {
              const res = await client.listModelDeployments(
                workspace,
                { page, pageSize: PAGE_SIZE, sort: 'name', filter: pushDown ? { status: pushDown } : undefined },
                opts?.requestId,
              );
              for (const raw of res.data) out.push(map(raw));
              if (res.data.length === 0 || page >= res.pagination.total_pages) break;
            }
            return out;
          }),
        );
        return perWorkspace.flat();
      },

      async planUpdate(key, patch, opts) {
        const { body: _b, configVersion: _c, ...result } = await plan(key, patch, opts);
        return result;
      },

      async update(key, patch, opts) {
        const p = await plan(key, patch, opts);
        const before = p.current.raw as ModelDeployment;
        if (opts?.expectedVersion !== undefined && opts.expectedVersion !== p.current.version) {
          throw new ConflictError(p.current.id, opts.expectedVersion, p.current.version);
        }
        try {
          await client.updateModelDeployment(key.workspace, key.name, p.body, opts?.requestId);
        } catch (err) {
          // 4xx answers are final; a lost answer, a 5xx or a garbled 201 may hide a new version.
          const refused = err instanceof UpstreamError && err.status === null && err.outcome === 'NOT_APPLIED';
          if (err instanceof UpstreamError && !refused && (err.status === null || err.status >= 500 || err.status < 300)) {
            const outcome = await settle(key, before, p.body, p.configVersion, err, opts?.requestId);
            if (outcome instanceof UpstreamError) throw outcome;
            return { deployment: outcome, requests: p.requests, changes: p.changes };
          }
          throw err;
        }
        const deployment = await read(key, opts?.requestId);
        return { deployment, requests: p.requests, changes: p.changes };
      },

      listVersions(key, opts) {
        return client.listModelDeploymentVersions(key.workspace, key.name, opts?.requestId);
      },

      async health() {
        const started = ctx.clock.now();
        try {
          await client.listModelDeployments(config.workspaces[0]!, { page: 1, pageSize: 1 });
          return { ok: true, message: null, latencyMs: ctx.clock.now() - started };
        } catch (err) {
          return { ok: false, message: err instanceof Error ? err.message : 'health check failed', latencyMs: null };
        }
      },
      close: () => client.close(),
    };
    return instance;
  },
});

/**
 * `filter[status]=<word>` when the filter asks for exactly one unified status that is exactly one
 * NeMo word; `'none'` when that status has no NeMo word; undefined: filter locally (the gateway does).
 */
export function statusFilterFor(filter: ListFilter): string | 'none' | undefined {
  if (filter.statuses?.length !== 1) return undefined;
  const words = nemoWordsFor(filter.statuses[0]!);
  if (words.length === 0) return 'none';
  return words.length === 1 ? words[0] : undefined;
}

function stripBackend(err: UpstreamError): string {
  return err.message.replace(`Backend ${err.backend}: `, '');
}

export default nemoAdapter;

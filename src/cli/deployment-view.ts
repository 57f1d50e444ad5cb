import { DEPLOYMENT_STATUSES } from '../domain/status.js';
import { parseAssignment, splitList, usageError } from './client.js';
import { didYouMean } from './suggest.js';

/** The fields the CLI reads of every deployment, in the order its JSON output keeps them. */
export const DEPLOYMENT_FIELDS = `
  id backend vendor nativeId name description tags status vendorStatus statusMessage version createdAt updatedAt
  model { name revision engine path }
  resources { gpuType gpuCount gpuCounts gpuMemoryBytes memoryBytes storageBytes }
`;

export interface DeploymentView {
  id: string;
  backend: string;
  vendor: string;
  nativeId: string;
  name: string;
  description: string | null;
  tags: string[];
  status: string;
  vendorStatus: string | null;
  statusMessage: string | null;
  version: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  model: { name: string | null; revision: string | null; engine: string | null; path: string | null } | null;
  resources: Record<string, unknown> | null;
  raw?: unknown;
}

/** The JSON scripts get: a fixed key order whatever order the server answered in. */
export function stableDeployment(d: DeploymentView): DeploymentView {
  const { id, backend, vendor, nativeId, name, description, tags, status, vendorStatus, statusMessage, version, createdAt, updatedAt, model, resources } = d;
  const out: DeploymentView = { id, backend, vendor, nativeId, name, description, tags, status, vendorStatus, statusMessage, version, createdAt, updatedAt, model, resources };
  if ('raw' in d) out.raw = d.raw;
  return out;
}

export interface FilterFlags {
  vendor?: string[];
  backend?: string[];
  status?: string[];
  tag?: string[];
  search?: string;
}

export function parseStatuses(values: string[], flag = '--status'): string[] {
  return values.map((s) => {
    const upper = s.toUpperCase();
    if (!(DEPLOYMENT_STATUSES as readonly string[]).includes(upper)) {
      throw usageError(`${flag} ${JSON.stringify(s)} is not a status${didYouMean(upper, DEPLOYMENT_STATUSES)}`);
    }
    return upper;
  });
}

/** The GraphQL ModelDeploymentFilter of list-style flags; null when no flag narrows anything. */
export function filterOf(flags: FilterFlags): Record<string, unknown> | null {
  const filter: Record<string, unknown> = {};
  const vendors = splitList(flags.vendor);
  const backends = splitList(flags.backend);
  const statuses = parseStatuses(splitList(flags.status));
  const tags = splitList(flags.tag);
  if (vendors.length) filter.vendors = vendors;
  if (backends.length) filter.backends = backends;
  if (statuses.length) filter.statuses = statuses;
  if (tags.length) filter.tags = tags;
  if (flags.search) filter.search = flags.search;
  return Object.keys(filter).length ? filter : null;
}

const WHERE_KEYS = ['vendor', 'backend', 'status', 'tag', 'search'] as const;

/** `--where vendor=northflank --where status=READY,STARTING --where search=llama` → a filter. */
export function whereOf(values: string[]): Record<string, unknown> | null {
  if (!values.length) return null;
  const flags: Record<string, string[]> = {};
  for (const v of values) {
    const [key, value] = parseAssignment('--where', v);
    if (!(WHERE_KEYS as readonly string[]).includes(key)) throw usageError(`--where ${key}: unknown key${didYouMean(key, WHERE_KEYS)}`);
    (flags[key] ??= []).push(String(value));
  }
  const filter = filterOf({ ...flags, search: flags.search?.join(' ') });
  // An explicit --where that narrows nothing would select every deployment.
  if (!filter) throw usageError('--where selects nothing: give vendor=, backend=, status=, tag= or search=');
  return filter;
}

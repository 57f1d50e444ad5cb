import type { CliIo } from './io.js';
import type { GatewayClient } from './client.js';
import { CliError } from './client.js';
import { diffLines, safe, show, startProgress } from './output.js';

/** What the CLI reads of a bulk update result (dry run or apply). */
export const PAYLOAD_FIELDS = `
  dryRun planId expiresAt
  summary { matched changed unchanged failed }
  failures { backend code message }
  items {
    id outcome
    result {
      __typename
      ... on Error { code message }
      ... on ValidationError { issues { path rule message } }
      ... on UnsupportedFieldError { field vendor reason }
      ... on ConflictError { expectedVersion actualVersion }
      ... on UpstreamError { backend status vendorCode retryable outcome }
      ... on UpdateModelDeploymentSuccess {
        dryRun
        deployment { id name description tags status version }
        changes { field before after }
        requests { method path body }
      }
    }
  }
`;

export interface ItemResult {
  __typename: string;
  code?: string;
  message?: string;
  deployment?: { id: string; version: string | null };
  changes?: { field: string; before: unknown; after: unknown }[];
  requests?: { method: string; path: string; body: unknown }[];
  [detail: string]: unknown;
}

export interface Payload {
  dryRun: boolean;
  planId: string | null;
  expiresAt: string | null;
  summary: { matched: number; changed: number; unchanged: number; failed: number };
  failures: { backend: string; code: string; message: string }[];
  items: { id: string; outcome: 'CHANGED' | 'UNCHANGED' | 'FAILED'; result: ItemResult }[];
}

const APPLY = `mutation ApplyPlan($planId: ID!) {
  applyModelDeploymentPlan(planId: $planId) {
    __typename
    ... on Error { code message }
    ... on UpdateModelDeploymentsPayload { ${PAYLOAD_FIELDS} }
  }
}`;

const PROGRESS = `query PlanProgress($id: ID!) { modelDeploymentPlan(id: $id) { done summary { matched } rateLimitWaits { backend remainingMs } } }`;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const reason = (r: ItemResult) => safe(`${r.code ?? r.__typename}: ${r.message ?? ''}`);

/** The plan as a diff: `~` would change, `=` already as asked, `!` refused. */
export function renderPlan(p: Payload): string {
  const lines: string[] = [];
  for (const item of p.items) {
    const r = item.result;
    const id = safe(item.id);
    if (item.outcome === 'CHANGED') {
      lines.push(`~ ${id}${r.deployment?.version ? `  (at version ${safe(r.deployment.version)})` : ''}`);
      lines.push(...diffLines(r.changes ?? []));
      for (const req of r.requests ?? []) lines.push(`    ${req.method} ${safe(req.path)} ${show(req.body)}`);
    } else if (item.outcome === 'UNCHANGED') {
      lines.push(`= ${id}  (already as asked)`);
    } else {
      lines.push(`! ${id}`, `    refused ${reason(r)}`);
    }
  }
  const s = p.summary;
  lines.push(
    `Plan ${p.planId}: ${s.changed} to change, ${s.unchanged} unchanged, ${s.failed} refused, of ${plural(s.matched, 'matched deployment')}` +
      (p.expiresAt ? ` (expires ${p.expiresAt})` : ''),
  );
  for (const f of p.failures) lines.push(`warning: backend ${f.backend} could not be listed [${f.code}]: ${safe(f.message)}`);
  return `${lines.join('\n')}\n`;
}

export function renderApplied(p: Payload): string {
  const lines = p.items.map((item) => {
    const r = item.result;
    const id = safe(item.id);
    if (item.outcome === 'CHANGED') return `✓ ${id}  changed${r.deployment?.version ? ` (now version ${safe(r.deployment.version)})` : ''}`;
    if (item.outcome === 'UNCHANGED') return `= ${id}  unchanged`;
    return `✗ ${id}  ${reason(r)}`;
  });
  const s = p.summary;
  lines.push(`Applied ${p.planId}: ${s.changed} changed, ${s.unchanged} unchanged, ${s.failed} failed, of ${plural(s.matched, 'deployment')}`);
  return `${lines.join('\n')}\n`;
}

/** Applies a plan, with a progress line on stderr on long runs when stderr is a terminal. */
export async function applyPlan(client: GatewayClient, planId: string, options: { progress: boolean; io: CliIo }): Promise<Payload> {
  const progress = options.progress
    ? startProgress(`applying ${planId}`, async () => {
        const r = await client.request<{ modelDeploymentPlan: { done: number; summary: { matched: number }; rateLimitWaits: { backend: string; remainingMs: number }[] } | null }>(PROGRESS, { id: planId });
        const plan = r.data?.modelDeploymentPlan;
        if (!plan) return null;
        const waits = plan.rateLimitWaits.map((w) => `${safe(w.backend)} rate-limited, waiting ${Math.max(1, Math.ceil(w.remainingMs / 1000))}s`);
        return { done: plan.done, total: plan.summary.matched, note: waits.join(', ') || undefined };
      }, { out: options.io.stderr, clock: options.io.clock })
    : null;
  try {
    const { applyModelDeploymentPlan: r } = await client.data<{ applyModelDeploymentPlan: Payload & { __typename: string; code?: string; message?: string } }>(APPLY, { planId });
    if (r.__typename !== 'UpdateModelDeploymentsPayload') throw new CliError(`${r.message} [${r.code}]`);
    return r;
  } finally {
    progress?.stop();
  }
}

/** Exit status of an apply: failure when any deployment was refused or failed. */
export function checkApplied(p: Payload): void {
  if (p.summary.failed > 0) {
    throw new CliError(`${p.summary.failed} of ${plural(p.summary.matched, 'deployment')} not updated (see above)`);
  }
}

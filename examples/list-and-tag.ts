/**
 * Lists deployments across every vendor and tags the READY llama ones, with the types that
 * `npm run codegen` generates from schema/schema.graphql for examples/operations/*.graphql.
 *
 *   MODEL_GATEWAY_URL=http://127.0.0.1:4000/graphql MODEL_GATEWAY_TOKEN=… TAG=llama-fleet \
 *     node --import tsx examples/list-and-tag.ts
 *
 * The tag is added in two steps: a dry run returns the plan (nothing is sent to any vendor),
 * then the plan is applied exactly as shown. Vendors that cannot tag (NeMo deployments are
 * immutable versions) are reported per deployment; the others are still tagged.
 */
import {
  ApplyPlanDocument,
  ListDeploymentsDocument,
  TagDeploymentsDocument,
  type BulkResultFragment,
  type ListDeploymentsQuery,
  type TypedDocumentString,
} from './generated/graphql.js';

const url = process.env.MODEL_GATEWAY_URL || 'http://127.0.0.1:4000/graphql';
const token = process.env.MODEL_GATEWAY_TOKEN;
const tag = process.env.TAG || 'llama-fleet';

/** Sends one typed operation; GraphQL errors without data throw, errors beside data are printed. */
async function execute<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables): Promise<TResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await res.json()) as { data?: TResult | null; errors?: { message: string }[] };
  if (!body.data) throw new Error(body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${res.status}`);
  for (const e of body.errors ?? []) console.warn(`warning: ${e.message}`);
  return body.data;
}

type Deployment = ListDeploymentsQuery['modelDeployments']['edges'][number]['node'];

async function listAll(): Promise<Deployment[]> {
  const all: Deployment[] = [];
  let after: string | null | undefined = null;
  do {
    const { modelDeployments: page }: ListDeploymentsQuery = await execute(ListDeploymentsDocument, { first: 100, after });
    all.push(...page.edges.map((e) => e.node));
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return all;
}

function report(result: BulkResultFragment): void {
  for (const item of result.items) {
    const r = item.result;
    switch (r.__typename) {
      case 'UpdateModelDeploymentSuccess':
        console.log(`  ${item.outcome === 'CHANGED' ? 'tagged ' : 'already'}  ${item.id}  [${r.deployment.tags?.join(', ') ?? 'tags unknown'}]`);
        break;
      case 'UnsupportedFieldError':
        console.log(`  skipped  ${item.id}  (${r.vendor} cannot change ${r.field})`);
        break;
      default:
        console.log(`  failed   ${item.id}  ${r.code}: ${r.message}`);
    }
  }
  const s = result.summary;
  console.log(`${s.changed} changed, ${s.unchanged} unchanged, ${s.failed} not changed, of ${s.matched}`);
}

const deployments = await listAll();
const byVendor = new Map<string, number>();
for (const d of deployments) byVendor.set(d.vendor, (byVendor.get(d.vendor) ?? 0) + 1);
console.log(`${deployments.length} deployments: ${[...byVendor].map(([v, n]) => `${v} ${n}`).join(', ')}`);

const llamas = deployments.filter((d) => d.status === 'READY' && /llama/i.test(`${d.name} ${d.model?.name ?? ''}`));
console.log(`READY llama deployments: ${llamas.map((d) => d.id).join(', ') || 'none'}`);
if (llamas.length) {
  const { updateModelDeployments: plan } = await execute(TagDeploymentsDocument, { ids: llamas.map((d) => d.id), addTags: [tag], dryRun: true });
  // Null only if the gateway itself failed (the error is in `errors`); refusals are typed results.
  if (!plan) throw new Error('the plan failed');
  if (plan.__typename !== 'UpdateModelDeploymentsPayload') throw new Error(`the plan was refused: ${plan.code}: ${plan.message}`);
  console.log(`plan ${plan.planId}: ${plan.summary.changed} to tag "${tag}"`);

  const { applyModelDeploymentPlan: applied } = await execute(ApplyPlanDocument, { planId: plan.planId! });
  if (!applied) throw new Error('the apply failed: its items\u2019 outcomes are unknown; read the plan (modelDeploymentPlan) for its progress');
  if (applied.__typename !== 'UpdateModelDeploymentsPayload') throw new Error(`${applied.code}: ${applied.message}`);
  report(applied);
}

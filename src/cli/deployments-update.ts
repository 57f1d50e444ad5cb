import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { collect, connect, CliError, splitList, usageError, withGatewayOptions, type GatewayOptions } from './client.js';
import { whereOf } from './deployment-view.js';
import { checkSelectors } from './deployments-list.js';
import { emit, outputOf, withOutputOptions, type OutputFlags } from './output.js';
import { PAYLOAD_FIELDS, applyPlan, checkApplied, renderApplied, renderPlan, type Payload } from './plan-view.js';
import type { CliIo } from './io.js';

const PLAN = `mutation PlanUpdate($where: ModelDeploymentFilter, $ids: [ID!], $patch: UpdateModelDeploymentsPatch!, $concurrency: Int) {
  updateModelDeployments(where: $where, ids: $ids, patch: $patch, dryRun: true, concurrency: $concurrency) {
    __typename
    ... on Error { code message }
    ... on ValidationError { issues { path message } }
    ... on UpdateModelDeploymentsPayload { ${PAYLOAD_FIELDS} }
  }
}`;

const FORMATS = ['text', 'json', 'yaml'] as const;

interface UpdateOptions extends GatewayOptions, OutputFlags {
  where?: string[];
  set?: string[];
  tag?: string[];
  untag?: string[];
  dryRun?: boolean;
  yes?: boolean;
  concurrency?: string;
}

const COMMON = ['name', 'description', 'tags'] as const;

/**
 * `--set` pairs → the bulk patch. name and description stay text as typed; tags is a comma list
 * (or a JSON array); `<vendor>.<field>` goes to that vendor's block, its value read as JSON when
 * it parses (numbers, booleans, objects), else as text.
 */
export function patchOf(sets: string[], addTags: string[], removeTags: string[]): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw usageError(`--set ${JSON.stringify(s)}: expected key=value`);
    const key = s.slice(0, eq).trim();
    const text = s.slice(eq + 1);
    if (key === 'tags') {
      patch.tags = text.trim().startsWith('[') ? parseJson('--set tags', text) : splitList([text]);
    } else if ((COMMON as readonly string[]).includes(key)) {
      patch[key] = text;
    } else if (/^[a-z][a-z0-9]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(key)) {
      const path = key.split('.');
      let node = patch as Record<string, unknown>;
      for (const p of path.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
      node[path.at(-1)!] = parseLoose(text);
    } else {
      throw usageError(`--set ${key}: unknown field (name, description, tags, or <vendor>.<field> such as nemo.config)`);
    }
  }
  if (addTags.length) patch.addTags = addTags;
  if (removeTags.length) patch.removeTags = removeTags;
  return patch;
}

function parseJson(flag: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw usageError(`${flag}: ${JSON.stringify(text)} is not valid JSON`);
  }
}

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export function registerDeploymentsUpdate(parent: Command, io: CliIo): void {
  withOutputOptions(
    withGatewayOptions(
    parent
      .command('update')
      .description('Update one or many deployments: shows the plan as a diff, then asks before applying (unless --yes).')
      .argument('[ids...]', 'deployment ids; or select with --where')
      .option('--where <key=value>', 'select by vendor=, backend=, status=, tag= or search= (repeatable; all must hold)', collect)
      .option('--set <key=value>', 'name=…, description=…, tags=a,b (replaces), or <vendor>.<field>=… (repeatable)', collect)
      .option('--tag <tag>', 'add this tag, keeping the others (repeatable)', collect)
      .option('--untag <tag>', 'remove this tag (repeatable)', collect)
      .option('--dry-run', 'only show the plan; nothing is sent to any vendor')
      .option('-y, --yes', 'apply without asking')
      .option('--concurrency <n>', 'vendor calls in flight per backend (1-16, default 4)'),
    ),
    FORMATS,
  ).action(async (ids: string[], opts: UpdateOptions) => {
    const output = outputOf(opts, FORMATS);
    const where = whereOf(opts.where ?? []);
    if (!ids.length && !where) throw usageError('say which deployments: give their ids, or --where key=value');
    const patch = patchOf(opts.set ?? [], splitList(opts.tag), splitList(opts.untag));
    if (!Object.keys(patch).length) throw usageError('nothing to change: give --set key=value, --tag or --untag');
    let concurrency: number | undefined;
    if (opts.concurrency !== undefined) {
      concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw usageError(`--concurrency ${opts.concurrency}: expected a whole number from 1 to 16`);
    }

    const client = connect(opts, io.env);
    await checkSelectors(client, (where?.vendors as string[] | undefined) ?? [], (where?.backends as string[] | undefined) ?? [], (key) => `--where ${key}=`);
    const { updateModelDeployments: r } = await client.data<{ updateModelDeployments: Payload & { __typename: string; code?: string; message?: string } }>(PLAN, {
      where,
      ids: ids.length ? ids : null,
      patch,
      concurrency,
    });
    if (r.__typename !== 'UpdateModelDeploymentsPayload') throw new CliError(r.code && r.code !== 'VALIDATION' ? `${r.message} [${r.code}]` : (r.message ?? r.__typename));
    const plan: Payload = r;
    // JSON and YAML print one document, {plan, result}, once the command is done.
    const out = (text: string) => {
      if (!output.machine) io.stdout.write(text);
    };
    const finish = async (result: Payload | null) => {
      if (output.machine) await emit({ plan, result }, output, io.stdout);
    };
    out(renderPlan(plan));

    if (opts.dryRun) {
      out(plan.summary.changed ? `Nothing sent. To apply exactly this plan: model-gateway deployments apply ${plan.planId}\n` : 'Nothing sent.\n');
      return await finish(null);
    }
    if (plan.summary.changed === 0) {
      out('Nothing to apply.\n');
      await finish(null);
      if (plan.summary.failed) throw new CliError(`${plan.summary.failed} of ${plan.summary.matched} deployments would be refused (see above)`);
      return;
    }
    if (!opts.yes) {
      if (!io.stdin.isTTY) {
        await finish(null);
        throw usageError(`not applied: stdin is not a terminal, so nobody can confirm; pass --yes to apply plan ${plan.planId}, or --dry-run to only show it`);
      }
      const n = plan.summary.changed;
      if (!(await confirm(io, `Apply ${n} change${n === 1 ? '' : 's'}? [y/N] `))) {
        out(`Not applied. The plan stays valid until ${plan.expiresAt}: model-gateway deployments apply ${plan.planId}\n`);
        return await finish(null);
      }
    }
    const result = await applyPlan(client, plan.planId!, { progress: !output.machine, io });
    out(renderApplied(result));
    await finish(result);
    checkApplied(result);
  });
}

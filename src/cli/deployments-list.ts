import type { Command } from 'commander';
import { collect, connect, CliError, splitList, usageError, withGatewayOptions, type GatewayClient, type GatewayOptions, type GraphQLResponse } from './client.js';
import { DEPLOYMENT_FIELDS, filterOf, stableDeployment, type DeploymentView, type FilterFlags } from './deployment-view.js';
import { emit, outputOf, safe, show, table, withOutputOptions, type Column, type OutputFlags } from './output.js';
import { didYouMean } from './suggest.js';
import type { CliIo } from './io.js';

// The gateway's query cost limit allows pages of this size with every field the CLI shows.
const PAGE = 100;

const LIST = `query ListDeployments($first: Int!, $after: String, $filter: ModelDeploymentFilter) {
  modelDeployments(first: $first, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    failures { backend code message }
    edges { node { ${DEPLOYMENT_FIELDS} } }
  }
}`;

interface ListPage {
  modelDeployments: {
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    failures: { backend: string; code: string; message: string }[];
    edges: { node: DeploymentView }[];
  };
}

type ListOptions = GatewayOptions & FilterFlags & OutputFlags;

/**
 * A --vendor or --backend the gateway does not serve is a usage error (a filter that can match
 * nothing is a typo, not an empty list). The gateway is asked, as it may load external adapters.
 */
export async function checkSelectors(client: GatewayClient, vendors: string[], backends: string[], flagOf = (key: 'vendor' | 'backend') => `--${key} `): Promise<void> {
  if (!vendors.length && !backends.length) return;
  const { backends: served } = await client.data<{ backends: { id: string; vendor: string }[] }>(`query KnownBackends { backends { id vendor } }`);
  const knownVendors = [...new Set(served.map((b) => b.vendor))];
  for (const v of vendors) {
    if (!knownVendors.includes(v)) throw usageError(`${flagOf('vendor')}${JSON.stringify(v)}: this gateway serves no such vendor${didYouMean(v, knownVendors)}`);
  }
  const knownBackends = served.map((b) => b.id);
  for (const b of backends) {
    if (!knownBackends.includes(b)) throw usageError(`${flagOf('backend')}${JSON.stringify(b)}: this gateway has no such backend${didYouMean(b, knownBackends)}`);
  }
}

const COLUMNS: Column<DeploymentView>[] = [
  { header: 'ID', value: (d) => d.id },
  { header: 'VENDOR', value: (d) => d.vendor },
  { header: 'STATUS', value: (d) => d.status },
  { header: 'VENDOR STATUS', value: (d) => d.vendorStatus ?? '' },
  { header: 'NAME', value: (d) => d.name },
  { header: 'TAGS', value: (d) => (d.tags.length ? show(d.tags) : '') },
];

const WIDE: Column<DeploymentView>[] = [
  ...COLUMNS.slice(0, 5),
  { header: 'VERSION', value: (d) => d.version ?? '' },
  { header: 'UPDATED', value: (d) => d.updatedAt ?? '' },
  { header: 'MODEL', value: (d) => d.model?.name ?? '' },
  { header: 'MESSAGE', value: (d) => d.statusMessage ?? '' },
  COLUMNS[5]!,
];

const FORMATS = ['text', 'wide', 'name', 'json', 'yaml'] as const;

export function registerDeploymentsList(parent: Command, io: CliIo): void {
  withOutputOptions(
    withGatewayOptions(
      parent
        .command('list')
        .description('List deployments across every backend: a table, or -o json|yaml|wide|name.')
        .option('--vendor <vendor>', 'only this vendor (repeat or comma-separate for several)', collect)
        .option('--backend <id>', 'only this configured backend (repeatable)', collect)
        .option('--status <status>', 'only this unified status, e.g. READY (repeatable)', collect)
        .option('--tag <tag>', 'only deployments carrying this tag (repeatable: all must be present)', collect)
        .option('--search <text>', 'case-insensitive text in name, description or native id'),
    ),
    FORMATS,
  ).action(async (opts: ListOptions) => {
    const output = outputOf(opts, FORMATS);
    const filter = filterOf(opts);
    const client = connect(opts, io.env);
    await checkSelectors(client, splitList(opts.vendor), splitList(opts.backend));
    const deployments: DeploymentView[] = [];
    let failures: ListPage['modelDeployments']['failures'] = [];
    let after: string | null = null;
    do {
      const res: GraphQLResponse<ListPage> = await client.request<ListPage>(LIST, { first: PAGE, after, filter });
      const page: ListPage['modelDeployments'] | undefined = res.data?.modelDeployments;
      // Errors of backends that failed come beside the others' data; anything else is fatal.
      const fatal = (res.errors ?? []).filter((e) => !page || !page.failures.some((f) => f.backend === e.extensions?.backend));
      if (!page || fatal.length) throw new CliError((fatal[0] ?? res.errors?.[0])?.message ?? 'the gateway answered without data');
      deployments.push(...page.edges.map((e) => e.node));
      failures = page.failures;
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);

    if (output.format === 'json' || output.format === 'yaml') {
      await emit({ deployments: deployments.map(stableDeployment), failures }, output, io.stdout);
    } else if (output.format === 'name') {
      io.stdout.write(deployments.map((d) => `${safe(d.id)}\n`).join(''));
    } else if (deployments.length) {
      io.stdout.write(`${table(deployments, output.format === 'wide' ? WIDE : COLUMNS)}\n${deployments.length} deployment${deployments.length === 1 ? '' : 's'}\n`);
    } else {
      io.stdout.write('No deployments match.\n');
    }
    if (failures.length) {
      const f = failures[0]!;
      const more = failures.length > 1 ? ` (and ${failures.length - 1} more backends)` : '';
      throw new CliError(`backend ${f.backend} could not be listed [${f.code}]: ${f.message}${more}; the list is incomplete`);
    }
  });
}

import type { Command } from 'commander';
import { collect, connect, CliError, withGatewayOptions, type GatewayOptions, type GraphQLResponse } from './client.js';
import { DEPLOYMENT_FIELDS, filterOf, stableDeployment, type DeploymentView, type FilterFlags } from './deployment-view.js';
import { json, show, table } from './output.js';

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

type ListOptions = GatewayOptions & FilterFlags & { json?: boolean };

export function registerDeploymentsList(parent: Command): void {
  withGatewayOptions(
    parent
      .command('list')
      .description('List deployments across every backend: a table, or --json for scripts.')
      .option('--vendor <vendor>', 'only this vendor (repeat or comma-separate for several)', collect)
      .option('--backend <id>', 'only this configured backend (repeatable)', collect)
      .option('--status <status>', 'only this unified status, e.g. READY (repeatable)', collect)
      .option('--tag <tag>', 'only deployments carrying this tag (repeatable: all must be present)', collect)
      .option('--search <text>', 'case-insensitive text in name, description or native id')
      .option('--json', 'print {"deployments": [...], "failures": [...]} with a fixed key order'),
  ).action(async (opts: ListOptions) => {
    const filter = filterOf(opts);
    const client = connect(opts);
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

    if (opts.json) {
      process.stdout.write(json({ deployments: deployments.map(stableDeployment), failures }));
    } else if (deployments.length) {
      process.stdout.write(
        `${table(deployments, [
          { header: 'ID', value: (d) => d.id },
          { header: 'VENDOR', value: (d) => d.vendor },
          { header: 'STATUS', value: (d) => d.status },
          { header: 'VENDOR STATUS', value: (d) => d.vendorStatus ?? '' },
          { header: 'NAME', value: (d) => d.name },
          { header: 'TAGS', value: (d) => (d.tags.length ? show(d.tags) : '') },
        ])}\n${deployments.length} deployment${deployments.length === 1 ? '' : 's'}\n`,
      );
    } else {
      process.stdout.write('No deployments match.\n');
    }
    if (failures.length) {
      const f = failures[0]!;
      const more = failures.length > 1 ? ` (and ${failures.length - 1} more backends)` : '';
      throw new CliError(`backend ${f.backend} could not be listed [${f.code}]: ${f.message}${more}; the list is incomplete`);
    }
  });
}

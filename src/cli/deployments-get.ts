import type { Command } from 'commander';
import { connect, CliError, withGatewayOptions, type GatewayOptions } from './client.js';
import { DEPLOYMENT_FIELDS, stableDeployment, type DeploymentView } from './deployment-view.js';
import { json, show } from './output.js';

const GET = `query GetDeployment($id: ID!) { modelDeployment(id: $id) { ${DEPLOYMENT_FIELDS} raw } }`;

function resourcesOf(r: Record<string, unknown> | null): Record<string, unknown> | null {
  const known = Object.entries(r ?? {}).filter(([, v]) => v !== null);
  return known.length ? Object.fromEntries(known) : null;
}

export function registerDeploymentsGet(parent: Command): void {
  withGatewayOptions(
    parent
      .command('get')
      .description('Show one deployment by its id (<backend>:<key>).')
      .argument('<id>', 'e.g. northflank:default-project/deepseek-v3-deployment')
      .option('--json', 'print the deployment as JSON, with the vendor payload under "raw"'),
  ).action(async (id: string, opts: GatewayOptions & { json?: boolean }) => {
    const client = connect(opts);
    const { modelDeployment: d } = await client.data<{ modelDeployment: DeploymentView | null }>(GET, { id });
    if (!d) throw new CliError(`${id} not found`);
    if (opts.json) {
      process.stdout.write(json(stableDeployment(d)));
      return;
    }
    const rows: [string, unknown][] = [
      ['id', d.id],
      ['vendor', `${d.vendor} (backend ${d.backend}, native id ${d.nativeId})`],
      ['name', d.name],
      ['description', d.description],
      ['status', d.vendorStatus ? `${d.status} (${d.vendorStatus})` : d.status],
      ['message', d.statusMessage],
      ['tags', d.tags],
      ['version', d.version],
      ['created', d.createdAt],
      ['updated', d.updatedAt],
      ['model', d.model ? [d.model.name, d.model.revision && `rev ${d.model.revision}`, d.model.engine && `on ${d.model.engine}`].filter(Boolean).join(' ') || null : null],
      ['model path', d.model?.path ?? null],
      ['resources', resourcesOf(d.resources)],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${show(v)}`).join('\n')}\n`);
  });
}

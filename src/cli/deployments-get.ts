import type { Command } from 'commander';
import { connect, CliError, withGatewayOptions, type GatewayOptions } from './client.js';
import { DEPLOYMENT_FIELDS, stableDeployment, type DeploymentView } from './deployment-view.js';
import { emit, outputOf, safe, show, withOutputOptions, type OutputFlags } from './output.js';
import type { CliIo } from './io.js';

const FORMATS = ['text', 'wide', 'name', 'json', 'yaml'] as const;

const GET = `query GetDeployment($id: ID!) { modelDeployment(id: $id) { ${DEPLOYMENT_FIELDS} raw } }`;

function resourcesOf(r: Record<string, unknown> | null): Record<string, unknown> | null {
  const known = Object.entries(r ?? {}).filter(([, v]) => v !== null);
  return known.length ? Object.fromEntries(known) : null;
}

export function registerDeploymentsGet(parent: Command, io: CliIo): void {
  withOutputOptions(
    withGatewayOptions(
      parent
        .command('get')
        .description('Show one deployment by its id (<backend>:<key>); -o json|yaml carry the vendor payload under "raw".')
        .argument('<id>', 'e.g. northflank:default-project/deepseek-v3-deployment'),
    ),
    FORMATS,
  ).action(async (id: string, opts: GatewayOptions & OutputFlags) => {
    const output = outputOf(opts, FORMATS);
    const client = connect(opts, io.env);
    const { modelDeployment: d } = await client.data<{ modelDeployment: DeploymentView | null }>(GET, { id });
    if (!d) throw new CliError(`${id} not found`);
    if (output.machine) return emit(stableDeployment(d), output, io.stdout);
    if (output.format === 'name') {
      io.stdout.write(`${safe(d.id)}\n`);
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
      ...(output.format === 'wide' ? ([['raw', d.raw]] as [string, unknown][]) : []),
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    io.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${show(v)}`).join('\n')}\n`);
  });
}

import type { Command } from 'commander';
import { connect, withGatewayOptions, type GatewayOptions } from './client.js';
import { emit, outputOf, withOutputOptions, type OutputFlags } from './output.js';

const FORMATS = ['text', 'json', 'yaml'] as const;
import { applyPlan, checkApplied, renderApplied } from './plan-view.js';
import type { CliIo } from './io.js';

export function registerDeploymentsApply(parent: Command, io: CliIo): void {
  withOutputOptions(
    withGatewayOptions(
      parent
        .command('apply')
        .description('Apply a plan made by `deployments update --dry-run`, exactly as it was shown.')
        .argument('<planId>', 'the plan id the dry run printed'),
    ),
    FORMATS,
  ).action(async (planId: string, opts: GatewayOptions & OutputFlags) => {
    const output = outputOf(opts, FORMATS);
    const client = connect(opts, io.env);
    const result = await applyPlan(client, planId, { progress: !output.machine, io });
    if (output.machine) await emit(result, output, io.stdout);
    else io.stdout.write(renderApplied(result));
    checkApplied(result);
  });
}

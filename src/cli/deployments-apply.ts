import type { Command } from 'commander';
import { connect, withGatewayOptions, type GatewayOptions } from './client.js';
import { emit, outputOf, withOutputOptions, type OutputFlags } from './output.js';

const FORMATS = ['text', 'json', 'yaml'] as const;
import { applyPlan, checkApplied, renderApplied } from './plan-view.js';

export function registerDeploymentsApply(parent: Command): void {
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
    const client = connect(opts);
    const result = await applyPlan(client, planId, { progress: !output.machine });
    if (output.machine) await emit(result, output);
    else process.stdout.write(renderApplied(result));
    checkApplied(result);
  });
}

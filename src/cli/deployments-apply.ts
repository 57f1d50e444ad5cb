import type { Command } from 'commander';
import { connect, withGatewayOptions, type GatewayOptions } from './client.js';
import { json } from './output.js';
import { applyPlan, checkApplied, renderApplied } from './plan-view.js';

export function registerDeploymentsApply(parent: Command): void {
  withGatewayOptions(
    parent
      .command('apply')
      .description('Apply a plan made by `deployments update --dry-run`, exactly as it was shown.')
      .argument('<planId>', 'the plan id the dry run printed')
      .option('--json', 'print the result as JSON'),
  ).action(async (planId: string, opts: GatewayOptions & { json?: boolean }) => {
    const client = connect(opts);
    const result = await applyPlan(client, planId, { progress: !opts.json });
    process.stdout.write(opts.json ? json(result) : renderApplied(result));
    checkApplied(result);
  });
}

import type { Command } from 'commander';
import { registerDeploymentsList } from './deployments-list.js';
import { registerDeploymentsGet } from './deployments-get.js';
import { registerDeploymentsUpdate } from './deployments-update.js';
import { registerDeploymentsApply } from './deployments-apply.js';
import { registerDeploymentsWatch } from './deployments-watch.js';
import type { CliIo } from './io.js';

export function registerDeployments(program: Command, io: CliIo): void {
  const deployments = program
    .command('deployments')
    .description('List, show, update and watch model deployments through a running gateway (--url, --token).');
  registerDeploymentsList(deployments, io);
  registerDeploymentsGet(deployments, io);
  registerDeploymentsUpdate(deployments, io);
  registerDeploymentsApply(deployments, io);
  registerDeploymentsWatch(deployments, io);
}

import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';

const program = new Command()
  .name('model-gateway')
  .description('One GraphQL API over Northflank, NVIDIA NeMo Platform and ZStack model deployments.')
  .exitOverride()
  .showHelpAfterError(false);

registerServe(program);
registerSimulate(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  const message = err instanceof ConfigError ? err.message : `error: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

import { Command, CommanderError } from 'commander';
import { registerDeployments } from './deployments.js';
import { registerQuery } from './query.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './client.js';
import { packageVersion } from '../version.js';
import { registerAudit } from './audit.js';

const program = new Command()
  .name('model-gateway')
  .description('One GraphQL API over Northflank, NVIDIA NeMo Platform and ZStack model deployments.')
  .version(packageVersion())
  .exitOverride()
  .showHelpAfterError(false)
  .addHelpText(
    'after',
    '\nExit status: 0 success, 1 the operation failed (gateway errors, refused or failed items, unreachable gateway), 2 bad usage.',
  );

// The client commands skip loading the gateway and the vendor adapters: they start in a fraction of the time.
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (command !== 'deployments' && command !== 'query') {
  const [{ registerServe }, { registerSimulate }] = await Promise.all([import('./serve.js'), import('./simulate.js')]);
  registerServe(program);
  registerSimulate(program);
}
registerDeployments(program);
registerQuery(program);
registerAudit(program);

try {
  await program.parseAsync(process.argv);
  // Commands that talk to a gateway end when their work is done, whatever sockets stay pooled;
  // serve and simulate keep running until interrupted.
  if (command === 'deployments' || command === 'query') process.exit(0);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed its one line already (or the help, which is not a failure).
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  // By name: the config module (zod, yaml) is loaded only by the commands that read a config.
  const message = (err as Error)?.name === 'ConfigError' ? (err as Error).message : `error: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(EXIT_FAILURE);
}

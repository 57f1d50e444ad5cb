import { Command, CommanderError } from 'commander';
import { registerDeployments } from './deployments.js';
import { registerQuery } from './query.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './client.js';
import { safe } from './output.js';
import { packageVersion } from '../version.js';
import { registerAudit } from './audit.js';

const program = new Command()
  .name('model-gateway')
  .description('One GraphQL API over Northflank, NVIDIA NeMo Platform and ZStack model deployments.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .exitOverride()
  .showHelpAfterError(false)
  // Commander's "(Did you mean …?)" goes on the reason's line: one line per usage error.
  .configureOutput({ outputError: (text, write) => write(text.replace(/\n\(Did you mean (.+)\?\)\n?$/, '; did you mean $1?\n')) })
  .addHelpText(
    'after',
    '\nExit status: 0 success, 1 the operation failed (gateway errors, refused or failed items, unreachable gateway, invalid config), 2 bad usage.' +
      '\nOutput: results on stdout (-o json|yaml for scripts); progress, warnings and errors on stderr.',
  );

// The client commands skip loading the gateway and the vendor adapters: they start in a fraction of the time.
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
const CLIENT_COMMANDS = ['deployments', 'query'];
if (!CLIENT_COMMANDS.includes(command ?? '')) {
  const [{ registerServe }, { registerSimulate }, { registerConfig }, { registerCompletion }] = await Promise.all([
    import('./serve.js'),
    import('./simulate.js'),
    import('./config-validate.js'),
    import('./completion.js'),
  ]);
  registerServe(program);
  registerSimulate(program);
  registerDeployments(program);
  registerQuery(program);
  registerConfig(program);
  registerCompletion(program, async () => (await import('../../adapters/index.js')).builtInAdapters.map((a) => a.vendor));
} else {
  registerDeployments(program);
  registerQuery(program);
}
registerAudit(program);

try {
  await program.parseAsync(process.argv);
  // Commands end when their work is done, whatever sockets stay pooled; serve and simulate keep
  // running until interrupted.
  if (command !== 'serve' && command !== 'simulate') process.exit(0);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed its one line already (or the help or version, which are not failures).
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  if (err instanceof CliError) {
    process.stderr.write(`error: ${safe(err.message)}\n`);
    process.exit(err.exitCode);
  }
  // By name: the config module (zod, yaml) is loaded only by the commands that read a config.
  const message = (err as Error)?.name === 'ConfigError' ? (err as Error).message : `error: ${(err as Error).message}`;
  process.stderr.write(`${message.split('\n').map(safe).join('\n')}\n`);
  process.exit(EXIT_FAILURE);
}

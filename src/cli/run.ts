import { Command, CommanderError } from 'commander';
import { registerDeployments } from './deployments.js';
import { registerQuery } from './query.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './client.js';
import { safe } from './output.js';
import { packageVersion } from '../version.js';
import { registerAudit } from './audit.js';
import type { CliIo } from './io.js';

/** The commands that talk to a running gateway: they start without loading the gateway or the vendor adapters. */
const CLIENT_COMMANDS = ['deployments', 'query'];

/** The commands that keep running until interrupted. */
export const SERVING_COMMANDS = ['serve', 'simulate'];

/** The command word of an argument vector (`node model-gateway <command> …`). */
export const commandOf = (argv: readonly string[]) => argv.slice(2).find((a) => !a.startsWith('-'));

async function programFor(argv: readonly string[], io: CliIo): Promise<Command> {
  const program = new Command()
    .name('model-gateway')
    .description('One GraphQL API over Northflank, NVIDIA NeMo Platform and ZStack model deployments.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      getOutHelpWidth: () => (io.stdout.isTTY ? (io.stdout as { columns?: number }).columns : undefined) ?? 80,
      getErrHelpWidth: () => (io.stderr.isTTY ? (io.stderr as { columns?: number }).columns : undefined) ?? 80,
      // Commander's "(Did you mean …?)" goes on the reason's line: one line per usage error.
      outputError: (text, write) => write(text.replace(/\n\(Did you mean (.+)\?\)\n?$/, '; did you mean $1?\n')),
    })
    .addHelpText(
      'after',
      '\nExit status: 0 success, 1 the operation failed (gateway errors, refused or failed items, unreachable gateway, invalid config), 2 bad usage.' +
        '\nOutput: results on stdout (-o json|yaml for scripts); progress, warnings and errors on stderr.',
    );

  if (!CLIENT_COMMANDS.includes(commandOf(argv) ?? '')) {
    const [{ registerServe }, { registerSimulate }, { registerConfig }, { registerCompletion }] = await Promise.all([
      import('./serve.js'),
      import('./simulate.js'),
      import('./config-validate.js'),
      import('./completion.js'),
    ]);
    registerServe(program, io);
    registerSimulate(program, io);
    registerDeployments(program, io);
    registerQuery(program, io);
    registerConfig(program, io);
    registerCompletion(program, io, async () => (await import('../../adapters/index.js')).builtInAdapters.map((a) => a.vendor));
  } else {
    registerDeployments(program, io);
    registerQuery(program, io);
  }
  registerAudit(program, io);
  return program;
}

/**
 * Runs one command line (`argv` as in process.argv) on `io` and resolves its exit status: 0
 * success, 1 the operation failed, 2 bad usage. Errors are printed on `io.stderr` as one line.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const program = await programFor(argv, io);
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its one line already (or the help or version, which are not failures).
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof CliError) {
      io.stderr.write(`error: ${safe(err.message)}\n`);
      return err.exitCode;
    }
    // By name: the config module (zod, yaml) is loaded only by the commands that read a config.
    const message = (err as Error)?.name === 'ConfigError' ? (err as Error).message : `error: ${(err as Error).message}`;
    io.stderr.write(`${message.split('\n').map(safe).join('\n')}\n`);
    return EXIT_FAILURE;
  }
}

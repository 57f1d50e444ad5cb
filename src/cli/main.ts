import { processIo } from './io.js';
import { commandOf, runCli, SERVING_COMMANDS } from './run.js';

const code = await runCli(process.argv, processIo());
// Commands end when their work is done, whatever sockets stay pooled; serve and simulate keep
// running until interrupted (they exit from their own signal handlers).
if (code !== 0 || !SERVING_COMMANDS.includes(commandOf(process.argv) ?? '')) process.exit(code);

import { systemClock, type Clock } from '../domain/clock.js';

/** Where a command writes: a terminal, a pipe, or (in tests) a buffer. */
export interface CliOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * Everything a command reads from or writes to its process, passed in: the binary runs commands
 * on the process's own streams, environment, Ctrl-C and clock; tests run the same commands on
 * buffers and a clock of their own.
 */
export interface CliIo {
  stdout: CliOut;
  stderr: CliOut;
  stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  env: Record<string, string | undefined>;
  /** Calls `listener` on Ctrl-C (SIGINT) until the returned function is called. */
  onInterrupt(listener: () => void): () => void;
  clock: Clock;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    onInterrupt(listener) {
      process.on('SIGINT', listener);
      return () => void process.off('SIGINT', listener);
    },
    // The CLI's own process: its timers (progress, --timeout) run on the system clock.
    clock: systemClock,
  };
}

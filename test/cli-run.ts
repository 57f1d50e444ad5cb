/**
 * Runs the model-gateway CLI for the CLI tests: in this process, through `runCli` with the
 * streams, environment, Ctrl-C and clock passed in (as the binary passes its process's own), and
 * as a real process for the commands that serve until interrupted and for the tests of the
 * binary itself. Either way the CLI talks to the gateway over HTTP.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { runCli, SERVING_COMMANDS, commandOf } from '../src/cli/run.js';
import type { CliIo } from '../src/cli/io.js';
import { systemClock, type Clock } from '../src/domain/clock.js';
import type { Stack } from './helpers.js';
import { capture } from './secret-capture.js';

import { bin } from './binary.js';

export { bin };

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What a test can do to a running command: interrupt it (SIGINT is Ctrl-C) and see whether it ended. */
export interface Proc {
  kill(signal?: NodeJS.Signals): boolean;
  readonly exitCode: number | null;
}

export interface Running {
  proc: Proc;
  out: { stdout: string; stderr: string };
  done: Promise<Run>;
  /** Calls `listener` after every write to stdout or stderr; returns the function that stops it. */
  onOutput(listener: () => void): () => void;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  /**
   * Leave stdout out of the secret scan: only for `simulate`, whose output is the simulators' own
   * sample credentials, printed on purpose so that a config can point at them. @default true
   */
  scanStdout?: boolean;
  /** The command's clock (for --timeout and progress). @default the system clock */
  clock?: Clock;
  /** Run the binary as a child process instead of in this process. */
  process?: boolean;
  /** In process: the streams that say they are a terminal (`isTTY`), as a pseudo-terminal would. @default none */
  terminal?: { stdout?: boolean; stderr?: boolean };
}

const envFor = (url: string, options: RunOptions) => ({ ...process.env, MODEL_GATEWAY_URL: url, MODEL_GATEWAY_TOKEN: '', ...options.env });

/** Named by command, never by its arguments; scanned for secrets after the file (test/setup-secret-scan.ts). */
function scanned(args: string[], options: RunOptions, out: { stdout: string; stderr: string }) {
  const command = `model-gateway ${args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}`;
  if (options.scanStdout !== false) capture('CLI output', `${command} (stdout)`)(out.stdout);
  capture('CLI output', `${command} (stderr)`)(out.stderr);
}

/** Runs the binary as a real process (the serving commands, and tests of the binary itself). */
export function spawnCli(url: string, args: string[], options: RunOptions = {}): Running {
  const proc = spawn(process.execPath, [bin, ...args], { env: envFor(url, options), stdio: ['pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  const { onOutput, notify } = outputListeners();
  proc.stdout!.on('data', (b: Buffer) => {
    out.stdout += b.toString();
    notify();
  });
  proc.stderr!.on('data', (b: Buffer) => {
    out.stderr += b.toString();
    notify();
  });
  proc.stdin!.end(options.input ?? '');
  const done = new Promise<Run>((resolve) =>
    proc.on('close', (code) => {
      scanned(args, options, out);
      resolve({ code, ...out });
    }),
  );
  return { proc, out, done, onOutput };
}

function outputListeners() {
  const listeners = new Set<() => void>();
  return {
    onOutput(listener: () => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    notify() {
      for (const l of [...listeners]) l();
    },
  };
}

/** Runs one command line in this process, on buffers, as `model-gateway ...args`. */
export function start(url: string, args: string[], options: RunOptions = {}): Running {
  const argv = [process.execPath, bin, ...args];
  if (options.process || SERVING_COMMANDS.includes(commandOf(argv) ?? '')) return spawnCli(url, args, options);
  const out = { stdout: '', stderr: '' };
  const { onOutput, notify } = outputListeners();
  const interrupts = new Set<() => void>();
  let exitCode: number | null = null;
  const writer = (stream: 'stdout' | 'stderr') => ({
    isTTY: options.terminal?.[stream] ?? false,
    write(text: string) {
      out[stream] += text;
      notify();
      return true;
    },
  });
  const io: CliIo = {
    stdout: writer('stdout'),
    stderr: writer('stderr'),
    stdin: Readable.from([Buffer.from(options.input ?? '')]),
    env: envFor(url, options),
    onInterrupt(listener) {
      interrupts.add(listener);
      return () => void interrupts.delete(listener);
    },
    clock: options.clock ?? systemClock,
  };
  const proc: Proc = {
    kill(signal = 'SIGTERM') {
      if (exitCode !== null) return false;
      if (signal !== 'SIGINT') throw new Error(`an in-process command takes only SIGINT (Ctrl-C), not ${signal}`);
      for (const l of [...interrupts]) l();
      return true;
    },
    get exitCode() {
      return exitCode;
    },
  };
  const done = runCli(argv, io).then((code) => {
    exitCode = code;
    scanned(args, options, out);
    return { code, ...out };
  });
  return { proc, out, done, onOutput };
}

export const run = (url: string, args: string[], options?: RunOptions) => start(url, args, options).done;

/**
 * Resolves once `pred` holds of what the command has printed: checked on each write (an event),
 * never on a timer. Rejects when the command ends first (unless `orEnd`: then it resolves, and the
 * test looks at how it ended), and after `timeoutMs`, a guard against a hang only.
 */
export function printed(r: Running, pred: (out: { stdout: string; stderr: string }) => boolean, what: string, options: { orEnd?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      off();
      clearTimeout(guard);
      if (err) reject(err);
      else resolve();
    };
    const check = () => {
      if (pred(r.out)) settle();
    };
    const off = r.onOutput(check);
    const guard = setTimeout(() => settle(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; stdout:\n${r.out.stdout}\nstderr:\n${r.out.stderr}`)), timeoutMs);
    void r.done.then((end) => {
      if (pred(end) || options.orEnd) settle();
      else settle(new Error(`the command ended (exit ${end.code}) before ${what}; stdout:\n${end.stdout}\nstderr:\n${end.stderr}`));
    });
    check();
  });
}


/** Calls that would change something upstream, on every simulator. */
export const writes = (stack: Stack) => Object.values(stack.sims).flatMap((s) => s.server.calls.filter((c) => c.method !== 'GET'));

/** Exactly one line on stderr, starting with `error:`. */
export function expectOneLine(r: Run, words: string | RegExp) {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(words);
}

export const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

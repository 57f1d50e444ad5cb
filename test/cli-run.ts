/** Runs the model-gateway CLI as a real process, for the CLI tests. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Stack } from './helpers.js';
import { capture } from './secret-capture.js';

export const bin = fileURLToPath(new URL('../bin/model-gateway.js', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  proc: ReturnType<typeof spawn>;
  out: { stdout: string; stderr: string };
  done: Promise<Run>;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  /**
   * Leave stdout out of the secret scan: only for `simulate`, whose output is the simulators' own
   * sample credentials, printed on purpose so that a config can point at them. @default true
   */
  scanStdout?: boolean;
}

export function start(url: string, args: string[], options: RunOptions = {}): Running {
  const proc = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, MODEL_GATEWAY_URL: url, MODEL_GATEWAY_TOKEN: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  proc.stdout!.on('data', (b: Buffer) => (out.stdout += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out.stderr += b.toString()));
  proc.stdin!.end(options.input ?? '');
  // Scanned for secrets after the file (test/setup-secret-scan.ts); named by command, never by its arguments.
  const command = `model-gateway ${args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}`;
  const done = new Promise<Run>((resolve) =>
    proc.on('close', (code) => {
      if (options.scanStdout !== false) capture('CLI output', `${command} (stdout)`)(out.stdout);
      capture('CLI output', `${command} (stderr)`)(out.stderr);
      resolve({ code, ...out });
    }),
  );
  return { proc, out, done };
}

export const run = (url: string, args: string[], options?: RunOptions) => start(url, args, options).done;

/** Polls a condition a real process or socket brings about; generous, as the machine may be busy. */
export async function until(pred: () => boolean, what: string, timeoutMs = 20_000) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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

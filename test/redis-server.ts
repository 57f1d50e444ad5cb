/** Helpers of the multi-process tests: a free port, a redis-server, a gateway process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A port nothing listens on now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server on `port` (no persistence), resolved once it logs that it accepts connections:
 * an event, not a poll. The bound only ends a stuck start.
 */
export function startRedisServer(port: number, timeoutMs = 30_000): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} ${why}:\n${out}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (!out.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      proc.stdout!.resume();
      proc.removeListener('exit', onExit);
      resolve(proc);
    };
    const onExit = (code: number | null) => fail(`exited with ${code}`);
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    proc.on('exit', onExit);
  });
}

export interface GatewayProcess {
  proc: ChildProcess;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
}

import { bin } from './binary.js';

/**
 * `model-gateway serve --config FILE` on a free port (`nodeArgs` before the script, e.g. a
 * TypeScript loader for a config that names a .ts adapter): resolves with the URL it prints.
 */
export function startGateway(config: string, nodeArgs: readonly string[] = []): Promise<GatewayProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...nodeArgs, bin, 'serve', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    // Generous: a busy machine starts several gateways at once.
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`gateway did not start: ${out}`));
    }, 120_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]!, output: () => out });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`gateway exited with ${code}: ${out}`)));
  });
}

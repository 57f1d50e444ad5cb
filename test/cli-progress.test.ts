/** Bulk runs show `done/total` on stderr when it is a terminal, and stay silent with -o json. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataOf, startStack, until, type Stack } from './helpers.js';
import { bin, printed, start } from './cli-run.js';
import { createManualClock } from '../src/domain/clock.js';
import { capture } from './secret-capture.js';

const ID = 'northflank:default-project/deepseek-v3-deployment';

/**
 * Runs `model-gateway deployments apply` with stderr on a pseudo-terminal (util-linux `script`)
 * and stdout in a file: what the terminal showed, and what stdout got.
 */
async function applyOnTerminal(url: string, planId: string, extra: string[], dir: string, seen?: (terminal: string) => void): Promise<{ code: number | null; terminal: string; stdout: string }> {
  const out = join(dir, `${planId}.stdout`);
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, bin, 'deployments', 'apply', planId, ...extra].map(quote).join(' ');
  const proc = spawn('script', ['-qefc', `${command} > ${quote(out)}`, '/dev/null'], { env: { ...process.env, MODEL_GATEWAY_URL: url, MODEL_GATEWAY_TOKEN: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let terminal = '';
  const add = (b: Buffer) => {
    terminal += b.toString();
    seen?.(terminal);
  };
  proc.stdout.on('data', add);
  proc.stderr.on('data', add);
  proc.stdin.end();
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  const stdout = readFileSync(out, 'utf8');
  capture('CLI output', 'model-gateway deployments apply (terminal)')(terminal);
  capture('CLI output', 'model-gateway deployments apply (stdout)')(stdout);
  return { code, terminal, stdout };
}

describe('bulk progress', { timeout: 120_000 }, () => {
  let stack: Stack;
  let dir: string;
  beforeAll(async () => {
    stack = await startStack({ vendors: ['northflank'] });
    dir = mkdtempSync(join(tmpdir(), 'mg-progress-'));
  });
  afterAll(() => stack?.close());

  const plan = async (tag: string) =>
    dataOf(await stack.gql(`mutation($t: [String!]) { updateModelDeployments(ids: ["${ID}"], patch: { addTags: $t }, dryRun: true) { ... on UpdateModelDeploymentsPayload { planId } } }`, { t: [tag] }))
      .updateModelDeployments.planId as string;

  it('text output: a live done/total line on the terminal (stderr), nothing of it on stdout', async () => {
    const planId = await plan('progress-true');
    // The backend answers the write with 429 Retry-After: 5 once: the apply waits it out, so it
    // lasts well past the moment (under a second) the progress line appears.
    stack.sims.northflank!.server.inject({ fault: { kind: 'rate-limit', retryAfterSeconds: 5 }, method: 'POST', times: 1 });
    // The gateway waits on the stack's manual clock. Once the 429 has been answered, its wait is
    // set on that clock, and the terminal shows the wait, move the clock past the Retry-After.
    const sim = stack.sims.northflank!.server;
    let applying = true;
    let waitShown = false;
    const retryAt = stack.clock.now() + 5_000;
    const mover = (async () => {
      await until('the write to be answered 429', () => !applying || sim.calls.some((c) => c.method === 'POST' && c.status === 429));
      await until("the Retry-After's wait on the gateway's clock", () => !applying || stack.clock.nextTimerAt() === retryAt);
      await until('the terminal to show the wait', () => !applying || waitShown);
      if (applying) stack.clock.advance(5_000);
    })();
    const r = await applyOnTerminal(stack.url, planId, [], dir, (terminal) => (waitShown ||= terminal.includes('rate-limited, waiting')));
    applying = false;
    await mover;
    expect(r.code, r.terminal).toBe(0);
    expect(r.terminal).toContain(`\r\u001b[2Kapplying ${planId} 0/1`);
    // While the backend's Retry-After runs, the line says which backend waits, and for how long.
    expect(r.terminal).toMatch(new RegExp(`applying ${planId} 0/1 \\(northflank rate-limited, waiting [1-5]s\\)`));
    expect(r.stdout).toMatch(/^✓ northflank:default-project\/deepseek-v3-deployment {2}changed/);
    expect(r.stdout).not.toContain('\r');
    expect(r.stdout).not.toContain('applying');
  });

  // In this process, on buffers (stderr says it is a terminal) and on the CLI's own manual clock:
  // the line is drawn by a timer on the command's clock (the binary's is the system clock; the
  // case above shows the line there, on a real terminal). Text output is the control: the same
  // run that shows the line once its clock moves, and with -o json no timer is set at all.
  it.each([
    ['text output, in process: the line appears once the CLI\u2019s clock moves', [] as string[], true],
    ['-o json: no progress at all, though stderr is a terminal', ['-o', 'json'], false],
  ])('%s', async (_name, extra, shown) => {
    const planId = await plan(`progress-in-process-${shown}`);
    stack.sims.northflank!.server.inject({ fault: { kind: 'rate-limit', retryAfterSeconds: 5 }, method: 'POST', times: 1 });
    const sim = stack.sims.northflank!.server;
    const retryAt = stack.clock.now() + 5_000;
    const cliClock = createManualClock(stack.clock.now());
    const w = start(stack.url, ['deployments', 'apply', planId, ...extra], { clock: cliClock, terminal: { stderr: true } });
    let applying = true;
    void w.done.then(() => (applying = false));
    // The apply is under way, and waits out the Retry-After on the gateway's clock.
    await until('the write to be answered 429', () => !applying || sim.calls.some((c) => c.method === 'POST' && c.status === 429));
    await until("the Retry-After's wait on the gateway's clock", () => !applying || stack.clock.nextTimerAt() === retryAt);
    expect(applying, w.out.stderr).toBe(true);
    expect(w.out.stderr).toBe('');
    if (shown) {
      // The line is due 0.8 s into the run on the CLI's clock, not before.
      expect(cliClock.pendingTimers()).toBe(1);
      cliClock.advance(799);
      expect(w.out.stderr).toBe('');
      cliClock.advance(1);
      await printed(w, (out) => out.stderr.includes('rate-limited, waiting'), 'the progress line');
    } else {
      // However long the apply lasts, nothing draws a line.
      expect(cliClock.pendingTimers()).toBe(0);
    }
    stack.clock.advance(5_000);
    const r = await w.done;
    expect(r.code, r.stderr).toBe(0);
    if (shown) {
      expect(r.stderr).toBe(`\r\u001b[2Kapplying ${planId} 0/1 (northflank rate-limited, waiting 5s)\r\u001b[2K`);
      expect(r.stdout).toMatch(/^✓ northflank:default-project\/deepseek-v3-deployment {2}changed/);
    } else {
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({ planId, summary: { changed: 1 } });
    }
    expect(r.stdout).not.toContain('\r');
    expect(r.stdout).not.toContain('applying');
  });
});

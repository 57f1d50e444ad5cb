/** Bulk runs show `done/total` on stderr when it is a terminal, and stay silent with -o json. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataOf, startStack, type Stack } from './helpers.js';
import { bin, until } from './cli-run.js';
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

  it.each([
    ['text output: a live done/total line on the terminal (stderr), nothing of it on stdout', [] as string[], true],
    ['-o json: no progress at all', ['-o', 'json'], false],
  ])('%s', async (_name, extra, shown) => {
    const planId = await plan(`progress-${shown}`);
    // The backend answers the write with 429 Retry-After: 5 once: the apply waits it out, so it
    // lasts well past the moment (under a second) the progress line appears.
    stack.sims.northflank!.server.inject({ fault: { kind: 'rate-limit', retryAfterSeconds: 5 }, method: 'POST', times: 1 });
    // The gateway waits on the stack's manual clock. Once the 429 has been answered, its wait is
    // set on that clock, and the terminal shows the wait (with -o json: once the CLI has had time
    // to show it, and did not), move the clock past the Retry-After.
    const sim = stack.sims.northflank!.server;
    let applying = true;
    let waitShown = false;
    const retryAt = stack.clock.now() + 5_000;
    const mover = (async () => {
      await until(() => !applying || sim.calls.some((c) => c.method === 'POST' && c.status === 429), 'the write to be answered 429');
      await until(() => !applying || stack.clock.nextTimerAt() === retryAt, "the Retry-After's wait on the gateway's clock");
      if (shown) await until(() => !applying || waitShown, 'the terminal to show the wait');
      // With -o json nothing is to appear, so no event says it did not: the CLI would show its
      // progress 0.8 s into the run on its own (real) clock, in its own process; 3 s is well past that.
      else await new Promise((r) => setTimeout(r, 3_000));
      if (applying) stack.clock.advance(5_000);
    })();
    const r = await applyOnTerminal(stack.url, planId, extra, dir, (terminal) => (waitShown ||= terminal.includes('rate-limited, waiting')));
    applying = false;
    await mover;
    expect(r.code, r.terminal).toBe(0);
    if (shown) {
      expect(r.terminal).toContain(`\r\u001b[2Kapplying ${planId} 0/1`);
      // While the backend's Retry-After runs, the line says which backend waits, and for how long.
      expect(r.terminal).toMatch(new RegExp(`applying ${planId} 0/1 \\(northflank rate-limited, waiting [1-5]s\\)`));
      expect(r.stdout).toMatch(/^✓ northflank:default-project\/deepseek-v3-deployment {2}changed/);
    } else {
      expect(r.terminal).not.toContain('applying');
      expect(JSON.parse(r.stdout)).toMatchObject({ planId, summary: { changed: 1 } });
    }
    expect(r.stdout).not.toContain('\r');
    expect(r.stdout).not.toContain('applying');
  });
});

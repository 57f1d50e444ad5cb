/** `deployments watch`: every state of every id, in order, driven by the simulators' clock. */
import { describe, expect, it } from 'vitest';
import { dataOf, startStack, type Stack } from './helpers.js';
import { escapeRegExp, expectOneLine, printed, run, start, type Running } from './cli-run.js';
import { createManualClock } from '../src/domain/clock.js';

const PHASE_MS = 1000;
// One deployment per vendor: Northflank's goes through three states to READY, NeMo's through one,
// ZStack's is READY already (a ZStack model present is READY).
const TARGETS = ['northflank:default-project/qwen2-5-7b-instruct', 'nemo:research-team-alpha/nemotron-mini-4b', 'zstack:c0ffee1234564b7d9a8e7f6d5c4b3a29'];
const EXPECTED: Record<string, string[]> = {
  [TARGETS[0]!]: ['PENDING', 'PROVISIONING', 'STARTING', 'READY'],
  [TARGETS[1]!]: ['PENDING', 'READY'],
  [TARGETS[2]!]: ['READY'],
};

async function statuses(stack: Stack): Promise<Record<string, string>> {
  const vars = TARGETS.map((_, i) => `$id${i}: ID!`).join(', ');
  const fields = TARGETS.map((_, i) => `d${i}: modelDeployment(id: $id${i}) { id status }`).join(' ');
  const d = dataOf(await stack.gql(`query(${vars}) { ${fields} }`, Object.fromEntries(TARGETS.map((t, i) => [`id${i}`, t]))));
  return Object.fromEntries(Object.values(d).map((x: any) => [x.id, x.status]));
}

/** The states printed for each id, in order: the present one, then each transition's target. */
function statesOf(stdout: string, json: boolean): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(TARGETS.map((t) => [t, []]));
  for (const line of stdout.split('\n').filter(Boolean)) {
    if (json) {
      const ev = JSON.parse(line);
      out[ev.id]!.push(ev.current);
      continue;
    }
    const m = /^\S+ {2}(\S+) {2}(?:is (\S+)|\S+ → (\S+))/.exec(line);
    if (m) out[m[1]!]!.push(m[2] ?? m[3]!);
  }
  return out;
}

/**
 * Moves the simulators' clock one phase at a time, each time waiting until the watcher has printed
 * the state the gateway now reports for every id, until every one is READY.
 */
async function drive(stack: Stack, w: Running, json: boolean): Promise<Record<string, string[]>> {
  const seen: Record<string, string[]> = Object.fromEntries(TARGETS.map((t) => [t, []]));
  for (let phase = 0; phase < 10; phase++) {
    const now = await statuses(stack);
    for (const t of TARGETS) if (seen[t]!.at(-1) !== now[t]) seen[t]!.push(now[t]!);
    await printed(w, (out) => TARGETS.every((t) => statesOf(out.stdout, json)[t]!.at(-1) === now[t]), `the watcher to show ${JSON.stringify(now)}`);
    if (TARGETS.every((t) => now[t] === 'READY')) return seen;
    stack.clock.advance(PHASE_MS);
  }
  throw new Error('the deployments never all became READY');
}

// Each test has a gateway and simulators of its own: they run at once.
describe('model-gateway deployments watch', { timeout: 180_000, concurrent: true }, () => {
  it.for<[string, boolean]>([
    ['text', false],
    ['--json', true],
  ])('three ids across three vendors (%s): every transition of every id in order, then exit 0', async ([_name, json], { expect }) => {
    const stack = await startStack({ phaseMs: PHASE_MS, config: { status: { pollIntervalMs: 50 } } });
    try {
      const w = start(stack.url, ['deployments', 'watch', ...TARGETS, '--until', 'READY', '--timeout', '120s', ...(json ? ['--json'] : [])]);
      const seen = await drive(stack, w, json);
      const r = await w.done;
      expect(r.code, r.stderr).toBe(0);
      expect(seen).toEqual(EXPECTED);
      expect(statesOf(r.stdout, json)).toEqual(EXPECTED);
      if (json) {
        const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
        // One event per id per transition, plus the present state of each; each continues the last.
        expect(events).toHaveLength(Object.values(EXPECTED).flat().length);
        for (const t of TARGETS) {
          const mine = events.filter((e) => e.id === t);
          expect(mine[0]).toMatchObject({ event: 'status', initial: true, current: EXPECTED[t]![0] });
          mine.slice(1).forEach((e, i) => expect(e).toMatchObject({ initial: false, previous: mine[i].current }));
        }
      } else {
        for (const t of TARGETS) expect(r.stdout).toMatch(new RegExp(`^\\S+  ${escapeRegExp(t)}  is ${EXPECTED[t]![0]}`, 'm'));
        expect(r.stdout).toMatch(new RegExp(`^\\S+  ${escapeRegExp(TARGETS[0]!)}  PROVISIONING → STARTING \\(starting\\)$`, 'm'));
        expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('All 3 deployments are READY.');
      }
    } finally {
      await stack.close();
    }
  });

  it('exits 1 when one deployment is FAILED, and when the timeout passes first; ids READY already each get their event', async ({ expect }) => {
    const stack = await startStack({ phaseMs: PHASE_MS, config: { status: { pollIntervalMs: 50 } } });
    try {
      const ready = ['northflank:default-project/deepseek-v3-deployment', 'zstack:c0ffee1234564b7d9a8e7f6d5c4b3a29'];
      const both = await run(stack.url, ['deployments', 'watch', ...ready, '--until', 'READY', '--json']);
      expect(both.code, both.stderr).toBe(0);
      const events = both.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(events.map((e) => [e.id, e.current, e.initial]).sort()).toEqual(ready.map((id) => [id, 'READY', true]).sort());

      const failed = await run(stack.url, ['deployments', 'watch', 'northflank:default-project/deepseek-v3-deployment', 'northflank:default-project/mistral-7b-instruct', '--until', 'READY']);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/ {2}northflank:default-project\/mistral-7b-instruct {2}is FAILED \(crashed\)/);
      expectOneLine(failed, /^error: northflank:default-project\/mistral-7b-instruct is FAILED \(crashed\); it will not become READY by itself$/);

      // --timeout runs on the command's clock: here a manual one, moved once the watch has begun.
      const cliClock = createManualClock();
      const w = start(stack.url, ['deployments', 'watch', 'northflank:default-project/gemma-2-9b-it', '--until', 'READY', '--timeout', '2s', '-o', 'json'], { clock: cliClock });
      await printed(w, (out) => out.stdout.includes('\n'), 'the present state');
      expect(cliClock.nextTimerAt()).toBe(cliClock.now() + 2_000);
      cliClock.advance(2_000);
      const paused = await w.done;
      expect(paused.code).toBe(1);
      expect(JSON.parse(paused.stdout.trim())).toMatchObject({ id: 'northflank:default-project/gemma-2-9b-it', current: 'PAUSED', initial: true });
      expectOneLine(paused, /^error: timed out after 2s: northflank:default-project\/gemma-2-9b-it is PAUSED$/);
    } finally {
      await stack.close();
    }
  });
});

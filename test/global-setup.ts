import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleCli } from '../scripts/bundle.mjs';
import { binRoot } from './binary.js';

/**
 * Bundles the CLI for the tests' child processes (test/binary.ts), from the sources as they are,
 * into a folder of this run's own (the test workers, started after this, inherit its name): a
 * second `npm test` in the same checkout meanwhile does not take it away. Removed at the end.
 */
export default async function setup(): Promise<() => void> {
  mkdirSync(binRoot, { recursive: true });
  // What a run that was killed left behind, and the flat layout of before.
  for (const entry of readdirSync(binRoot)) {
    const pid = /^run-(\d+)$/.exec(entry)?.[1];
    if (!pid || !alive(Number(pid))) rmSync(join(binRoot, entry), { recursive: true, force: true });
  }
  const outdir = join(binRoot, `run-${process.pid}`);
  process.env.MODEL_GATEWAY_TEST_BIN_DIR = outdir;
  await bundleCli({ outdir, moduleUrls: 'source' });
  return () => rmSync(outdir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

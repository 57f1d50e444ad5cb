import { dirname } from 'node:path';
// @ts-expect-error: a JavaScript build script without declarations
import { bundleCli } from '../scripts/bundle.mjs';
import { bin } from './binary.js';

/** Bundles the CLI for the tests' child processes (test/binary.ts), from the sources as they are. */
export default async function setup(): Promise<void> {
  await bundleCli({ outdir: dirname(bin), moduleUrls: 'source' });
}

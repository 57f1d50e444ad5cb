/**
 * A tree's gateway as `npm start` runs it: bundled by esbuild (scripts/bundle.mjs), without tsx's
 * keepNames (which names every closure made per request at run time, a cost the package does not
 * have). The bundle exports what a bench server needs to start that tree's gateway; packages stay
 * in node_modules, and each module's import.meta.url is its source file's (the package bundle's
 * own plugin), so that the files it reads beside itself are found.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ownModuleUrlPlugin } from '../../scripts/bundle.mjs';

/** Bundles the gateway of the tree at `root` into `outfile` (inside that tree, so that its packages resolve). */
export async function bundleGateway(root: string, outfile: string): Promise<string> {
  // Where the tree keeps its server: src/server/index.ts, or src/server.ts in earlier trees.
  const server = existsSync(join(root, 'src/server/index.ts')) ? './src/server/index.ts' : './src/server.ts';
  mkdirSync(join(outfile, '..'), { recursive: true });
  await build({
    stdin: {
      contents: `export { createGateway } from './src/gateway.ts'; export { parseConfig } from './src/config.ts'; export { createLogger } from './src/logger.ts'; export { startServer } from '${server}';`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    packages: 'external',
    plugins: [ownModuleUrlPlugin({ tree: root, moduleUrls: 'source' })],
    logLevel: 'error',
  });
  return outfile;
}

// Bundles the CLI (the package's binary) into dist/bundle/: one module with its dependencies
// instead of some 1,500 files that Node would resolve, read and link one by one at start-up
// (about a third of the time to the first answer in demo mode; `npm run bench -- --only ops`).
// What is loaded only on demand (GraphiQL's page, Redis, jq, the simulators' seed validators)
// stays a separate chunk, loaded when it is first used.
//
// Some packages stay out of the bundle and load from node_modules at run time (EXTERNAL below).
//
// A module's `import.meta.url` is rewritten to the URL of its compiled twin under dist/ (from
// `tsc -p tsconfig.build.json`, with data files copied beside it): files it finds relative to
// itself (seeds, fixtures, the board, package.json) are where they were.
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Loaded from node_modules at run time. graphql: graphql-scalars' files are required from
 * node_modules and must share its instance. pino, undici, jq-web, ioredis: read files or start
 * workers from their own folders. yaml and @opentelemetry/resources: CommonJS modules imported
 * dynamically, whose named exports a split chunk would lose (esbuild gives such a chunk only a
 * default export); Node's own loader gives them.
 */
const EXTERNAL = ['graphql', 'graphql/*', 'graphql-scalars', 'graphql-scalars/*', 'pino', 'pino/*', 'undici', 'undici/*', 'jq-web', 'ioredis', 'yaml', '@opentelemetry/resources'];

/**
 * The esbuild plugin that gives each module of the tree at `tree` (src/ and adapters/) its own
 * import.meta.url: `moduleUrls` 'dist' points it at its compiled twin under dist/ (the package);
 * 'source' at its TypeScript source, for a bundle that runs from the tree as it is.
 */
export function ownModuleUrlPlugin({ tree = root, moduleUrls = 'dist' } = {}) {
  return {
    name: 'own-module-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const rel = relative(tree, args.path);
        if (rel.startsWith('..') || !/^(src|adapters)\//.test(rel)) return undefined;
        let contents = await readFile(args.path, 'utf8');
        if (contents.includes('import.meta.url')) {
          const url =
            moduleUrls === 'source'
              ? JSON.stringify(pathToFileURL(args.path).href)
              : // dist/bundle/ → dist/<rel>.js
                `new URL(${JSON.stringify(`../${rel.replace(/\.ts$/, '.js')}`)}, import.meta.url).href`;
          contents = contents.replaceAll('import.meta.url', url);
        }
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * Bundles src/bin.ts into `outdir`. `moduleUrls`: 'dist' points each module's import.meta.url at
 * its compiled twin under dist/ (the package); 'source' at its TypeScript source, for a bundle
 * that runs from the repository as it is (the tests' child processes, test/binary.ts).
 */
export async function bundleCli({ outdir = `${root}dist/bundle`, moduleUrls = 'dist' } = {}) {
  const ownModuleUrl = ownModuleUrlPlugin({ moduleUrls });
  // No chunk of an earlier build stays beside this one's.
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { bin: `${root}src/bin.ts` },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir,
    chunkNames: 'chunk-[hash]',
    external: EXTERNAL,
    // CommonJS code inside the bundle still calls require().
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    plugins: [ownModuleUrl],
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  const entry = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('/bin.js'));
  return { bin: join(outdir, 'bin.js'), bytes: entry[1].bytes, files: Object.keys(result.metafile.outputs).length };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { bytes, files } = await bundleCli();
  // On stderr: `npm pack --json` prints its JSON on stdout after the build.
  console.error(`CLI bundled into dist/bundle: bin.js (${Math.round(bytes / 1024)} KB) and ${files - 1} chunks`);
}

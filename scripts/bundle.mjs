// Bundles the CLI (the package's binary) into dist/bundle/: one module with its dependencies
// instead of some 1,500 files that Node would resolve, read and link one by one at start-up
// (about a third of the time to the first answer in demo mode; `npm run bench -- --only ops`).
// What is loaded only on demand (GraphiQL's page, Redis, jq, the simulators' seed validators)
// stays a separate chunk, loaded when it is first used.
//
// Kept out of the bundle and loaded from node_modules at run time:
// - graphql: graphql-scalars' files are required from node_modules and must share its instance;
// - packages read as files or spawning workers from their own folders (pino, undici, jq-web's
//   WebAssembly, ioredis).
//
// A module's `import.meta.url` is rewritten to the URL of its compiled twin under dist/ (from
// `tsc -p tsconfig.build.json`, with data files copied beside it): files it finds relative to
// itself (seeds, fixtures, the board, package.json) are where they were.
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;

const ownModuleUrl = {
  name: 'own-module-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const rel = relative(root, args.path);
      if (rel.startsWith('..') || !/^(src|adapters)\//.test(rel)) return undefined;
      let contents = await readFile(args.path, 'utf8');
      if (contents.includes('import.meta.url')) {
        // dist/bundle/ → dist/<rel>.js
        const twin = `../${rel.replace(/\.ts$/, '.js')}`;
        contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(twin)}, import.meta.url).href`);
      }
      return { contents, loader: 'ts' };
    });
  },
};

const result = await build({
  entryPoints: { bin: `${root}src/bin.ts` },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir,
  chunkNames: 'chunk-[hash]',
  external: ['graphql', 'graphql/*', 'graphql-scalars', 'graphql-scalars/*', 'pino', 'pino/*', 'undici', 'undici/*', 'jq-web', 'ioredis'],
  // CommonJS code inside the bundle still calls require().
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  plugins: [ownModuleUrl],
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
const entry = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('bundle/bin.js'));
// On stderr: `npm pack --json` prints its JSON on stdout after the build.
const files = Object.keys(result.metafile.outputs).length;
console.error(`CLI bundled into dist/bundle: bin.js (${Math.round(entry[1].bytes / 1024)} KB) and ${files - 1} chunks`);

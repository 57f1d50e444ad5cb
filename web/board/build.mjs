// Builds the status board into web/board/dist: one hashed script, one hashed stylesheet and the
// page that loads them, each with its brotli (.br) and gzip (.gz) form. The gateway serves these
// files from memory (src/board/assets.ts).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
export const defaultOutDir = path.join(here, 'dist');

const hash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);

export async function buildBoard(outDir = defaultOutDir) {
  const result = await esbuild.build({
    entryPoints: [path.join(here, 'src/main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const js = result.outputFiles[0].contents;
  const css = await readFile(path.join(here, 'src/board.css'));
  const cssMin = (await esbuild.transform(css.toString('utf8'), { loader: 'css', minify: true })).code;
  const jsName = `app-${hash(js)}.js`;
  const cssName = `app-${hash(cssMin)}.css`;
  const template = await readFile(path.join(here, 'index.html'), 'utf8');
  const html = template.replace('%SCRIPT%', `/board/assets/${jsName}`).replace('%STYLE%', `/board/assets/${cssName}`);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(path.join(outDir, 'assets'), { recursive: true });
  const files = { 'index.html': html, [`assets/${jsName}`]: js, [`assets/${cssName}`]: cssMin };
  for (const [name, content] of Object.entries(files)) {
    const bytes = Buffer.from(content);
    await writeFile(path.join(outDir, name), bytes);
    // The gateway serves brotli and gzip (src/board/assets.ts): made here once, with the same
    // settings, so that the first request for the board does not compress on the event loop.
    await writeFile(path.join(outDir, `${name}.br`), brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
    await writeFile(path.join(outDir, `${name}.gz`), gzipSync(bytes, { level: 9 }));
  }
  return { outDir, files: Object.keys(files) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outDir, files } = await buildBoard(process.argv[2] ? path.resolve(process.argv[2]) : defaultOutDir);
  process.stderr.write(`board built into ${path.relative(process.cwd(), outDir) || '.'}: ${files.join(', ')}\n`);
}

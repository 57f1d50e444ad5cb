// Builds the status board into web/board/dist: one hashed script, one hashed stylesheet and the
// page that loads them, each with its brotli (.br) and gzip (.gz) form. The gateway serves these
// files from memory (src/board/assets.ts).
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
  // The folder may be served while it is rebuilt (a gateway running from this tree, or `npm pack`
  // building beside the tests): each file is replaced whole (written aside, then renamed over the
  // old one), and what the new build does not have is removed only after it is all in place.
  await mkdir(path.join(outDir, 'assets'), { recursive: true });
  const files = { 'index.html': html, [`assets/${jsName}`]: js, [`assets/${cssName}`]: cssMin };
  const put = async (name, bytes) => {
    const aside = path.join(outDir, `${name}.${process.pid}.tmp`);
    await writeFile(aside, bytes);
    await rename(aside, path.join(outDir, name));
  };
  const written = new Set();
  for (const [name, content] of Object.entries(files)) {
    const bytes = Buffer.from(content);
    await put(name, bytes);
    // The gateway serves brotli and gzip (src/board/assets.ts): made here once, with the same
    // settings, so that the first request for the board does not compress on the event loop.
    await put(`${name}.br`, brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
    await put(`${name}.gz`, gzipSync(bytes, { level: 9 }));
    for (const n of [name, `${name}.br`, `${name}.gz`]) written.add(n);
  }
  for (const dir of ['', 'assets']) {
    for (const entry of await readdir(path.join(outDir, dir), { withFileTypes: true })) {
      const name = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isFile() && !written.has(name) && !name.endsWith('.tmp')) await rm(path.join(outDir, name), { force: true });
    }
  }
  return { outDir, files: Object.keys(files) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outDir, files } = await buildBoard(process.argv[2] ? path.resolve(process.argv[2]) : defaultOutDir);
  process.stderr.write(`board built into ${path.relative(process.cwd(), outDir) || '.'}: ${files.join(', ')}\n`);
}

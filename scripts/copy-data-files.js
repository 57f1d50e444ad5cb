// Copies the data files the compiled code reads at run time (JSON beside the sources, e.g. a
// simulator's fixtures) into dist/, at the same relative paths.
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function copy(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copy(path);
    else if (entry.name.endsWith('.json')) cpSync(path, join('dist', path));
  }
}
for (const root of ['src', 'adapters']) copy(root);

// The status board's built page (web/board/dist, from `npm run build:board`), where the compiled
// src/board/assets.js looks for it.
const board = join('web', 'board', 'dist');
if (existsSync(board)) cpSync(board, join('dist', board), { recursive: true });

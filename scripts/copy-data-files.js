// Copies the data files the compiled code reads at run time (JSON beside the sources, e.g. a
// simulator's fixtures) into dist/, at the same relative paths.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function copy(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) copy(path);
    else if (entry.name.endsWith('.json')) cpSync(path, join('dist', path));
  }
}
for (const root of ['src', 'adapters']) copy(root);

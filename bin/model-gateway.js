#!/usr/bin/env node
// Development launcher: runs the TypeScript sources through tsx (a development dependency), so
// tests and `npm run dev` always run the code as it is now, without a build. The package's own
// binary is the bundled dist/bundle/bin.js (package.json "bin").
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

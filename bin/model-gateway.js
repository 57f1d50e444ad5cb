#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx's loader); no build step is needed.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');

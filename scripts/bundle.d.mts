// The types of scripts/bundle.mjs, for the TypeScript that imports it (the tests' global setup, the bench).
import type { Plugin } from 'esbuild';

export function ownModuleUrlPlugin(options?: { tree?: string; moduleUrls?: 'dist' | 'source' }): Plugin;

export function bundleCli(options?: { outdir?: string; moduleUrls?: 'dist' | 'source' }): Promise<{ bin: string; bytes: number; files: number }>;

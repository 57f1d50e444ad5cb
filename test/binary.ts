/**
 * The CLI as the tests' child processes run it: src/bin.ts bundled from the sources as they are
 * now (scripts/bundle.mjs, built once per `npm test` by test/global-setup.ts), its modules finding
 * their files beside their sources. The package's binary is the same bundle, made from dist/; a
 * child started this way needs no TypeScript loader (tsx compiles every module of a process it
 * starts, some two seconds of CPU for each `serve`).
 */
import { fileURLToPath } from 'node:url';

export const bin = fileURLToPath(new URL('../node_modules/.cache/model-gateway-test/bin.js', import.meta.url));

/** Node flags for a child that loads a TypeScript adapter module (a config's `adapters:` entry). */
export const typescriptModules = ['--import', 'tsx'];

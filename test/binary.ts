/**
 * The CLI as the tests' child processes run it: src/bin.ts bundled from the sources as they are
 * now (scripts/bundle.mjs, built once per `npm test` by test/global-setup.ts), its modules finding
 * their files beside their sources. The package's binary is the same bundle, made from dist/; a
 * child started this way needs no TypeScript loader (tsx compiles every module of a process it
 * starts, some two seconds of CPU for each `serve`).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where each run's bundle goes: a folder of its own, so that two runs at once never share one. */
export const binRoot = fileURLToPath(new URL('../node_modules/.cache/model-gateway-test/', import.meta.url));

/** The bundle of this run (test/global-setup.ts names its folder before the test workers start). */
export const bin = join(process.env.MODEL_GATEWAY_TEST_BIN_DIR ?? join(binRoot, 'current'), 'bin.js');

/** Node flags for a child that loads a TypeScript adapter module (a config's `adapters:` entry). */
export const typescriptModules = ['--import', 'tsx'];

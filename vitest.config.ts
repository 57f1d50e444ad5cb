import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS entry for every importer; make Vite do the same, so that one
    // graphql instance is shared with Pothos and Yoga.
    alias: { graphql: fileURLToPath(new URL('./node_modules/graphql/index.js', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts', 'adapters/**/*.test.ts', 'src/**/*.test.ts'],
    exclude: ['node_modules/**', 'test/bench/**'],
    // Scans what each test file logged, answered and printed for every configured secret.
    setupFiles: ['test/setup-secret-scan.ts'],
    // The CLI bundled from the sources for the tests' child processes (test/binary.ts).
    globalSetup: ['test/global-setup.ts'],
    // Guards against a hang, not limits on speed: a busy machine may take several times as long.
    testTimeout: 60_000,
    // expect.poll waits for what a browser page or a socket brings about: its bound is a hang guard
    // too (vitest's own default, 1 s, is a pace a busy machine can miss).
    expect: { poll: { timeout: 30_000 } },
    hookTimeout: 120_000,
    pool: 'forks',
    // One worker more than this 2-core machine has cores: much of a test's time is spent waiting
    // on sockets, child processes and a browser, and a third worker fills it (the suite took 164 s
    // instead of 184 s with two).
    maxWorkers: 3,
    // A worker runs its files one after another in one module graph: the gateway's modules load
    // once per worker rather than once per file. Nothing a test relies on is process-wide: each
    // test makes its own gateway, clock and simulators, and the secret scan empties what it has
    // scanned after each file.
    isolate: false,
  },
});

import { defineConfig } from 'vitest/config';

// Two projects: `unit` (plain Node: shared, main services, client, sandbox,
// store, keychain, the Electron layer with `electron` mocked, CLI) and `e2e`
// (Playwright driving Debian's Chromium on the built renderer). Both meet real
// parts: loopback HTTP, SQLite files, the OS keychain, a real browser.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // expect.poll waits for real servers, processes and the keychain: on a
          // loaded 2-core CI machine the 1 s default gives up on correct code.
          expect: { poll: { timeout: 10_000 } },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Builds out/ once per run (skipped when scripts/test.mjs already built it).
          globalSetup: ['test/e2e/build.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One browser at a time on a 2-core machine.
          fileParallelism: false,
          // A real browser on a loaded 2-core machine: see the unit project.
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});

/**
 * Seven tiers, each a jest project (run one with `--selectProjects <name>`):
 *  unit     — pure code and the PSA adapters against their simulators over loopback HTTP
 *  db       — real PostgreSQL, a fresh database per run (created in globalSetup)
 *  workflow — real Temporal dev server (pinned CLI binary, one per run) + PostgreSQL + simulators
 *  replay   — committed workflow histories replayed against today's workflow code
 *  cluster  — the production topology (Temporal Server on a private PostgreSQL, worker processes, API) under chaos
 *  ui       — the dev server's Web UI in headless Chromium, as ops use it
 *  badinput — hostile input against the real API process (generated from the OpenAPI document,
 *             plus a named regression test per class), and the `npm start` launcher's supervision
 */
const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/.tools', '<rootDir>/.data'],
};

module.exports = {
  testTimeout: 120_000,
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...base, displayName: 'db', testMatch: ['<rootDir>/test/db/**/*.test.ts'] },
    { ...base, displayName: 'workflow', testMatch: ['<rootDir>/test/workflow/**/*.test.ts'], setupFiles: ['<rootDir>/test/setup/quiet-runtime.ts'] },
    { ...base, displayName: 'replay', testMatch: ['<rootDir>/test/replay/**/*.test.ts'] },
    { ...base, displayName: 'cluster', testMatch: ['<rootDir>/test/cluster/**/*.test.ts'], setupFiles: ['<rootDir>/test/setup/quiet-runtime.ts'] },
    { ...base, displayName: 'ui', testMatch: ['<rootDir>/test/ui/**/*.test.ts'], setupFiles: ['<rootDir>/test/setup/quiet-runtime.ts'] },
    { ...base, displayName: 'badinput', testMatch: ['<rootDir>/test/badinput/**/*.test.ts'], setupFiles: ['<rootDir>/test/setup/quiet-runtime.ts'] },
  ],
};

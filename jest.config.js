// SPDX-License-Identifier: Apache-2.0
// One jest configuration for every package. Tests run as native ES modules
// (node --experimental-vm-modules, see the "test" script): @kubernetes/client-node 1.x
// is ESM only, and jest on Node 20 cannot require() it. @swc/jest strips the types;
// `npm run typecheck` is the type check.

/** @type {import('jest').Config} */
const config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript' },
          target: 'es2022',
        },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  // Workspace packages resolve to their sources, so tests never need a prior build.
  moduleNameMapper: {
    '^@chaosplane/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@chaosplane/([a-z-]+)/([a-z-]+)$': '<rootDir>/packages/$1/src/$2/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: [
    '<rootDir>/packages/*/test/**/*.test.ts',
    '<rootDir>/examples/*/test/**/*.test.ts',
    '<rootDir>/test/**/*.test.ts',
  ],
  // TypeScript under node_modules only exists in test fixtures that stand for plugin packages.
  transformIgnorePatterns: ['^(?!.*\\.ts$).*/node_modules/'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/packages/[^/]+/dist/', '<rootDir>/examples/[^/]+/dist/'],
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  // The machines have 2 cores; suites that start servers and containers share them.
  maxWorkers: 2,
};

export default config;

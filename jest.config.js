// SPDX-License-Identifier: Apache-2.0
// One jest configuration for every package, in two tiers (docs/architecture.md, Development
// conventions):
// - `fast`: `*.test.ts`, in-process only (kube-emulator in process, gRPC servers on port 0):
//   no containerd, no root, no child processes but the openssl that mints kube-emulator's
//   certificates, no SIGKILL. `npm test` runs it.
// - `system`: `*.system.test.ts`, real parts outside the process: containerd and runc, dockerd,
//   the CLIs and kubectl as child processes, SIGKILLs, mounts. `npm run test:system` runs it.
// CHAOSPLANE_TEST_TIER (`fast` by default, `system` or `all`) picks the tiers; `npm run
// test:all` (CI) runs both, then (`alone`) the suites that need prompt scheduling (CPU shares, a
// kill racing a shell's reaping), one at a time: beside another suite on a 2-core machine a
// stressor at 50% of a core got 40%. An environment variable rather than --selectProjects, whose variadic
// value would swallow the test paths in `npm test -- packages/daemon`.
// scripts/jest-environment.js is jest's node environment, with jest-circus's per-file
// AsyncLocalStorage disabled at each file's end (the file says why).
// Tests run as native ES modules (node --experimental-vm-modules, see the "test" script):
// @kubernetes/client-node 1.x is ESM only, and jest on Node 20 cannot require() it. @swc/jest
// strips the types; `npm run typecheck` is the type check.

const roots = ['<rootDir>/packages/*/test/**/', '<rootDir>/examples/*/test/**/', '<rootDir>/test/**/'];

/** What both tiers share. */
const shared = {
  testEnvironment: '<rootDir>/scripts/jest-environment.js',
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
  // TypeScript under node_modules only exists in test fixtures that stand for plugin packages.
  transformIgnorePatterns: ['^(?!.*\\.ts$).*/node_modules/'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/packages/[^/]+/dist/', '<rootDir>/examples/[^/]+/dist/'],
};

/** System suites that need the machine to themselves: `all` leaves them to `alone`. */
const ALONE = [
  'packages/experiment-stresschaos/test/stressChaos.system.test.ts',
  // Whether a shell reaps its child before the next signal is a race the kill wins by being
  // scheduled promptly: beside other suites a CI run saw one zombie.
  'packages/daemon/test/killProcessTree.system.test.ts',
];

const tier = process.env.CHAOSPLANE_TEST_TIER ?? 'fast';
if (!['fast', 'system', 'all', 'alone'].includes(tier))
  throw new Error(`CHAOSPLANE_TEST_TIER must be fast, system, all or alone, not ${JSON.stringify(tier)}`);

/** @type {import('jest').Config} */
const config = {
  projects: [
    {
      ...shared,
      displayName: 'fast',
      testMatch: roots.map(root => `${root}*.test.ts`),
      testPathIgnorePatterns: [...shared.testPathIgnorePatterns, '\\.system\\.test\\.ts$'],
    },
    {
      ...shared,
      displayName: 'system',
      testMatch: roots.map(root => `${root}*.system.test.ts`),
      testPathIgnorePatterns: [
        ...shared.testPathIgnorePatterns,
        ...(tier === 'all' ? ALONE.map(file => `/${file.replaceAll('.', '\\.')}$`) : []),
      ],
    },
    { ...shared, displayName: 'alone', testMatch: ALONE.map(file => `<rootDir>/${file}`) },
  ].filter(
    project =>
      project.displayName === tier ||
      (tier === 'all' && project.displayName !== 'alone') ||
      (tier === 'system' && project.displayName === 'system'),
  ),
  // A global option: jest ignores it inside projects.
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  // The machines have 2 cores. Fast suites wait more than they compute (timers, loopback sockets),
  // so 4 workers keep both cores busy: the fast tier took 60 s with 4, 81 s with 2 (62 s with 6).
  // System suites start servers and containers that share the cores: 2.
  maxWorkers: tier === 'fast' ? 4 : 2,
};

export default config;

// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/testing/helpers: the test helpers that start nothing (`eventually`, `describeIf`,
 * a capturing logger, a fake ImplContext, kubectl's availability), without the test kit's module
 * graph (the dev control plane, the containerd harness, the daemon). A unit test that imports only
 * these loads a fraction of what `@chaosplane/testing` loads: jest loads every module again for
 * each test file, so this is most of what such a file costs. `@chaosplane/testing` re-exports
 * them all.
 * @packageDocumentation
 */
export { eventually, type EventuallyOptions } from '@chaosplane/dev/eventually';
export { describeIf } from './describeIf.js';
export { kubectlUnavailableReason } from './kubectlReason.js';
export { fakeImplContext, type FakeImplContextOptions } from './fakeImplContext.js';
export { captureLogger, type CapturedLine, type CapturedLogger } from './captureLogger.js';

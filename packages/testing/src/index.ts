// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/testing: the plugin test kit. `startTestKit({ plugins })` runs a whole Chaosplane
 * (kube-emulator, containerd, the daemon over mTLS, the operator, busybox pods) with the plugin
 * under test, plus `eventually`, `describeIf` and a capturing logger.
 * @packageDocumentation
 */
export {
  startTestKit,
  testKitUnavailableReason,
  type TestKit,
  type TestKitOptions,
  type TestPod,
  type ChaosRef,
} from './startTestKit.js';
export { eventually, type EventuallyOptions } from '@chaosplane/dev';
export { describeIf } from './describeIf.js';
export { kubectlUnavailableReason } from './kubectlReason.js';
export { fakeImplContext, type FakeImplContextOptions } from './fakeImplContext.js';
export { captureLogger, type CapturedLine, type CapturedLogger } from './captureLogger.js';

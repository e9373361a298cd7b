// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/testing: the plugin test kit. `startTestKit({ plugins })` runs a whole Chaosplane
 * (kube-emulator, containerd, the daemon over mTLS, the operator, busybox pods) with the plugin
 * under test, plus `eventually`, `describeIf` and a capturing logger (also, without the kit,
 * from `@chaosplane/testing/helpers`).
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
export {
  eventually,
  describeIf,
  kubectlUnavailableReason,
  fakeImplContext,
  captureLogger,
  type EventuallyOptions,
  type FakeImplContextOptions,
  type CapturedLine,
  type CapturedLogger,
} from './helpers/index.js';

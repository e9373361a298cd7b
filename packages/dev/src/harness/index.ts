// SPDX-License-Identifier: Apache-2.0
/**
 * Test support for code that drives the chaos daemon for real: a private containerd with
 * busybox containers, and per-run mTLS certificates. Import from `@chaosplane/dev/harness`.
 * @packageDocumentation
 */
export {
  startContainerd,
  containerdUnavailableReason,
  type ContainerdEnvironment,
  type StartContainerdOptions,
  type TestContainer,
} from './startContainerd.js';
export {
  mintCertificates,
  type MintCertificatesOptions,
  type MintedCertificates,
} from './mintCertificates.js';
export {
  startDocker,
  dockerUnavailableReason,
  type DockerEnvironment,
  type DockerTestContainer,
} from './startDocker.js';
export { createBusyboxRootfs, busyboxPath } from './busyboxRootfs.js';

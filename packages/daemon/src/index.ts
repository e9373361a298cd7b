// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/daemon: the per-node chaos daemon. A nice-grpc server (mTLS) with plugin handlers,
 * container runtime clients, a namespace-entering process manager and an on-node journal.
 * Plugins write their handlers with `@chaosplane/daemon/plugin`; the operator calls daemons
 * through `@chaosplane/daemon/client`.
 * @packageDocumentation
 */
export {
  startDaemon,
  type DaemonOptions,
  type DaemonRuntimeOptions,
  type RunningDaemon,
} from './server/startDaemon.js';
export { daemonHandlersOf } from './plugin/daemonHandlersOf.js';
export { LINUX_CAPABILITIES, type LinuxCapability } from './process/capabilities.js';
export { DAEMON_VERSION } from './server/createCoreService.js';
export type { DaemonTlsPems } from './server/tlsCredentials.js';
export type { JournalRecoveryReport, TrackedInfo } from './process/createProcessManager.js';

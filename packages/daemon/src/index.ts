// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/daemon: the per-node chaos daemon. A nice-grpc server (mTLS) with plugin handlers,
 * container runtime clients, a namespace-entering process manager and an on-node journal.
 * @packageDocumentation
 */
export {
  parseContainerId,
  signalNumber,
  RUNTIME_PREFIXES,
  type ContainerRuntimeClient,
  type ParsedContainerId,
  type RuntimeContainer,
  type RuntimeName,
} from './runtime/ContainerRuntime.js';
export { createContainerdClient, type ContainerdClientOptions } from './runtime/createContainerdClient.js';
export { createDockerClient, type DockerClientOptions } from './runtime/createDockerClient.js';
export { createCrioClient, type CrioClientOptions } from './runtime/createCrioClient.js';
export { createRuntimeResolver, type RuntimeResolver } from './runtime/createRuntimeResolver.js';
export {
  createJournal,
  type Journal,
  type JournalChaosRef,
  type JournalEntry,
  type JournalRecord,
  type JournalUndo,
} from './journal/createJournal.js';
export {
  NAMESPACE_NAMES,
  nsenterArgv,
  requirePidWithMount,
  validateArgv,
  validateNamespaces,
  validateRunAs,
  type NamespaceName,
  type RunAs,
} from './process/namespaces.js';
export {
  findNamespaceHolder,
  isInNamespaces,
  readNamespaceIds,
  type NamespaceIds,
} from './process/namespaceIdentity.js';
export { processStartTime, isSameProcess, findProcessesByEnv } from './process/procStat.js';
export { runCommand, type RunResult, type RunCommandOptions } from './process/runCommand.js';
export {
  createProcessManager,
  PROCESS_UID_ENV,
  RUN_OWNER_ENV,
  type CommandTarget,
  type InjectChangeOptions,
  type JournalRecoveryReport,
  type ManagedProcess,
  type ProcessManager,
  type ProcessManagerOptions,
  type RunOptions,
  type StartManagedOptions,
  type TrackedInfo,
} from './process/createProcessManager.js';
export {
  defineDaemonHandler,
  type CallChaosRef,
  type DaemonHandlerDeps,
  type DaemonHandlerRegistration,
  type DaemonPlugin,
} from './plugins/DaemonPlugin.js';
export { loadDaemonPlugins, type LoadedDaemonPlugin } from './plugins/loadDaemonPlugins.js';
export {
  CHAOS_NAME_METADATA,
  CHAOS_NAMESPACE_METADATA,
  PEER_IDENTITY_METADATA,
  callerIdentity,
  chaosOf,
  peerIdentityInterceptor,
} from './server/callMetadata.js';
export { createMtlsServerCredentials, type DaemonTlsPems } from './server/tlsCredentials.js';
export { toServerError, createDaemonMiddleware } from './server/daemonMiddleware.js';
export { createDaemonMetrics, type DaemonMetrics } from './server/daemonMetrics.js';
export { createCoreService, DAEMON_VERSION } from './server/createCoreService.js';
export {
  startDaemon,
  type DaemonOptions,
  type DaemonRuntimeOptions,
  type RunningDaemon,
} from './server/startDaemon.js';

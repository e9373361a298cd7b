// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/daemon/plugin: what a plugin's daemon handler is written with. One call's scope
 * (the chaos object and record it acts for), the target container, and what a handler can do
 * there: run a command, make a lasting journaled change, start a tracked process; each as the
 * container's own user, as nobody, or as host root in chosen namespaces.
 * @packageDocumentation
 */
export { defineDaemonHandler, type DaemonHandlerRegistration } from './defineDaemonHandler.js';
export { LINUX_CAPABILITIES, type LinuxCapability } from '../process/capabilities.js';
export type {
  DaemonToolkit,
  DaemonCall,
  TargetContainer,
  RunIdentity,
  RunCommandOptions,
  ChangeOptions,
  StartProcessOptions,
  StartedProcess,
  CommandSpec,
  SharedStateDefinition,
  SharedState,
} from './types.js';
export type { Contribution, ScopeRun } from '../process/sharedState.js';
export type { JournalChaosRef } from '../journal/createJournal.js';
export type { RunResult } from '../process/runCommand.js';
export type { NamespaceName } from '../process/namespaces.js';
export type { ProcessEnd } from '../process/createTrackedEntries.js';
export type { CgroupStats } from '../cgroup/readCgroupStats.js';

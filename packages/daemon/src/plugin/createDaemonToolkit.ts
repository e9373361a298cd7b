// SPDX-License-Identifier: Apache-2.0
// The daemon's side of the handler API: a call's scope over the process manager and the runtime
// clients. Changes and processes are keyed by (chaos object, record, name), so a plugin never
// builds identifier strings, a repeated apply finds its change in place, and recover finds it.
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import { chaosLogger } from '@chaosplane/service';
import type { CallContext } from 'nice-grpc-common';
import { readCgroupStats } from '../cgroup/readCgroupStats.js';
import type { CgroupView } from '../cgroup/cgroupView.js';
import { commandFailed } from '../process/commandTarget.js';
import type { ProcessManager } from '../process/createProcessManager.js';
import type { NamespaceName, RunAs } from '../process/namespaces.js';
import type { RunResult } from '../process/runCommand.js';
import type { RuntimeResolver } from '../runtime/createRuntimeResolver.js';
import { callerIdentity, chaosOf, deadlineOf, recordOf } from '../server/callMetadata.js';
import type { Contribution } from '../process/sharedState.js';
import type {
  ChangeOptions,
  SharedState,
  SharedStateDefinition,
  DaemonCall,
  DaemonToolkit,
  RunCommandOptions,
  RunIdentity,
  StartedProcess,
  StartProcessOptions,
  TargetContainer,
} from './types.js';

/** The overflow uid/gid: owns nothing, holds no capabilities. */
const NOBODY: RunAs = { uid: 65534, gid: 65534 };
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Where a command runs under an identity: nsenter's target, or the container's exec. */
type Placement = { execIn: string } | { pid: number; namespaces: NamespaceName[]; runAs?: RunAs };

function placementOf(identity: RunIdentity, containerId: string, pid: number): Placement {
  switch (identity.as) {
    case 'container':
      if ((identity as { namespaces?: unknown }).namespaces !== undefined) {
        throw new ChaosplaneError(
          'invalid',
          "as: 'container' runs in all of the container's namespaces: leave namespaces out",
          {
            field: 'namespaces',
          },
        );
      }
      return { execIn: containerId };
    case 'nobody':
      return { pid, namespaces: identity.namespaces, runAs: NOBODY };
    case 'root':
      if (identity.namespaces.includes('mnt')) {
        throw new ChaosplaneError(
          'invalid',
          "as: 'root' refuses the mnt namespace: the container's binaries would run as root with the daemon's " +
            "capabilities; use as: 'container' for the container's files, or a host binary without mnt",
          { field: 'namespaces' },
        );
      }
      return { pid, namespaces: identity.namespaces };
    default:
      throw new ChaosplaneError('invalid', `as must be 'container', 'nobody' or 'root'`, { field: 'as' });
  }
}

/** What the toolkit is built on. */
export interface DaemonToolkitDeps {
  processManager: ProcessManager;
  runtimes: RuntimeResolver;
  /** Named after the plugin's service. */
  log: Logger;
  /** Where containers' cgroups are read and joined from. */
  cgroups: CgroupView;
}

/** Creates the toolkit one plugin's handler factory receives; `service` names its shared states. */
export function createDaemonToolkit(deps: DaemonToolkitDeps & { service: string }): DaemonToolkit {
  return {
    log: deps.log,
    call: context => createCall(deps, context),
    async run(argv, options = {}) {
      const result = await deps.processManager.run({
        argv,
        ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
      if (result.exitCode !== 0 && options.allowFailure !== true)
        throw commandFailed('command', argv, result);
      return result;
    },
    sharedState<Value>(definition: SharedStateDefinition<Value>): SharedState<Value> {
      if (definition.namespaces.includes('mnt')) {
        throw new ChaosplaneError('invalid', "a shared state refuses the mnt namespace, as as: 'root' does", {
          field: 'namespaces',
        });
      }
      const name = `${deps.service}/${definition.name}`;
      deps.processManager.registerState({
        name,
        namespaces: definition.namespaces,
        render: (contributions, run) =>
          definition.render(contributions as readonly Contribution<Value>[], run),
      });
      return { name };
    },
  };
}

/** What one call's container operations share: the toolkit's deps and the call's scope. */
interface CallScope {
  deps: DaemonToolkitDeps;
  context: CallContext;
  log: Logger;
  chaos: DaemonCall['chaos'];
  record: string | undefined;
  deadlineMs: number | undefined;
}

/** The identifier of the change or process `name` of the call's chaos object and record. */
function keyOf(scope: CallScope, name: string): string {
  const { chaos, record } = scope;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ChaosplaneError('invalid', `name ${JSON.stringify(name)} must be a lower-case DNS label`, {
      field: 'name',
    });
  }
  if (chaos === undefined || record === undefined) {
    throw new ChaosplaneError(
      'invalid',
      'a lasting change needs the chaos object and record the call acts for: the operator sends them (chaos-namespace, chaos-name, chaos-record metadata)',
      { field: 'metadata' },
    );
  }
  return `${chaos.namespace}/${chaos.name}:${chaos.uid ?? '-'}:${record}:${name}`;
}

/** How long a change or process lasts: the duration given, else until the call's deadline. */
function lifetimeOf(scope: CallScope, durationMs: number | undefined) {
  const { deadlineMs } = scope;
  return durationMs !== undefined ? { durationMs } : deadlineMs !== undefined ? { deadlineMs } : {};
}

/** The chaos object a journaled change or process is recorded under, when the call has one. */
function journalChaosOf(scope: CallScope) {
  const { chaos } = scope;
  return chaos ? { chaos: { namespace: chaos.namespace, name: chaos.name } } : {};
}

/** {@link TargetContainer.run}: through the runtime's exec, or nsenter'd by the process manager. */
async function runIn(
  scope: CallScope,
  containerId: string,
  pid: number,
  argv: string[],
  options: RunCommandOptions,
): Promise<RunResult> {
  const { deps, context } = scope;
  const placement = placementOf(options, containerId, pid);
  const stdin = options.stdin !== undefined ? { stdin: options.stdin } : {};
  const timeout = options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {};
  const result =
    'execIn' in placement
      ? await deps.runtimes.exec(containerId, { argv, signal: context.signal, ...stdin, ...timeout })
      : await deps.processManager.run({
          ...placement,
          argv,
          signal: context.signal,
          ...stdin,
          ...timeout,
        });
  if (result.exitCode !== 0 && options.allowFailure !== true) throw commandFailed('command', argv, result);
  return result;
}

/** {@link TargetContainer.change}: injects the change unless one of that name is in place. */
async function changeIn(
  scope: CallScope,
  containerId: string,
  pid: number,
  name: string,
  options: ChangeOptions,
): Promise<{ applied: boolean }> {
  const { deps } = scope;
  const identifier = keyOf(scope, name);
  const existing = deps.processManager.find(identifier);
  if (existing?.applied === false) {
    // An earlier apply failed and so did its undo: the change is half made until the daemon's
    // retries undo it. Reporting it in place would mark a fault injected that is not.
    throw new ChaosplaneError(
      'conflict',
      `an earlier apply of ${JSON.stringify(name)} failed and is still being undone (retried every 5 s); the record is retried`,
    );
  }
  if (existing) return { applied: false };
  await deps.processManager.injectChange({
    identifier,
    ...placementOf(options, containerId, pid),
    apply: options.apply,
    undo: options.undo,
    signal: scope.context.signal,
    ...lifetimeOf(scope, options.durationMs),
    ...journalChaosOf(scope),
  });
  scope.log.info('change applied', { change: name, containerId });
  return { applied: true };
}

/** The end of an entry that ended between its lookup and now. */
const NOT_TRACKED = { exitCode: null, signal: null, output: '' } as const;

/** The cgroups and oom_score_adj a started process takes, from {@link StartProcessOptions}. */
async function accountingOf(cgroups: CgroupView, options: StartProcessOptions, pid: number) {
  const { cgroup, oomScoreAdj } = options;
  if (cgroup !== undefined && cgroup !== 'container')
    throw new ChaosplaneError('invalid', `cgroup must be 'container' or left out`, { field: 'cgroup' });
  if (cgroup === undefined && oomScoreAdj === undefined) return {};
  const cgroupDirs = cgroup === 'container' ? (await cgroups.of(pid)).dirs : [];
  const namespace = cgroup === 'container' ? cgroups.namespace : undefined;
  return {
    placement: {
      cgroupDirs,
      ...(oomScoreAdj !== undefined ? { oomScoreAdj } : {}),
      ...(namespace !== undefined ? { cgroupNamespace: namespace } : {}),
    },
  };
}

/** {@link TargetContainer.start}: starts the managed process unless one of that name runs. */
async function startIn(
  scope: CallScope,
  containerId: string,
  pid: number,
  name: string,
  options: StartProcessOptions,
): Promise<StartedProcess> {
  const { deps } = scope;
  const identifier = keyOf(scope, name);
  const placement = placementOf(options, containerId, pid);
  if ('execIn' in placement)
    throw new ChaosplaneError('invalid', "start runs as 'root' or 'nobody'", { field: 'as' });
  // Resolved before the lookup: between the lookup and startManaged's reservation nothing awaits,
  // so a repeated call sees the first one's process rather than a conflict.
  const accounting = await accountingOf(deps.cgroups, options, pid);
  const running = deps.processManager.find(identifier);
  if (running) {
    const ended = deps.processManager.ended(running.uid) ?? Promise.resolve(NOT_TRACKED);
    return { started: false, pid: running.pid, ended };
  }
  const started = await deps.processManager.startManaged({
    identifier,
    ...placement,
    ...accounting,
    argv: options.argv,
    ...(options.onRestart ? { onRestart: options.onRestart } : {}),
    ...lifetimeOf(scope, options.durationMs),
    ...journalChaosOf(scope),
  });
  return { started: true, pid: started.pid, ended: started.exited };
}

/** The running container `containerId`, as the call's handler acts on it. */
async function containerOf(scope: CallScope, containerId: string): Promise<TargetContainer> {
  const { deps, context } = scope;
  const { pid } = await deps.runtimes.pidOf(containerId, context.signal);
  return {
    containerId,
    pid,
    signal: signalName => deps.runtimes.kill(containerId, signalName, context.signal),
    run: (argv, options) => runIn(scope, containerId, pid, argv, options),
    change: (name, options) => changeIn(scope, containerId, pid, name, options),
    start: (name, options) => startIn(scope, containerId, pid, name, options),
    // A promise, though read at once: a gone container rejects like every other operation.
    cgroup: async () => readCgroupStats(await deps.cgroups.of(pid)),
    contribute: (state, name, value, options = {}) =>
      deps.processManager.contribute({
        identifier: keyOf(scope, name),
        resource: state.name,
        pid,
        value,
        signal: context.signal,
        ...lifetimeOf(scope, options.durationMs),
        ...journalChaosOf(scope),
      }),
  };
}

/** The scope of one call: its chaos object, record and deadline from the call's metadata. */
function createCall(deps: DaemonToolkitDeps, context: CallContext): DaemonCall {
  const chaos = chaosOf(context);
  const record = recordOf(context);
  const deadlineMs = deadlineOf(context);
  const log = chaosLogger(deps.log, { ...(chaos ?? {}), ...(record ? { record } : {}) });
  const scope: CallScope = { deps, context, log, chaos, record, deadlineMs };
  return {
    chaos,
    record,
    deadlineMs,
    caller: callerIdentity(context),
    log,
    signal: context.signal,
    container: containerId => containerOf(scope, containerId),
    async revert(name) {
      const entry = deps.processManager.find(keyOf(scope, name));
      if (entry === undefined) return false;
      return deps.processManager.cancel(entry.uid);
    },
  };
}

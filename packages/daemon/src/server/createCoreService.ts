// SPDX-License-Identifier: Apache-2.0
import { readFileSync } from 'node:fs';

import { ChaosplaneError } from '@chaosplane/sdk';
import {
  type ChaosDaemonServiceImplementation,
  type TrackedEntry,
} from '../gen/chaosplane/daemon/v1/daemon.js';

import type { Journal } from '../journal/createJournal.js';
import type { ProcessManager, TrackedInfo } from '../process/createProcessManager.js';
import { signalNumber } from '../runtime/ContainerRuntime.js';
import type { RuntimeResolver } from '../runtime/createRuntimeResolver.js';
import { callerIdentity } from './callMetadata.js';

/** The package version, read once (same relative path from src/ and dist/). */
export const DAEMON_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

function toTrackedEntry(info: TrackedInfo): TrackedEntry {
  return {
    uid: info.uid,
    type: info.type,
    identifier: info.identifier,
    pid: info.pid ?? 0,
    argv: info.argv,
    targetPid: info.targetPid ?? 0,
    namespaces: info.namespaces,
    startedAtMs: info.startedAtMs,
    deadlineMs: info.deadlineMs ?? 0,
    chaosNamespace: info.chaos?.namespace ?? '',
    chaosName: info.chaos?.name ?? '',
    state: info.state,
  };
}

/** The ChaosDaemon core service (proto/chaosplane/daemon/v1/daemon.proto). */
export function createCoreService(deps: {
  runtimes: RuntimeResolver;
  processManager: ProcessManager;
  journal: Journal;
  services: () => string[];
}): ChaosDaemonServiceImplementation {
  const { runtimes, processManager, journal } = deps;
  return {
    version(_request, context) {
      return Promise.resolve({
        version: DAEMON_VERSION,
        services: deps.services(),
        callerIdentity: callerIdentity(context),
      });
    },
    async health(_request, context) {
      return {
        status: 'SERVING',
        runtimes: runtimes.runtimes,
        activeEntries: journal.active().length,
        runtimeHealth: await runtimes.health(context.signal),
      };
    },
    async containerPid(request, context) {
      const { pid, runtime } = await runtimes.pidOf(request.containerId, context.signal);
      return { pid, runtime };
    },
    async killContainer(request, context) {
      const signalName = (request.signal || 'SIGKILL') as NodeJS.Signals;
      signalNumber(signalName);
      await runtimes.kill(request.containerId, signalName, context.signal);
      return {};
    },
    listProcesses(request) {
      return Promise.resolve({
        entries: processManager.list(request.identifierPrefix || undefined).map(toTrackedEntry),
      });
    },
    async cancelProcess(request) {
      if (!request.uid) throw new ChaosplaneError('invalid', 'uid must not be empty', { field: 'uid' });
      return { found: await processManager.cancel(request.uid) };
    },
    async recoverAll(request) {
      const recoveredUids = await processManager.recoverAll({
        ...(request.chaosNamespace ? { namespace: request.chaosNamespace } : {}),
        ...(request.chaosName ? { name: request.chaosName } : {}),
      });
      return { recoveredUids };
    },
  };
}

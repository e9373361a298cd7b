// SPDX-License-Identifier: Apache-2.0
// Runs the journaled undo of a change: through the target's namespaces (or, when the target is
// gone, through any process that still holds them), or exec'd in the container for a change
// made as the container's own user.
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import type { JournalEntry, JournalUndo } from '../journal/createJournal.js';
import type { ExecOptions } from '../runtime/ContainerRuntime.js';
import { commandFailed } from './commandTarget.js';
import { findNamespaceHolder, isInNamespaces } from './namespaceIdentity.js';
import { nsenterArgv } from './namespaces.js';
import { isSameProcess } from './procStat.js';
import { runCommand, type RunResult } from './runCommand.js';

/** Runs a command in a container through its runtime (see `ContainerRuntimeClient.exec`). */
export type ExecInContainer = (containerId: string, options: ExecOptions) => Promise<RunResult>;

/** What the undo runner needs. */
export interface UndoDeps {
  nsenter: string;
  /** The environment of short commands (PATH and the run-owner marker). */
  env: Record<string, string>;
  logger: Logger;
  /** Exec through the container runtime; changes made as the container's user need it. */
  exec?: ExecInContainer;
}

/** Runs a journaled undo; `gone` when its container or namespaces (and so the change) no longer exist. */
export type UndoChange = (entry: JournalEntry) => Promise<'undone' | 'gone'>;

/**
 * The process to run an undo through: the target itself while it is the same process in the
 * same namespaces, else any live process that holds every namespace the change entered (the
 * pod's sandbox holds net, ipc and uts after an app container restarts; a shared pid namespace
 * or another process in the mount namespace outlives the target too). Undefined when nothing
 * holds them any more: the namespaces, and the change made in them, are gone.
 */
function undoTarget(
  undo: JournalUndo,
  logger: Logger,
  uid: string,
): { pid: number; startTime: string } | undefined {
  const { targetPid, targetStartTime, namespaceIds } = undo;
  if (targetPid === undefined || targetStartTime === undefined) return undefined;
  const targetAlive = isSameProcess(targetPid, targetStartTime);
  if (namespaceIds === undefined) {
    // Written before namespace identities were journaled: only the target itself is known.
    return targetAlive ? { pid: targetPid, startTime: targetStartTime } : undefined;
  }
  if (targetAlive && isInNamespaces(targetPid, namespaceIds))
    return { pid: targetPid, startTime: targetStartTime };
  const holder = findNamespaceHolder(namespaceIds);
  if (holder) {
    logger.info('target of a change is gone; undoing it through another process in its namespaces', {
      uid,
      targetPid,
      throughPid: holder.pid,
      namespaces: namespaceIds,
    });
  }
  return holder;
}

async function undoByExec(deps: UndoDeps, entry: JournalEntry, undo: JournalUndo, containerId: string) {
  if (!deps.exec) {
    throw new ChaosplaneError(
      'runtime',
      `change ${entry.uid} was made in ${containerId}, but no runtime can exec there`,
    );
  }
  let result: RunResult;
  try {
    result = await deps.exec(containerId, {
      argv: undo.argv,
      ...(undo.stdin !== undefined ? { stdin: undo.stdin } : {}),
    });
  } catch (error) {
    if (!ChaosplaneError.isKind(error, 'not-found')) throw error;
    // The container, and its writable layer with the change, is gone.
    deps.logger.info('the container of a change is gone; nothing left to undo', {
      uid: entry.uid,
      containerId,
    });
    return 'gone' as const;
  }
  if (result.exitCode !== 0) throw commandFailed('undo', undo.argv, result);
  return 'undone' as const;
}

async function undoByNsenter(deps: UndoDeps, entry: JournalEntry, undo: JournalUndo) {
  let throughPid = undo.targetPid;
  if (undo.targetPid !== undefined && undo.targetStartTime !== undefined) {
    const through = undoTarget(undo, deps.logger, entry.uid);
    if (through === undefined) {
      deps.logger.info('no process holds the namespaces of a change any more; nothing left to undo', {
        uid: entry.uid,
        targetPid: undo.targetPid,
        ...(undo.namespaceIds ? { namespaces: undo.namespaceIds } : {}),
      });
      return 'gone' as const;
    }
    // Checked again right before entering: a holder found by the scan may have exited since.
    if (
      !isSameProcess(through.pid, through.startTime) ||
      (undo.namespaceIds !== undefined && !isInNamespaces(through.pid, undo.namespaceIds))
    ) {
      throw new ChaosplaneError(
        'runtime',
        `process ${through.pid}, chosen to undo ${JSON.stringify(undo.argv)} through, exited; retrying later`,
      );
    }
    throughPid = through.pid;
  }
  const result = await runCommand(
    nsenterArgv(deps.nsenter, throughPid, undo.namespaces, undo.argv, undo.runAs),
    {
      env: deps.env,
      ...(undo.stdin !== undefined ? { stdin: undo.stdin } : {}),
    },
  );
  if (result.exitCode !== 0) throw commandFailed('undo', undo.argv, result);
  return 'undone' as const;
}

/** Creates the undo runner. */
export function createUndoChange(deps: UndoDeps): UndoChange {
  return async entry => {
    const undo = entry.undo;
    if (!undo) return 'undone';
    return undo.execIn !== undefined
      ? undoByExec(deps, entry, undo, undo.execIn)
      : undoByNsenter(deps, entry, undo);
  };
}

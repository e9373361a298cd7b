// SPDX-License-Identifier: Apache-2.0
// What the parts of the process manager share.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '@chaosplane/sdk';
import type { Journal, JournalEntry } from '../journal/createJournal.js';
import type { TrackedEntries } from './createTrackedEntries.js';
import type { SharedStates } from './sharedState.js';
import type { ExecInContainer, UndoChange } from './undoChange.js';

/** Environment variable that marks every process the daemon starts with its uid. */
export const PROCESS_UID_ENV = 'CHAOSPLANE_PROCESS_UID';
/**
 * Environment variable that marks short commands (`run`, applies and undos, nsenter'd or exec'd
 * in a container through its runtime) with the state directory they belong to, so a daemon
 * restarted after a crash finds those its predecessor left running mid-call.
 */
export const RUN_OWNER_ENV = 'CHAOSPLANE_RUN_OWNER';
/**
 * The run-owner marker of the daemon whose state lives in `stateDir`: the same value for every
 * daemon started on that directory, so a successor recognises its predecessor's commands.
 */
export function runOwnerOf(stateDir: string): string {
  return createHash('sha256').update(path.resolve(stateDir)).digest('hex').slice(0, 16);
}

/** The PATH of every command the daemon runs. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The shared state of one process manager. */
export interface ManagerContext {
  journal: Journal;
  logger: Logger;
  /** util-linux nsenter. */
  nsenter: string;
  /** The environment of short commands: PATH and the run-owner marker. */
  runEnv: Record<string, string>;
  /** Where managed processes write their output. */
  logDir: string;
  /** Where managed processes get their working directories (`<workDir>/<uid>`). */
  workDir: string;
  entries: TrackedEntries;
  undo: UndoChange;
  /** The renderers of shared states and their live contributions. */
  states: SharedStates;
  /** Kills a process entry's tree; true when it signalled anything. */
  killEntry(entry: JournalEntry): Promise<boolean>;
  /** Exec through the container runtime (changes made as the container's user). */
  exec: ExecInContainer | undefined;
  /** How often adopted processes are checked for exit. */
  pollIntervalMs: number;
}

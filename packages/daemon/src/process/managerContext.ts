// SPDX-License-Identifier: Apache-2.0
// What the parts of the process manager share.
import type { Logger } from '@chaosplane/sdk';
import type { Journal, JournalEntry } from '../journal/createJournal.js';
import type { TrackedEntries } from './createTrackedEntries.js';
import type { SharedStates } from './sharedState.js';
import type { ExecInContainer, UndoChange } from './undoChange.js';

/** Environment variable that marks every process the daemon starts with its uid. */
export const PROCESS_UID_ENV = 'CHAOSPLANE_PROCESS_UID';
/**
 * Environment variable that marks short commands (`run`, applies and undos) with the state
 * directory they belong to, so a daemon restarted after a crash finds those its predecessor
 * left running mid-call.
 */
export const RUN_OWNER_ENV = 'CHAOSPLANE_RUN_OWNER';
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

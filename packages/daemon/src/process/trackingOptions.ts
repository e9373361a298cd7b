// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError } from '@chaosplane/sdk';
import type { JournalChaosRef } from '../journal/createJournal.js';

/** When a tracked entry ends by itself and who started it. */
export interface TrackingOptions {
  /** Duplicate-preventing name (for example the record id); one live entry per identifier. */
  identifier: string;
  /** Recover after this many ms, even if no controller ever calls again. */
  durationMs?: number;
  /** Recover at this unix time in ms (wins over durationMs). */
  deadlineMs?: number;
  /** The chaos object this is done for, for listing and RecoverAll filters. */
  chaos?: JournalChaosRef;
}

/** The unix time in ms at which an entry is recovered by the daemon itself, if any. */
export function deadlineOf(opts: TrackingOptions): number | undefined {
  if (opts.deadlineMs !== undefined) return opts.deadlineMs;
  if (opts.durationMs === undefined) return undefined;
  if (!(opts.durationMs > 0)) {
    throw new ChaosplaneError('invalid', 'durationMs must be a positive number', { field: 'durationMs' });
  }
  return Date.now() + opts.durationMs;
}

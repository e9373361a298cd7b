// SPDX-License-Identifier: Apache-2.0
// The one chain through which a records pass writes: each write snapshots the records when its
// turn comes, so an older snapshot can never land after a newer one; writes are coalesced to at
// most one per flush interval while records progress.
import type { ChaosObject, ContainerRecord } from '@chaosplane/sdk';
import { fitRecordEvents } from './fitRecordEvents.js';

/** The write chain of one pass. */
export interface RecordWriter {
  /** The newest object written (the pass's start until the first write). */
  readonly obj: ChaosObject | undefined;
  /** True once a write found the object gone. */
  readonly gone: boolean;
  /** The first write failure; the pass ends and rethrows it. */
  readonly error: Error | undefined;
  /** Queues a write of the records now; resolves when it (and every earlier one) is done. */
  persist(): Promise<void>;
  /** Marks the records changed and writes them if the flush interval has passed. */
  changed(): void;
  /** Writes what changed since the last write, then waits for the chain. */
  finish(): Promise<void>;
}

/** Creates the write chain of a pass over `records` of `start`. */
export function createRecordWriter(
  start: ChaosObject,
  records: readonly ContainerRecord[],
  write: (obj: ChaosObject, records: ContainerRecord[]) => Promise<ChaosObject | undefined>,
  flushIntervalMs: number,
): RecordWriter {
  let obj: ChaosObject | undefined = start;
  let gone = false;
  let error: Error | undefined;
  let dirty = false;
  let lastFlush = Date.now();
  let chain: Promise<void> = Promise.resolve();
  let flushQueued = false;
  const persist = () => {
    chain = chain.then(async () => {
      if (error !== undefined || gone) return;
      dirty = false;
      lastFlush = Date.now();
      try {
        const written = await write(obj!, fitRecordEvents(records.map(record => ({ ...record }))));
        if (!written) gone = true;
        else obj = written;
      } catch (failure) {
        error ??= failure instanceof Error ? failure : new Error(String(failure));
      }
    });
    return chain;
  };
  return {
    get obj() {
      return gone ? undefined : obj;
    },
    get gone() {
      return gone;
    },
    get error() {
      return error;
    },
    persist,
    changed() {
      dirty = true;
      if (flushQueued || Date.now() - lastFlush < flushIntervalMs) return;
      flushQueued = true;
      void persist().finally(() => (flushQueued = false));
    },
    async finish() {
      await chain;
      if (dirty && !gone && error === undefined) await persist();
    },
  };
}

// SPDX-License-Identifier: Apache-2.0
// The loop every dev controller runs, as kube-controller-manager's do: keys on the engine's work
// queue (de-duplicated, one worker per key at a time, per-key back-off), a few workers calling
// the controller's sync for one key at a time. A failed sync is retried with back-off; a sync
// may ask to run again after a delay (minReadySeconds, a progress deadline).
import { createWorkQueue, type WorkQueue } from '@chaosplane/engine';
import { isConflict, isNotFound } from '@chaosplane/kube';
import type { Logger } from '@chaosplane/sdk';

/** What one sync asks for: nothing, or another run after `requeueAfterMs`. */
export type SyncResult = { requeueAfterMs?: number } | void;

/** A controller's queue and workers. */
export interface ControllerLoop {
  /** Queues a key now. */
  enqueue(key: string): void;
  /** Queues a key after `ms`. */
  enqueueAfter(key: string, ms: number): void;
  /** Runs the workers until `signal` aborts; resolves once every sync in flight has ended. */
  run(signal: AbortSignal): Promise<void>;
}

/** Options of {@link createControllerLoop}. */
export interface ControllerLoopOptions {
  /** The controller's name, in log lines. */
  name: string;
  /** Syncs one key; a rejection is logged and retried with back-off. */
  sync(key: string, signal: AbortSignal): Promise<SyncResult>;
  log: Logger;
  /** Keys synced at once; 2 by default. */
  workers?: number;
}

/** Creates a {@link ControllerLoop}. */
export function createControllerLoop(options: ControllerLoopOptions): ControllerLoop {
  const queue = createWorkQueue<string>();
  return {
    enqueue: key => queue.add(key),
    enqueueAfter: (key, ms) => queue.addAfter(key, ms),
    async run(signal) {
      const stop = () => queue.shutDown();
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
      await Promise.all(Array.from({ length: options.workers ?? 2 }, () => work(options, queue, signal)));
    },
  };
}

/** One worker: syncs keys until the queue shuts down. */
async function work(options: ControllerLoopOptions, queue: WorkQueue<string>, signal: AbortSignal) {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    try {
      const result = await options.sync(key, signal);
      queue.forget(key);
      if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      if (!signal.aborted) {
        // A stale read (409) or an object deleted meanwhile (404) is routine: the informer
        // catches up and the retry sees the new state.
        const routine = isConflict(error) || isNotFound(error);
        options.log[routine ? 'debug' : 'warn']('sync failed; retrying with back-off', {
          controller: options.name,
          key,
          error: error instanceof Error ? error.message : String(error),
        });
        queue.addRateLimited(key);
      }
    } finally {
      queue.done(key);
    }
  }
}

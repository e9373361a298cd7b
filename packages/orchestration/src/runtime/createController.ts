// SPDX-License-Identifier: Apache-2.0
// A controller over one kind of object: a work queue (the engine's: a key is never reconciled by
// two workers at once) drained by workers running `reconcile`, which may ask to be run again at
// a time on the engine's clock (a cron tick, a deadline). Failures retry with back-off.
import { createWorkQueue, type Clock, type WorkQueue } from '@chaosplane/engine';
import type { Logger } from '@chaosplane/sdk';

/** What a reconcile asks for: run again at this time (ms since the epoch), or not. */
export type ReconcileOutcome = number | undefined;

/** Options of {@link createController}. */
export interface ControllerOptions {
  name: string;
  clock: Clock;
  log: Logger;
  /** Keys reconciled at once (different keys); 2 by default. */
  workers?: number;
  /** Reconciles one `namespace/name`. */
  reconcile(key: string, signal: AbortSignal): Promise<ReconcileOutcome>;
  /** True once stopping: failures are not retried. */
  stopping(): boolean;
}

/** A controller: keys in, reconciles out. */
export interface Controller {
  /** Queues `key` now. */
  enqueue(key: string): void;
  /** Runs until `signal` aborts; resolves once the workers finished their keys. */
  run(signal: AbortSignal, hard: AbortSignal): Promise<void>;
}

/** Creates a {@link Controller}. */
export function createController(options: ControllerOptions): Controller {
  const queue: WorkQueue<string> = createWorkQueue<string>({ clock: options.clock });
  const log = options.log.child({ controller: options.name });
  const worker = async (hard: AbortSignal) => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const at = await options.reconcile(key, hard);
        queue.forget(key);
        if (at !== undefined) queue.addAt(key, at);
      } catch (error) {
        if (!options.stopping()) {
          log.warn('reconcile failed; retrying with back-off', {
            key,
            error: error instanceof Error ? error.message : String(error),
          });
          queue.addRateLimited(key);
        }
      } finally {
        queue.done(key);
      }
    }
  };
  return {
    enqueue: key => queue.add(key),
    async run(signal, hard) {
      const stop = () => queue.shutDown();
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
      await Promise.all(Array.from({ length: options.workers ?? 2 }, () => worker(hard)));
    },
  };
}

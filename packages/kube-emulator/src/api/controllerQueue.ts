// SPDX-License-Identifier: Apache-2.0
/**
 * The controllers' work queue: work is keyed by an id (queueing an id again replaces its work,
 * so repeated triggers collapse into one run) and runs one item at a time, asynchronously.
 */

/** The queue. */
export interface ControllerQueue {
  /** Queues work under `id` (replacing work queued under it before). */
  enqueue(id: string, work: () => Promise<void>): void;
  /** Resolves when the queue is empty and nothing runs. */
  idle(): Promise<void>;
  /** Drops queued work and refuses more. */
  stop(): void;
}

/** Creates a queue; a failed item is logged and the queue goes on. */
export function createControllerQueue(log: (message: string) => void): ControllerQueue {
  const queue = new Map<string, () => Promise<void>>();
  let running = false;
  let stopped = false;
  let idleWaiters: (() => void)[] = [];

  const wakeIdle = (): void => {
    for (const w of idleWaiters) w();
    idleWaiters = [];
  };

  async function drain(): Promise<void> {
    while (queue.size > 0 && !stopped) {
      const [id, work] = queue.entries().next().value as [string, () => Promise<void>];
      queue.delete(id);
      try {
        await work();
      } catch (error) {
        log(`controller ${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    running = false;
    wakeIdle();
  }

  return {
    enqueue(id, work) {
      if (stopped) return;
      queue.set(id, work);
      if (!running) {
        running = true;
        setImmediate(() => void drain());
      }
    },
    idle() {
      if (!running && queue.size === 0) return Promise.resolve();
      return new Promise(resolve => idleWaiters.push(resolve));
    },
    stop() {
      stopped = true;
      queue.clear();
      wakeIdle();
    },
  };
}

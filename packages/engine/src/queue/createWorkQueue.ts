// SPDX-License-Identifier: Apache-2.0
// A controller-runtime-like work queue. Invariants:
// - a key is queued at most once (dedup: "dirty" set);
// - a key being processed is never handed to a second worker; adding it meanwhile marks it
//   dirty, and it is queued again when the worker calls done();
// - delayed adds keep only the earliest due time per key (addAt / addAfter);
// - addRateLimited delays by the rate limiter (per-key back-off and a global bucket).
import { createDefaultRateLimiter, type RateLimiter } from './rateLimiters.js';

/** The work queue of one kind's controller. */
export interface WorkQueue<K = string> {
  /** Queues `key` now (deduplicated). */
  add(key: K): void;
  /** Queues `key` after `delayMs`; an earlier pending time for the same key wins. */
  addAfter(key: K, delayMs: number): void;
  /** Queues `key` at the wall-clock time `at` (ms since epoch), exactly (duration expiry). */
  addAt(key: K, at: number): void;
  /** Queues `key` after its rate-limited back-off (a failure). */
  addRateLimited(key: K): void;
  /** Clears the failure history of `key` (a success). */
  forget(key: K): void;
  /** Failures of `key` since it was last forgotten. */
  retries(key: K): number;
  /**
   * Waits for the next key; resolves `undefined` once the queue is shut down (or `signal`
   * aborts). The caller must call {@link WorkQueue.done} for every key it receives.
   */
  get(signal?: AbortSignal): Promise<K | undefined>;
  /** Marks `key` as processed; if it was added meanwhile, it is queued again. */
  done(key: K): void;
  /** Keys waiting now (not counting delayed or in-flight keys). */
  depth(): number;
  /** Keys being processed. */
  inFlight(): number;
  /** Keys waiting for a delayed add. */
  delayed(): number;
  /** Stops handing out keys; pending delayed adds are dropped. */
  shutDown(): void;
  /** True after {@link WorkQueue.shutDown}. */
  isShutDown(): boolean;
}

/** Options of {@link createWorkQueue}. */
export interface WorkQueueOptions<K> {
  /** The retry limiter; defaults to controller-runtime's (5 ms→5 min per key, 10 qps/100 burst). */
  rateLimiter?: RateLimiter<K>;
  /** Wall clock (ms since epoch), for tests. */
  now?: () => number;
  /** Called when a key is queued; e.g. to update a depth gauge. */
  onChange?: () => void;
}

/** Creates a work queue; see {@link WorkQueue} for its guarantees. */
export function createWorkQueue<K = string>(options: WorkQueueOptions<K> = {}): WorkQueue<K> {
  const limiter = options.rateLimiter ?? createDefaultRateLimiter<K>();
  const now = options.now ?? Date.now;
  const queue: K[] = [];
  let head = 0;
  const dirty = new Set<K>();
  const processing = new Set<K>();
  const waiting = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  const getters: ((key: K | undefined) => void)[] = [];
  let shuttingDown = false;

  const changed = () => options.onChange?.();

  const push = (key: K) => {
    const getter = getters.shift();
    if (getter) {
      dirty.delete(key);
      processing.add(key);
      getter(key);
    } else {
      queue.push(key);
    }
  };

  const add = (key: K) => {
    if (shuttingDown || dirty.has(key)) return;
    dirty.add(key);
    if (!processing.has(key)) push(key);
    changed();
  };

  const addAt = (key: K, at: number) => {
    if (shuttingDown) return;
    const delay = at - now();
    if (delay <= 0) {
      add(key);
      return;
    }
    const pending = waiting.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    // Node timers cap at 2^31-1 ms (~24.8 days); a longer wait re-arms itself on expiry.
    const timer = setTimeout(
      () => {
        waiting.delete(key);
        addAt(key, at);
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    timer.unref?.();
    waiting.set(key, { at, timer });
  };

  return {
    add,
    addAt,
    addAfter(key, delayMs) {
      addAt(key, now() + Math.max(0, delayMs));
    },
    addRateLimited(key) {
      addAt(key, now() + limiter.when(key));
    },
    forget(key) {
      limiter.forget(key);
    },
    retries(key) {
      return limiter.retries(key);
    },
    get(signal) {
      if (shuttingDown || signal?.aborted) return Promise.resolve(undefined);
      if (head < queue.length) {
        const key = queue[head] as K;
        head += 1;
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
        dirty.delete(key);
        processing.add(key);
        changed();
        return Promise.resolve(key);
      }
      return new Promise<K | undefined>(resolve => {
        const getter = (key: K | undefined) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(key);
        };
        const onAbort = () => {
          const index = getters.indexOf(getter);
          if (index >= 0) getters.splice(index, 1);
          resolve(undefined);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        getters.push(getter);
      });
    },
    done(key) {
      processing.delete(key);
      if (dirty.has(key) && !shuttingDown) push(key);
      changed();
    },
    depth() {
      return queue.length - head;
    },
    inFlight() {
      return processing.size;
    },
    delayed() {
      return waiting.size;
    },
    shutDown() {
      shuttingDown = true;
      for (const { timer } of waiting.values()) clearTimeout(timer);
      waiting.clear();
      for (const getter of getters.splice(0)) getter(undefined);
      changed();
    },
    isShutDown() {
      return shuttingDown;
    },
  };
}

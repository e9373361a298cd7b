// SPDX-License-Identifier: Apache-2.0
// A controller-runtime-like work queue. Invariants:
// - a key is queued at most once (dedup: "dirty" set);
// - a key being processed is never handed to a second worker; adding it meanwhile marks it
//   dirty, and it is queued again when the worker calls done();
// - delayed adds keep only the earliest due time per key (addAt / addAfter);
// - addRateLimited delays by the rate limiter (per-key back-off and a global bucket).
import { systemClock, type Clock } from '../clock/clock.js';
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
  /** Wall clock (ms since epoch), for tests; `clock.now` by default. */
  now?: () => number;
  /** The clock delayed adds wait on (`addAt`, `addAfter`, back-offs); the system clock by default. */
  clock?: Clock;
  /** Called when a key is queued; e.g. to update a depth gauge. */
  onChange?: () => void;
}

/** The keys of a work queue and what waits on them. */
interface QueueState<K> {
  limiter: RateLimiter<K>;
  now: () => number;
  clock: Clock;
  onChange: (() => void) | undefined;
  /** Keys waiting, from `head` on (the consumed prefix is trimmed now and then). */
  queue: K[];
  head: number;
  /** Keys queued or to be queued again once done. */
  dirty: Set<K>;
  processing: Set<K>;
  waiting: Map<K, { at: number; cancel: () => void }>;
  /** Workers waiting for a key, first come first served. */
  getters: ((key: K | undefined) => void)[];
  shuttingDown: boolean;
}

/** Creates a work queue; see {@link WorkQueue} for its guarantees. */
export function createWorkQueue<K = string>(options: WorkQueueOptions<K> = {}): WorkQueue<K> {
  const state: QueueState<K> = {
    limiter: options.rateLimiter ?? createDefaultRateLimiter<K>(),
    now: options.now ?? (options.clock ? options.clock.now : Date.now),
    clock: options.clock ?? systemClock,
    onChange: options.onChange,
    queue: [],
    head: 0,
    dirty: new Set(),
    processing: new Set(),
    waiting: new Map(),
    getters: [],
    shuttingDown: false,
  };
  const { limiter, now } = state;
  return {
    add: key => add(state, key),
    addAt: (key, at) => addAt(state, key, at),
    addAfter(key, delayMs) {
      addAt(state, key, now() + Math.max(0, delayMs));
    },
    addRateLimited(key) {
      addAt(state, key, now() + limiter.when(key));
    },
    forget(key) {
      limiter.forget(key);
    },
    retries(key) {
      return limiter.retries(key);
    },
    get: signal => nextKey(state, signal),
    done(key) {
      state.processing.delete(key);
      if (state.dirty.has(key) && !state.shuttingDown) push(state, key);
      changed(state);
    },
    depth() {
      return state.queue.length - state.head;
    },
    inFlight() {
      return state.processing.size;
    },
    delayed() {
      return state.waiting.size;
    },
    shutDown: () => shutDown(state),
    isShutDown() {
      return state.shuttingDown;
    },
  };
}

/** Tells the queue's observer that it changed. */
function changed<K>(state: QueueState<K>): void {
  state.onChange?.();
}

/** Hands `key` to a waiting worker, or queues it when none waits. */
function push<K>(state: QueueState<K>, key: K): void {
  const getter = state.getters.shift();
  if (getter) {
    state.dirty.delete(key);
    state.processing.add(key);
    getter(key);
  } else {
    state.queue.push(key);
  }
}

/** {@link WorkQueue.add}. */
function add<K>(state: QueueState<K>, key: K): void {
  if (state.shuttingDown || state.dirty.has(key)) return;
  state.dirty.add(key);
  if (!state.processing.has(key)) push(state, key);
  changed(state);
}

/** {@link WorkQueue.addAt}. */
function addAt<K>(state: QueueState<K>, key: K, at: number): void {
  if (state.shuttingDown) return;
  const delay = at - state.now();
  if (delay <= 0) {
    add(state, key);
    return;
  }
  const pending = state.waiting.get(key);
  if (pending && pending.at <= at) return;
  if (pending) pending.cancel();
  const cancel = state.clock.setTimer(at, () => {
    state.waiting.delete(key);
    add(state, key);
  });
  state.waiting.set(key, { at, cancel });
}

/** {@link WorkQueue.get}: the next queued key at once, else the next one pushed. */
function nextKey<K>(state: QueueState<K>, signal: AbortSignal | undefined): Promise<K | undefined> {
  if (state.shuttingDown || signal?.aborted) return Promise.resolve(undefined);
  if (state.head < state.queue.length) {
    const key = state.queue[state.head] as K;
    state.head += 1;
    if (state.head > 1024 && state.head * 2 > state.queue.length) {
      state.queue.splice(0, state.head);
      state.head = 0;
    }
    state.dirty.delete(key);
    state.processing.add(key);
    changed(state);
    return Promise.resolve(key);
  }
  return new Promise<K | undefined>(resolve => {
    const getter = (key: K | undefined) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(key);
    };
    const onAbort = () => {
      const index = state.getters.indexOf(getter);
      if (index >= 0) state.getters.splice(index, 1);
      resolve(undefined);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    state.getters.push(getter);
  });
}

/** {@link WorkQueue.shutDown}: drops the delayed adds and sends the waiting workers away. */
function shutDown<K>(state: QueueState<K>): void {
  state.shuttingDown = true;
  for (const { cancel } of state.waiting.values()) cancel();
  state.waiting.clear();
  for (const getter of state.getters.splice(0)) getter(undefined);
  changed(state);
}

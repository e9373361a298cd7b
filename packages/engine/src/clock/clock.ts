// SPDX-License-Identifier: Apache-2.0
// The engine's clock: what "now" is and when a timer fires, for everything measured in
// experiment time (durations, schedules, deadlines). Production runs on the system clock; tests
// hand a manual clock to the engine, the orchestration controllers and the emulator alike, and
// move it forward instead of sleeping through minutes of cron ticks and deadlines. Retries and
// back-offs of I/O stay on the system's timers: they are about the network, not the experiment.

/** Wall-clock time and timers, in milliseconds since the epoch. */
export interface Clock {
  /** Now, in ms since the epoch (a property: it is handed around unbound). */
  readonly now: () => number;
  /**
   * Calls `fire` once the clock has reached `at` (ms since the epoch), at once (in a later
   * task) when it already has. Timers never keep the process alive. Returns the cancel function.
   */
  readonly setTimer: (at: number, fire: () => void) => () => void;
}

/** Node's timers cap at 2^31-1 ms (~24.8 days); a longer wait re-arms itself on expiry. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Arms a real timer for `at` on `now`'s scale, re-arming until `now()` has reached `at`. */
function armRealTimer(now: () => number, at: number, fire: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const delay = at - now();
    if (delay <= 0) {
      timer = undefined;
      fire();
      return;
    }
    timer = setTimeout(arm, Math.min(delay, MAX_TIMEOUT_MS));
    timer.unref?.();
  };
  // Never synchronously: a caller arming a timer must not be re-entered by it.
  timer = setTimeout(arm, Math.max(0, Math.min(at - now(), MAX_TIMEOUT_MS)));
  timer.unref?.();
  return () => clearTimeout(timer);
}

/** The system clock: `Date.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (at, fire) => armRealTimer(Date.now, at, fire),
};

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  /** Moves the clock forward by `ms` and fires every timer now due, earliest first. */
  advance(ms: number): void;
  /** Moves the clock to `at` (never backwards) and fires every timer now due. */
  set(at: number): void;
  /** Timers armed and not yet fired or cancelled. */
  pending(): number;
}

/** Options of {@link createManualClock}. */
export interface ManualClockOptions {
  /** Where the clock starts (ms since the epoch); the system's now by default. */
  start?: number;
  /**
   * True (the default): the clock also flows with real time (`now` is the system's time plus
   * what was advanced), so short real waits (I/O, back-offs, test polling) behave as usual and
   * `advance` only skips. False: the clock stands still between `advance` calls.
   */
  flowing?: boolean;
}

/** One timer of a manual clock. */
interface ManualTimer {
  at: number;
  fire: () => void;
  cancelReal: () => void;
}

/**
 * A manual clock for tests: hand the same one to the engine, the orchestration controllers and
 * the kube-emulator (so creation timestamps agree with it), then `advance` it past a deadline.
 */
export function createManualClock(options: ManualClockOptions = {}): ManualClock {
  const flowing = options.flowing ?? true;
  const started = Date.now();
  let offset = (options.start ?? started) - started;
  let frozenAt = options.start ?? started;
  const now = () => (flowing ? Date.now() + offset : frozenAt);
  const timers = new Set<ManualTimer>();

  const arm = (timer: ManualTimer) => {
    timer.cancelReal = flowing
      ? armRealTimer(now, timer.at, () => fireOne(timer))
      : () => {
          // A frozen clock fires only from advance().
        };
  };
  const fireOne = (timer: ManualTimer) => {
    if (!timers.delete(timer)) return;
    timer.cancelReal();
    timer.fire();
  };
  const fireDue = () => {
    const due = [...timers].filter(t => t.at <= now()).sort((a, b) => a.at - b.at);
    for (const timer of due) fireOne(timer);
    // The others' real timers were armed for the old offset.
    for (const timer of timers) {
      timer.cancelReal();
      arm(timer);
    }
  };
  return {
    now,
    setTimer(at, fire) {
      const timer: ManualTimer = { at, fire, cancelReal: () => undefined };
      timers.add(timer);
      if (at <= now()) {
        // Due already: fire in a later task, as the system clock does.
        const immediate = setImmediate(() => fireOne(timer));
        timer.cancelReal = () => clearImmediate(immediate);
      } else arm(timer);
      return () => {
        if (timers.delete(timer)) timer.cancelReal();
      };
    },
    advance(ms) {
      if (ms < 0) throw new RangeError('a clock never goes backwards');
      offset += ms;
      frozenAt += ms;
      fireDue();
    },
    set(at) {
      const ms = at - now();
      if (ms > 0) {
        offset += ms;
        frozenAt += ms;
      }
      fireDue();
    },
    pending: () => timers.size,
  };
}

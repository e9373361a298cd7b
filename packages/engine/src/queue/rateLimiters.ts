// SPDX-License-Identifier: Apache-2.0
// Rate limiters for retries, after controller-runtime's workqueue: a per-item exponential
// back-off, a global token bucket, and the maximum of several.

/** Decides how long a key waits before its next retry. */
export interface RateLimiter<K = string> {
  /** The delay in milliseconds before `key` may be processed again; counts one failure. */
  when(key: K): number;
  /** Forgets the failures of `key` (call after a success). */
  forget(key: K): void;
  /** How many times `key` has failed since it was last forgotten. */
  retries(key: K): number;
}

/** Options of {@link createExponentialRateLimiter}. */
export interface ExponentialRateLimiterOptions {
  /** Delay after the first failure, in milliseconds. */
  baseMs: number;
  /** The cap of the delay, in milliseconds. */
  maxMs: number;
}

/**
 * Per-item exponential back-off: `baseMs * 2^failures`, capped at `maxMs`. Each key backs off
 * on its own, so one failing object or record never slows the others.
 */
export function createExponentialRateLimiter<K = string>(
  options: ExponentialRateLimiterOptions,
): RateLimiter<K> {
  if (!(options.baseMs > 0) || !(options.maxMs >= options.baseMs)) {
    throw new RangeError(
      `exponential back-off needs 0 < baseMs <= maxMs (got ${options.baseMs}, ${options.maxMs})`,
    );
  }
  const failures = new Map<K, number>();
  return {
    when(key) {
      const count = failures.get(key) ?? 0;
      failures.set(key, count + 1);
      // 2^count overflows to Infinity for large counts; Math.min keeps the cap.
      return Math.min(options.maxMs, options.baseMs * 2 ** count);
    },
    forget(key) {
      failures.delete(key);
    },
    retries(key) {
      return failures.get(key) ?? 0;
    },
  };
}

/** Options of {@link createTokenBucketRateLimiter}. */
export interface TokenBucketOptions {
  /** Tokens added per second. */
  qps: number;
  /** Bucket size: how many retries may pass at once. */
  burst: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * A global token bucket shared by every key: bounds the overall retry rate, so a storm of
 * failures cannot hammer the API server. Reserves a token and returns the wait until it is due.
 */
export function createTokenBucketRateLimiter<K = string>(options: TokenBucketOptions): RateLimiter<K> {
  if (!(options.qps > 0) || !(options.burst >= 1)) {
    throw new RangeError(`token bucket needs qps > 0 and burst >= 1 (got ${options.qps}, ${options.burst})`);
  }
  const now = options.now ?? Date.now;
  let tokens = options.burst;
  let last = now();
  return {
    when() {
      const t = now();
      tokens = Math.min(options.burst, tokens + ((t - last) / 1000) * options.qps);
      last = t;
      tokens -= 1;
      // A negative balance is a reservation: the caller waits until it is paid back.
      return tokens >= 0 ? 0 : Math.ceil((-tokens / options.qps) * 1000);
    },
    forget() {},
    retries() {
      return 0;
    },
  };
}

/** The largest delay of several limiters (each still counts the failure). */
export function createMaxOfRateLimiter<K = string>(...limiters: RateLimiter<K>[]): RateLimiter<K> {
  return {
    when(key) {
      let delay = 0;
      for (const limiter of limiters) delay = Math.max(delay, limiter.when(key));
      return delay;
    },
    forget(key) {
      for (const limiter of limiters) limiter.forget(key);
    },
    retries(key) {
      let count = 0;
      for (const limiter of limiters) count = Math.max(count, limiter.retries(key));
      return count;
    },
  };
}

/** Options of {@link createDefaultRateLimiter}. */
export interface DefaultRateLimiterOptions {
  /** First retry delay (ms); default 5. */
  baseMs?: number;
  /** Retry delay cap (ms); default 5 minutes. */
  maxMs?: number;
  /** Global retry rate; default 10 per second. */
  qps?: number;
  /** Global retry burst; default 100. */
  burst?: number;
}

/** controller-runtime's default: per-item exponential back-off combined with a global bucket. */
export function createDefaultRateLimiter<K = string>(
  options: DefaultRateLimiterOptions = {},
): RateLimiter<K> {
  return createMaxOfRateLimiter<K>(
    createExponentialRateLimiter<K>({ baseMs: options.baseMs ?? 5, maxMs: options.maxMs ?? 5 * 60_000 }),
    createTokenBucketRateLimiter<K>({ qps: options.qps ?? 10, burst: options.burst ?? 100 }),
  );
}

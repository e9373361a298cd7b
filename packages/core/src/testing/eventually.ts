// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError } from '../errors/ChaosplaneError.js';

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** Give up after this long; 30 s by default. */
  timeoutMs?: number;
  /** Time between probes; 100 ms by default. */
  intervalMs?: number;
  /** What is awaited, for the timeout message ("every record Injected"). */
  what?: string;
  /** Extra context for the timeout message (e.g. the object's status then). */
  describe?: () => Promise<string>;
}

/**
 * Probes until it returns something other than `undefined`, and returns that. A timeout is an
 * error that says what was awaited. For tests and tools that wait on eventually consistent state.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) {
      const context = options.describe ? ` ${await options.describe()}` : '';
      throw new ChaosplaneError(
        'internal',
        `timed out after ${timeoutMs} ms waiting ${options.what ? `until ${options.what}` : 'for a condition'}${context}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

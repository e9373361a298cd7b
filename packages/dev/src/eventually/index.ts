// SPDX-License-Identifier: Apache-2.0
import { setTimeout as sleep } from 'node:timers/promises';
import { ChaosplaneError } from '@chaosplane/sdk';

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** Give up after this long; 30 s by default. */
  timeoutMs?: number;
  /** Time between probes; 100 ms by default. */
  intervalMs?: number;
  /** What is awaited, for the timeout message ("every record Injected"). */
  what?: string;
  /** Extra context for the timeout message (e.g. the object's status then). */
  describe?: () => string | Promise<string>;
}

/**
 * What a probe threw, as text: the message of an Error (or of any thrown object that carries
 * one), a string as it is, any other value as JSON.
 */
function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (
    typeof error === 'object' &&
    error !== null &&
    'message' in error &&
    typeof error.message === 'string'
  ) {
    return error.message;
  }
  try {
    // A function or a symbol has no JSON: its type is what can be said of it.
    return JSON.stringify(error) ?? typeof error;
  } catch {
    // A cycle, or a bigint.
    return typeof error;
  }
}

/**
 * Probes until it returns something other than `undefined` or `false`, and returns that; a
 * probe that throws is tried again. A timeout is an error that says what was awaited and the
 * probe's last error. The one wait-until of Chaosplane's tools and tests: eventually consistent
 * state (a watch, a reconcile) is awaited with it, never with fixed sleeps.
 */
export async function eventually<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > until) {
      const context = options.describe ? ` ${await options.describe()}` : '';
      const failure = lastError === undefined ? '' : ` (last error: ${describeError(lastError)})`;
      throw new ChaosplaneError(
        'internal',
        `timed out after ${timeoutMs} ms waiting ${options.what ? `until ${options.what}` : 'for a condition'}${context}${failure}`,
        { cause: lastError },
      );
    }
    await sleep(options.intervalMs ?? 100);
  }
}

// SPDX-License-Identifier: Apache-2.0
import type { Phase } from '../api/phase.js';

const BRAND: unique symbol = Symbol.for('@chaosplane/sdk/ChaosplaneError');

/** What went wrong, so callers can branch without parsing messages. */
export type ChaosplaneErrorKind =
  /** A spec, flag or file failed validation. */
  | 'invalid'
  /** A referenced object, container, plugin or record does not exist (a gone target counts as recovered). */
  | 'not-found'
  /** Two writers raced, or a name is taken; re-read and retry. */
  | 'conflict'
  /** A plugin package could not be loaded or does not export a plugin. */
  | 'plugin'
  /** The chaos daemon could not be reached, timed out or refused the caller. */
  | 'daemon'
  /** A container runtime call failed or the runtime is unreachable. */
  | 'runtime'
  /** A command the daemon ran failed: it exited non-zero or was killed; the message has its stderr. */
  | 'command'
  /** The node cannot do it: a kernel feature or a tool is missing (the message names it). */
  | 'unsupported'
  /** A selector could not be evaluated. */
  | 'selection'
  /** The operation was cancelled through its AbortSignal. */
  | 'aborted'
  /** An invariant of Chaosplane itself was broken. */
  | 'internal';

/**
 * The one error class of Chaosplane. `kind` says what went wrong; `field` names the offending
 * field when the error is about input; `phase` is what a failed apply or recover leaves the
 * record in.
 */
export class ChaosplaneError extends Error {
  /** Marks ChaosplaneErrors across copies of the package (see {@link ChaosplaneError.is}). */
  public readonly [BRAND] = true as const;
  /** What went wrong. */
  public readonly kind: ChaosplaneErrorKind;
  /** The offending field path, if the error is about input. */
  public readonly field: string | undefined;
  /** The phase a failed apply or recover leaves its record in, if not the one it had. */
  public readonly phase: Phase | undefined;

  /**
   * @param options - `cause`; `field`, the offending field path when the error is about input
   *   (`spec.duration`); `phase`, thrown from `apply` or `recover`, the phase the record takes
   *   although the call failed (a sub-phase such as `Injected/Partial`).
   */
  constructor(
    kind: ChaosplaneErrorKind,
    message: string,
    options?: ErrorOptions & { field?: string; phase?: Phase },
  ) {
    super(message, options);
    this.name = 'ChaosplaneError';
    this.kind = kind;
    this.field = options?.field;
    this.phase = options?.phase;
  }

  /** True for any ChaosplaneError, even one from another copy of this package. */
  public static is(value: unknown): value is ChaosplaneError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** True when `value` is a ChaosplaneError of the given kind. */
  public static isKind(value: unknown, kind: ChaosplaneErrorKind): value is ChaosplaneError {
    return ChaosplaneError.is(value) && value.kind === kind;
  }
}

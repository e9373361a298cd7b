// SPDX-License-Identifier: Apache-2.0

const BRAND: unique symbol = Symbol.for('@chaosplane/core/ChaosplaneError');

/** What went wrong, so callers can branch without parsing messages. */
export type ChaosplaneErrorKind =
  /** A spec, flag or file failed validation. */
  | 'invalid'
  /** A referenced object, container, plugin or record does not exist. */
  | 'not-found'
  /** Two writers raced; re-read and retry. */
  | 'conflict'
  /** A plugin package could not be loaded or does not export a plugin. */
  | 'plugin'
  /** The chaos daemon could not be reached or refused the call. */
  | 'daemon'
  /** A container runtime call failed. */
  | 'runtime'
  /** A selector could not be evaluated. */
  | 'selection'
  /** The operation was cancelled through its AbortSignal. */
  | 'aborted'
  /** An invariant of Chaosplane itself was broken. */
  | 'internal';

/**
 * The one error class of @chaosplane/core. `kind` says what went wrong; `field` names the
 * offending field path when the error is about input.
 */
export class ChaosplaneError extends Error {
  public readonly [BRAND] = true as const;
  public readonly kind: ChaosplaneErrorKind;
  public readonly field: string | undefined;

  constructor(kind: ChaosplaneErrorKind, message: string, options?: ErrorOptions & { field?: string }) {
    super(message, options);
    this.name = 'ChaosplaneError';
    this.kind = kind;
    this.field = options?.field;
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

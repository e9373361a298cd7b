// SPDX-License-Identifier: Apache-2.0
// Go's time.ParseDuration, exactly: the syntax Chaos Mesh users write in `spec.duration`.
// Grammar: [-+]? ( digits? ( '.' digits? )? unit )+ , or the lone "0"; a number needs at
// least one digit; units ns, us, µs (U+00B5), μs (U+03BC), ms, s, m, h; int64 nanoseconds.
import { ChaosplaneError } from '../errors/ChaosplaneError.js';

const UNIT_NANOS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n],
  ['\u03bcs', 1_000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const MAX_INT64 = (1n << 63n) - 1n;

function quote(text: string): string {
  return JSON.stringify(text);
}

function invalid(message: string): ChaosplaneError {
  return new ChaosplaneError('invalid', message);
}

/** One `digits? ( '.' digits? )? unit` term of a duration, and the input after it. */
interface DurationTerm {
  readonly nanos: bigint;
  readonly rest: string;
}

/**
 * Reads the number at the start of `rest`: its whole and fractional digits and its length.
 * @throws ChaosplaneError of kind `invalid` when it has no digit at all
 */
function readNumber(rest: string, original: string): { whole: string; fraction: string; length: number } {
  const number = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest);
  const whole = number?.[1] ?? '';
  const fraction = number?.[2] ?? '';
  if (whole === '' && fraction === '') {
    // "." alone, or no digits at all: Go reports the whole input.
    throw invalid(`time: invalid duration ${quote(original)}`);
  }
  return { whole, fraction, length: number![0].length };
}

/**
 * Reads the unit at the start of `rest` and returns it with its scale in nanoseconds.
 * @throws ChaosplaneError of kind `invalid` when the unit is missing or unknown
 */
function readUnit(rest: string, original: string): { unit: string; scale: bigint } {
  const unitMatch = /^[^0-9.]*/.exec(rest);
  const unit = unitMatch?.[0] ?? '';
  if (unit === '') throw invalid(`time: missing unit in duration ${quote(original)}`);
  const scale = UNIT_NANOS.get(unit);
  if (scale === undefined) throw invalid(`time: unknown unit ${quote(unit)} in duration ${quote(original)}`);
  return { unit, scale };
}

/**
 * Parses the term at the start of `rest` into nanoseconds.
 * @throws ChaosplaneError of kind `invalid`
 */
function readTerm(rest: string, original: string): DurationTerm {
  const { whole, fraction, length } = readNumber(rest, original);
  const afterNumber = rest.slice(length);
  const { unit, scale } = readUnit(afterNumber, original);
  let nanos = BigInt(whole === '' ? '0' : whole) * scale;
  if (fraction !== '') {
    // Go truncates the fraction toward zero at nanosecond precision.
    nanos += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
  }
  return { nanos, rest: afterNumber.slice(unit.length) };
}

/**
 * Parses a Go duration string into nanoseconds, with Go's rules and error texts
 * (`time: invalid duration "1x5"`, `time: missing unit in duration "10"`, …).
 * @throws ChaosplaneError of kind `invalid`
 */
export function parseDurationNanos(text: string): bigint {
  const original = text;
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw invalid(`time: invalid duration ${quote(original)}`);

  // int64 holds one more negative value than positive ones.
  const limit = MAX_INT64 + (negative ? 1n : 0n);
  let total = 0n;
  while (rest !== '') {
    const term = readTerm(rest, original);
    total += term.nanos;
    if (total > limit) throw invalid(`time: invalid duration ${quote(original)}`);
    rest = term.rest;
  }
  return negative ? -total : total;
}

/**
 * Parses a Go duration string into milliseconds (fractional below a millisecond).
 * @throws ChaosplaneError of kind `invalid`
 */
export function parseDuration(text: string): number {
  return Number(parseDurationNanos(text)) / 1e6;
}

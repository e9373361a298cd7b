// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from '@jest/globals';
import { ChaosplaneError, parseDuration } from '@chaosplane/sdk';
import { parseDurationNanos } from '@chaosplane/sdk/framework';

// Expected values are Go's time.ParseDuration results (nanoseconds).
const valid: Array<[string, bigint]> = [
  ['0', 0n],
  ['-0', 0n],
  ['+0', 0n],
  ['300ms', 300_000_000n],
  ['90s', 90_000_000_000n],
  ['1h30m', 5_400_000_000_000n],
  ['2h45m30.5s', 9_930_500_000_000n],
  ['1.5h', 5_400_000_000_000n],
  ['.5s', 500_000_000n],
  ['1.s', 1_000_000_000n],
  ['-1.5h', -5_400_000_000_000n],
  ['+5s', 5_000_000_000n],
  ['1ns', 1n],
  ['1us', 1_000n],
  ['1\u00b5s', 1_000n],
  ['1\u03bcs', 1_000n],
  ['1h1m1s1ms1us1ns', 3_661_001_001_001n],
  ['0.000000001s', 1n],
  ['0.0000000019s', 1n], // Go truncates below a nanosecond
  ['9223372036854775807ns', 9_223_372_036_854_775_807n],
  ['-9223372036854775808ns', -9_223_372_036_854_775_808n],
  ['1s1s', 2_000_000_000n],
  ['00010s', 10_000_000_000n],
];

const invalid: Array<[string, string]> = [
  ['', 'time: invalid duration ""'],
  ['1', 'time: missing unit in duration "1"'],
  ['10', 'time: missing unit in duration "10"'],
  ['1x', 'time: unknown unit "x" in duration "1x"'],
  ['1d', 'time: unknown unit "d" in duration "1d"'],
  ['1S', 'time: unknown unit "S" in duration "1S"'],
  ['.', 'time: invalid duration "."'],
  ['.s', 'time: invalid duration ".s"'],
  ['s', 'time: invalid duration "s"'],
  ['-', 'time: invalid duration "-"'],
  ['1h-5m', 'time: unknown unit "h-" in duration "1h-5m"'],
  ['1h+5m', 'time: unknown unit "h+" in duration "1h+5m"'],
  ['--1s', 'time: invalid duration "--1s"'],
  [' 1s', 'time: invalid duration " 1s"'],
  ['1s ', 'time: unknown unit "s " in duration "1s "'],
  ['1 s', 'time: unknown unit " s" in duration "1 s"'],
  ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
  ['3000000h', 'time: invalid duration "3000000h"'],
  ['1e3s', 'time: unknown unit "e" in duration "1e3s"'],
];

describe('parseDuration (Go time.ParseDuration)', () => {
  it.each(valid)('parses %j', (text, nanos) => {
    expect(parseDurationNanos(text)).toBe(nanos);
  });

  it.each(invalid)('rejects %j with Go’s message', (text, message) => {
    expect(() => parseDurationNanos(text)).toThrow(message);
    try {
      parseDurationNanos(text);
    } catch (error) {
      expect(ChaosplaneError.isKind(error, 'invalid')).toBe(true);
    }
  });

  it('returns milliseconds', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1500us')).toBe(1.5);
  });
});

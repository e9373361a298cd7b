// SPDX-License-Identifier: Apache-2.0
// What a size allocates: memStress's amounts (KiB, MiB… binary; kB, MB and bare prefixes decimal),
// a percentage of the container's memory limit.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { checkMemorySize, sizeInBytes } from '@chaosplane/experiment-stresschaos';

const bytes = (size: string, limit = 0) => {
  const checked = checkMemorySize(size);
  if (!checked.ok) throw new Error(checked.message);
  return sizeInBytes(checked.size, limit);
};

describe('memory sizes', () => {
  it.each([
    ['64MiB', 64 * 2 ** 20],
    ['64mib', 64 * 2 ** 20],
    ['64 MiB', 64 * 2 ** 20],
    ['64MB', 64_000_000],
    ['64M', 64_000_000],
    ['10GB', 10_000_000_000],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['100KB', 100_000],
    ['100B', 100],
    ['4096', 4096],
    ['1e3KB', 1_000_000],
  ])('%s is %d bytes', (size, expected) => {
    expect(bytes(size)).toBe(expected);
  });

  it('a percentage is of the memory limit given', () => {
    expect(bytes('25%', 256 * 2 ** 20)).toBe(64 * 2 ** 20);
    expect(bytes('100%', 1000)).toBe(1000);
    expect(bytes('33%', 100)).toBe(33);
  });

  it('refuses what go-units admits but no allocation can honour', () => {
    expect(checkMemorySize('inf KB')).toEqual({ ok: false, message: '"inf KB" is not a finite size' });
    expect(checkMemorySize('1e400')).toEqual({
      ok: false,
      message: 'incorrect bytes format: strconv.ParseFloat: parsing "1e400": value out of range',
    });
  });

  it('any whole number of MiB or MB is admitted and allocates exactly that', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 20 }), n => {
        expect(bytes(`${n}MiB`)).toBe(n * 2 ** 20);
        expect(bytes(`${n}MB`)).toBe(n * 1e6);
      }),
    );
  });
});

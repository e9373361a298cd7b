// SPDX-License-Identifier: Apache-2.0
// `stressors.memory.size`, as Chaos Mesh admits it and as it allocates it. Its webhook checks a
// percentage with Go's strconv.Atoi and anything else with go-units v0.5.0 FromHumanSize (decimal
// units, `B`, `iB` or nothing after them: 64MB, 64MiB, 64M and 64 all pass). The amount is what
// Chaos Mesh's memStress reads with go-humanize: KiB, MiB… are binary (64MiB = 67108864 bytes),
// kB, MB… and bare prefixes decimal (64MB = 64000000), a percentage is of the container's
// memory limit (of the node's memory when it has none), and the total is split over the workers.

/** A valid size: bytes, or a percentage of the container's memory limit. */
export type MemorySize = { bytes: number } | { percent: number };

/** What Chaos Mesh's webhook says of a size, or what it admits but cannot work: a violation. */
export type SizeCheck = { ok: true; size: MemorySize } | { ok: false; message: string };

// strconv.Atoi: an optional sign and decimal digits.
const GO_INT = /^[+-]?\d+$/;
// strconv.ParseFloat, decimal forms and inf/infinity/nan (hexadecimal floats are not admitted here).
const GO_FLOAT = /^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|inf|infinity)$|^nan$/i;
const DECIMAL_PREFIX: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
const BINARY_PREFIX: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

const invalid = (message: string): SizeCheck => ({
  ok: false,
  message: `incorrect bytes format: ${message}`,
});

/** A percentage, as the webhook reads it (strconv.Atoi, then 0 to 100). */
function checkPercent(body: string): SizeCheck {
  if (!GO_INT.test(body)) return invalid(`strconv.Atoi: parsing ${JSON.stringify(body)}: invalid syntax`);
  const percent = Number(body);
  if (!Number.isSafeInteger(percent))
    return invalid(`strconv.Atoi: parsing ${JSON.stringify(body)}: value out of range`);
  if (percent > 100 || percent < 0) return invalid('illegal proportion');
  return { ok: true, size: { percent } };
}

/** go-units' suffix check: `b`, or a prefix with nothing, `b` or `ib` after it. */
function suffixError(suffix: string): string | undefined {
  if (suffix === '') return undefined;
  const bad = `invalid suffix: '${suffix.length > 3 ? suffix : suffix.toLowerCase()}'`;
  if (suffix.length > 3) return bad;
  const lower = suffix.toLowerCase();
  if (lower[0] === 'b') return lower.length > 1 ? bad : undefined;
  if (DECIMAL_PREFIX[lower[0]!] === undefined) return bad;
  if (lower.length === 2 && lower[1] !== 'b') return bad;
  if (lower.length === 3 && lower.slice(1) !== 'ib') return bad;
  return undefined;
}

/** The bytes memStress allocates for a number and a suffix go-units admitted. */
function bytesOf(value: number, suffix: string): number {
  const lower = suffix.toLowerCase();
  const prefix = lower === '' || lower === 'b' ? undefined : lower[0]!;
  if (prefix === undefined) return Math.floor(value);
  return Math.floor(value * (lower.includes('i') ? BINARY_PREFIX[prefix]! : DECIMAL_PREFIX[prefix]!));
}

/** An amount of bytes, as go-units v0.5.0 parseSize reads it (its messages), then memStress's amount. */
function checkBytes(size: string): SizeCheck {
  const sep = Math.max(...[...'0123456789. '].map(c => size.lastIndexOf(c)));
  if (sep === -1) return invalid(`invalid size: '${size}'`);
  const number = size[sep] === ' ' ? size.slice(0, sep) : size.slice(0, sep + 1);
  const suffix = size.slice(sep + 1);
  if (!GO_FLOAT.test(number))
    return invalid(`strconv.ParseFloat: parsing ${JSON.stringify(number)}: invalid syntax`);
  const value = Number(/nan/i.test(number) ? NaN : number.replace(/inf(inity)?/i, 'Infinity'));
  if (/^[+-]?[\d.]/.test(number) && !Number.isFinite(value))
    return invalid(`strconv.ParseFloat: parsing ${JSON.stringify(number)}: value out of range`);
  if (value < 0) return invalid(`invalid size: '${size}'`);
  const error = suffixError(suffix);
  if (error !== undefined) return invalid(error);
  // Beyond Chaos Mesh: go-units lets infinity and NaN through, which no allocation can honour.
  if (!Number.isFinite(value)) return { ok: false, message: `${JSON.stringify(size)} is not a finite size` };
  return { ok: true, size: { bytes: bytesOf(value, suffix) } };
}

/**
 * Checks a size as Chaos Mesh's webhook does (its messages), and refuses beyond it what it admits
 * but cannot work: nothing to allocate (0, 0%, 0MB), or no finite amount.
 */
export function checkMemorySize(size: string): SizeCheck {
  const checked = size.endsWith('%') ? checkPercent(size.slice(0, -1)) : checkBytes(size);
  if (!checked.ok) return checked;
  const amount = 'bytes' in checked.size ? checked.size.bytes : checked.size.percent;
  if (amount === 0)
    return {
      ok: false,
      message: `a size of ${JSON.stringify(size)} allocates nothing: nothing would be stressed`,
    };
  return checked;
}

/** The bytes a valid size stands for in a container whose memory limit is `limitBytes`. */
export function sizeInBytes(size: MemorySize, limitBytes: number): number {
  return 'bytes' in size ? size.bytes : Math.floor((limitBytes * size.percent) / 100);
}

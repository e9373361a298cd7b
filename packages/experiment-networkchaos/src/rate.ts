// SPDX-License-Identifier: Apache-2.0
// Rates as Chaos Mesh accepts them (networkchaos_webhook.go isValidRateUnit): case and spaces
// ignored, an unsigned integer, then one of tc's units. tc reads `bps` as bytes per second and
// `bit` as bits per second, with SI prefixes.

/** The units, in the order Chaos Mesh tries them (`mbps` before `bps`, `kbit` before `bit`). */
const UNITS = ['kbit', 'mbit', 'gbit', 'tbit', 'tbps', 'gbps', 'mbps', 'kbps', 'bps', 'bit'] as const;

const BITS_PER_UNIT: Record<(typeof UNITS)[number], number> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
  bps: 8,
  kbps: 8e3,
  mbps: 8e6,
  gbps: 8e9,
  tbps: 8e12,
};

/** A parsed rate: tc's spelling (`100kbps`) and bits per second. */
export interface Rate {
  tc: string;
  bitsPerSecond: number;
}

/**
 * Parses a rate, or returns Chaos Mesh's message (`parse rate field error:invalid unit`,
 * `parse rate field error:strconv.ParseUint: parsing "1.5": invalid syntax`).
 */
export function parseRate(text: string): Rate | string {
  const lower = text.trim().toLowerCase();
  const unit = UNITS.find(u => lower.endsWith(u));
  if (unit === undefined) return 'parse rate field error:invalid unit';
  const digits = lower.slice(0, -unit.length).trim();
  if (!/^\d+$/.test(digits))
    return `parse rate field error:strconv.ParseUint: parsing ${JSON.stringify(digits)}: invalid syntax`;
  if (BigInt(digits) > 18446744073709551615n)
    return `parse rate field error:strconv.ParseUint: parsing ${JSON.stringify(digits)}: value out of range`;
  const value = BigInt(digits);
  return { tc: `${value}${unit}`, bitsPerSecond: Number(value) * BITS_PER_UNIT[unit] };
}

// SPDX-License-Identifier: Apache-2.0
// Chaos Mesh's cron syntax (robfig/cron v3.0.1 with optional seconds and descriptors): what it
// accepts, what it refuses with which message, and the times it gives.
import { describe, expect, it } from '@jest/globals';
import { nextRuns, parseCronSchedule } from '../src/cron/parseCronSchedule.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number[]) => ms.map(t => new Date(t).toISOString());

describe('parseCronSchedule', () => {
  it('@every counts whole seconds from the previous run, sub-seconds dropped', () => {
    const s = parseCronSchedule('@every 5s');
    expect(s.next(at('2026-01-01T00:00:00.700Z'))).toBe(at('2026-01-01T00:00:05Z'));
    expect(parseCronSchedule('@every 1m30s').next(at('2026-01-01T00:00:00Z'))).toBe(
      at('2026-01-01T00:01:30Z'),
    );
    // Less than a second is a second.
    expect(parseCronSchedule('@every 10ms').next(at('2026-01-01T00:00:00Z'))).toBe(
      at('2026-01-01T00:00:01Z'),
    );
  });

  it('five fields, or six with seconds first', () => {
    expect(iso(nextRuns(parseCronSchedule('TZ=UTC */15 * * * *'), at('2026-01-01T00:07:00Z'), 2))).toEqual([
      '2026-01-01T00:15:00.000Z',
      '2026-01-01T00:30:00.000Z',
    ]);
    expect(iso(nextRuns(parseCronSchedule('TZ=UTC */1 * * * * *'), at('2026-01-01T00:00:00Z'), 2))).toEqual([
      '2026-01-01T00:00:01.000Z',
      '2026-01-01T00:00:02.000Z',
    ]);
  });

  it('descriptors, names, ranges, a/n and ?', () => {
    const next = (expr: string, from: string) =>
      new Date(parseCronSchedule(expr).next(at(from))!).toISOString();
    expect(next('CRON_TZ=UTC @midnight', '2026-01-01T10:00:00Z')).toBe('2026-01-02T00:00:00.000Z');
    expect(next('TZ=UTC @hourly', '2026-01-01T10:10:00Z')).toBe('2026-01-01T11:00:00.000Z');
    expect(next('TZ=UTC @weekly', '2026-01-01T10:10:00Z')).toBe('2026-01-04T00:00:00.000Z');
    expect(next('TZ=UTC @yearly', '2026-03-01T00:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('TZ=UTC 0 9 * JAN-mar mon-FRI', '2026-01-02T10:00:00Z')).toBe('2026-01-05T09:00:00.000Z');
    // 5/20 means 5-59/20.
    expect(next('TZ=UTC 5/20 * * * ?', '2026-01-01T00:06:00Z')).toBe('2026-01-01T00:25:00.000Z');
  });

  it("reads numbers as Go's strconv.Atoi: a + sign and leading zeros", () => {
    expect(parseCronSchedule('TZ=UTC +05 009 * * *').next(at('2026-01-01T00:00:00Z'))).toBe(
      at('2026-01-01T09:05:00Z'),
    );
  });

  it('a TZ= prefix computes in that zone', () => {
    const s = parseCronSchedule('TZ=Asia/Tokyo 0 9 * * *');
    expect(s.timeZone).toBe('Asia/Tokyo');
    expect(new Date(s.next(at('2026-01-01T01:00:00Z'))!).toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });

  it.each([
    ['', 'empty spec string'],
    ['* * * *', 'expected 5 to 6 fields, found 4: [* * * *]'],
    ['* * * * * * *', 'expected 5 to 6 fields, found 7'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['@every five', 'failed to parse duration @every five'],
    ['x * * * *', 'failed to parse int from x'],
    ['61 * * * *', 'end of range (61) above maximum (59): 61'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['*/2/3 * * * *', 'too many slashes: */2/3'],
    ['*/0 * * * *', 'step of range should be a positive number'],
    ['*/9223372036854775808 * * * *', 'failed to parse int from 9223372036854775808: value out of range'],
    ['TZ=Mars/Olympus * * * * *', 'provided bad location Mars/Olympus'],
  ])('refuses %j: %s', (expression, message) => {
    expect(() => parseCronSchedule(expression)).toThrow(message);
  });
});

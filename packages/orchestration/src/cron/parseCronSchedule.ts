// SPDX-License-Identifier: Apache-2.0
// Chaos Mesh's cron syntax: robfig/cron v3.0.1 built with SecondOptional | Minute | Hour | Dom |
// Month | Dow | Descriptor. Five fields, or six with seconds first; `*`, `?`, numbers, names,
// `a-b`, `*/n`, `a-b/n`, `a/n` (= a-max/n), lists; the descriptors @yearly … @hourly and
// `@every <Go duration>`; a `TZ=` or `CRON_TZ=` prefix. This module checks that grammar with
// robfig's error texts, so exactly what Chaos Mesh accepts is accepted, then hands the
// normalised expression to croner for the calendar arithmetic (time zones, DST, day-of-month
// OR day-of-week). `@every` is plain arithmetic and never reaches croner.
import { Cron } from 'croner';
import { ChaosplaneError } from '@chaosplane/sdk';
import { parseDurationNanos } from '@chaosplane/sdk/framework';

/** A parsed schedule: the next activation strictly after a time. */
export interface CronSchedule {
  /** The expression as written. */
  readonly expression: string;
  /** The IANA zone of a `TZ=`/`CRON_TZ=` prefix; the process's local zone when undefined. */
  readonly timeZone: string | undefined;
  /** The first activation after `after` (ms since the epoch); undefined when there is none. */
  next(after: number): number | undefined;
}

/** One field of the robfig grammar: its bounds and names. */
interface FieldBounds {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const SECOND: FieldBounds = { name: 'second', min: 0, max: 59 };
const FIELDS: readonly FieldBounds[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 6, names: DAYS },
];

/** robfig's descriptors, as six-field expressions. */
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

const invalid = (message: string) => new ChaosplaneError('invalid', message, { field: 'schedule' });

/** Go's largest int, the bound of strconv.Atoi on a 64-bit machine. */
const MAX_INT64 = (1n << 63n) - 1n;

/**
 * A number of a field (`5`, `jan`), robfig's way: names case-insensitive, else what Go's
 * strconv.Atoi reads (an optional `+`, leading zeros, within int64) and not negative.
 */
function parseValue(text: string, bounds: FieldBounds): number {
  const named = bounds.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\+?\d+$/.test(text)) throw invalid(`failed to parse int from ${text}: invalid syntax`);
  if (BigInt(text) > MAX_INT64) throw invalid(`failed to parse int from ${text}: value out of range`);
  return Number(text);
}

/** The bounds a range part (`*`, `?`, `5`, `1-5`, `jan-mar`) covers, and whether it is a star. */
function parseRange(range: string, bounds: FieldBounds): { start: number; end: number; star: boolean } {
  if (range === '*' || range === '?') return { start: bounds.min, end: bounds.max, star: true };
  const hyphens = range.split('-');
  if (hyphens.length > 2) throw invalid(`too many hyphens: ${range}`);
  const start = parseValue(hyphens[0]!, bounds);
  return { start, end: hyphens.length === 2 ? parseValue(hyphens[1]!, bounds) : start, star: false };
}

/** One comma-separated part of a field, normalised for croner (`a/n` → `a-max/n`, `?` → `*`). */
function normalisePart(part: string, bounds: FieldBounds): string {
  const slashes = part.split('/');
  if (slashes.length > 2) throw invalid(`too many slashes: ${part}`);
  const [range = '', stepText] = slashes;
  const { start, star } = parseRange(range, bounds);
  let { end } = parseRange(range, bounds);
  const step = stepText === undefined ? 1 : parseValue(stepText, bounds);
  // "N/step" means "N-max/step".
  if (stepText !== undefined && !star && !range.includes('-')) end = bounds.max;
  if (step <= 0) throw invalid('step of range should be a positive number');
  if (start < bounds.min)
    throw invalid(`beginning of range (${start}) below minimum (${bounds.min}): ${part}`);
  if (end > bounds.max) throw invalid(`end of range (${end}) above maximum (${bounds.max}): ${part}`);
  if (start > end) throw invalid(`beginning of range (${start}) beyond end of range (${end}): ${part}`);
  if (star) return stepText === undefined ? '*' : `*/${step}`;
  if (stepText === undefined) return start === end ? String(start) : `${start}-${end}`;
  return `${start}-${end}/${step}`;
}

/** A field (`1,5-10/2`) checked and normalised. */
function normaliseField(field: string, bounds: FieldBounds): string {
  return field
    .split(',')
    .map(part => normalisePart(part, bounds))
    .join(',');
}

/** Splits a `TZ=zone ` / `CRON_TZ=zone ` prefix off; checks the zone. */
function splitTimeZone(spec: string): { timeZone: string | undefined; rest: string } {
  const match = /^(?:CRON_TZ|TZ)=(\S*)(?:\s+|$)/.exec(spec);
  if (!match) return { timeZone: undefined, rest: spec };
  const zone = match[1]!;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw invalid(`provided bad location ${zone}: unknown time zone ${zone}`);
  }
  return { timeZone: zone, rest: spec.slice(match[0].length) };
}

/** `@every <Go duration>`: whole seconds (at least one), counted from the previous run. */
function everySchedule(expression: string, text: string, timeZone: string | undefined): CronSchedule {
  let nanos: bigint;
  try {
    nanos = parseDurationNanos(text);
  } catch (error) {
    throw invalid(`failed to parse duration @every ${text}: ${(error as Error).message}`);
  }
  const seconds = nanos < 1_000_000_000n ? 1 : Number(nanos / 1_000_000_000n);
  return {
    expression,
    timeZone,
    next: after => Math.floor(after / 1000) * 1000 + seconds * 1000,
  };
}

/** The six-field expression croner gets for the fields of `text`. */
function normaliseFields(text: string): string {
  const fields = text.split(/\s+/).filter(Boolean);
  if (fields.length === 0) throw invalid('empty spec string');
  if (fields.length < 5 || fields.length > 6)
    throw invalid(`expected 5 to 6 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const withSeconds = fields.length === 6 ? fields : ['0', ...fields];
  return withSeconds.map((field, i) => normaliseField(field, i === 0 ? SECOND : FIELDS[i - 1]!)).join(' ');
}

/**
 * Parses a Chaos Mesh schedule. Throws a ChaosplaneError of kind `invalid` with robfig/cron's
 * message when the expression is not one Chaos Mesh accepts.
 */
export function parseCronSchedule(expression: string): CronSchedule {
  const { timeZone, rest } = splitTimeZone(expression.trim());
  const spec = rest.trim();
  if (spec === '') throw invalid('empty spec string');
  if (spec.startsWith('@every '))
    return everySchedule(expression, spec.slice('@every '.length).trim(), timeZone);
  let pattern: string;
  if (spec.startsWith('@')) {
    const descriptor = DESCRIPTORS[spec];
    if (descriptor === undefined) throw invalid(`unrecognized descriptor: ${spec}`);
    pattern = descriptor;
  } else pattern = normaliseFields(spec);
  // croner's default combines day of month OR day of week when both are restricted, as Vixie
  // cron and robfig do.
  const cron = new Cron(pattern, { paused: true, ...(timeZone ? { timezone: timeZone } : {}) });
  return {
    expression,
    timeZone,
    next(after) {
      return cron.nextRun(new Date(after))?.getTime();
    },
  };
}

/** The next `count` activations after `after` (ms since the epoch). */
export function nextRuns(schedule: CronSchedule, after: number, count: number): number[] {
  const runs: number[] = [];
  let at = after;
  while (runs.length < count) {
    const next = schedule.next(at);
    if (next === undefined) break;
    runs.push(next);
    at = next;
  }
  return runs;
}

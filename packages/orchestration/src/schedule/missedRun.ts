// SPDX-License-Identifier: Apache-2.0
// Which run is due (Chaos Mesh's getRecentUnmetScheduleTime, from the CronJob controller): the
// most recent tick after the last run (or the creation) that has passed. Earlier missed ticks
// are dropped. With startingDeadlineSeconds, a tick older than the deadline is never run; it is
// returned as `tooLate`, so the controller can say it skipped it.
import type { CronSchedule } from '../cron/parseCronSchedule.js';

/** At most this many ticks are walked (Chaos Mesh's limit). */
const MAX_MISSED = 100;

/** The due run, the next one, and a skipped one. */
export interface UnmetRuns {
  /** The most recent passed tick to run now, if any. */
  missed?: number;
  /** The tick after (when to look again). */
  next?: number;
  /** The most recent tick skipped for being older than startingDeadlineSeconds. */
  tooLate?: number;
  /** Why no time could be computed (Chaos Mesh's messages). */
  error?: string;
}

/** The last tick in (from, until], walking at most MAX_MISSED ticks; `tooMany` when cut. */
function lastTick(schedule: CronSchedule, from: number, until: number): { last?: number; tooMany: boolean } {
  let last: number | undefined;
  let t = schedule.next(from);
  for (let count = 0; t !== undefined && t <= until; count += 1) {
    if (count >= MAX_MISSED) return { ...(last !== undefined ? { last } : {}), tooMany: true };
    last = t;
    t = schedule.next(t);
  }
  return { ...(last !== undefined ? { last } : {}), tooMany: false };
}

/**
 * The runs of a schedule at `now`: `lastRun` is `status.time` (else the creation time);
 * `deadlineSeconds` is startingDeadlineSeconds. Ticks are walked from the last run (so an
 * `@every` keeps its rhythm); the most recent passed one is due, unless it is older than the
 * deadline: then it is `tooLate` and nothing runs until the next tick. Only when more than 100
 * ticks passed does the walk start at the deadline instead (Chaos Mesh's clamp), and without
 * a deadline that is Chaos Mesh's "too many missed start time" error.
 */
export function unmetRuns(
  schedule: CronSchedule,
  lastRun: number,
  now: number,
  deadlineSeconds: number | null | undefined,
): UnmetRuns {
  if (lastRun > now) {
    return {
      error: `earliestTime is later than now: earliestTime: ${new Date(lastRun).toISOString()}, now: ${new Date(now).toISOString()}`,
    };
  }
  const hasDeadline = deadlineSeconds !== null && deadlineSeconds !== undefined;
  const oldestAllowed = hasDeadline ? now - deadlineSeconds * 1000 : -Infinity;
  let due = lastTick(schedule, lastRun, now);
  let tooLate: number | undefined;
  if (due.tooMany) {
    if (!hasDeadline)
      return {
        error:
          'too many missed start time (> 100). Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      };
    tooLate = due.last;
    due = lastTick(schedule, oldestAllowed - 1, now);
    if (due.tooMany)
      return {
        error:
          'too many missed start time (> 100). Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      };
  }
  const out: UnmetRuns = {};
  if (due.last !== undefined && due.last < oldestAllowed) tooLate = due.last;
  else if (due.last !== undefined) out.missed = due.last;
  if (tooLate !== undefined) out.tooLate = tooLate;
  const next = schedule.next(due.last ?? lastRun);
  if (next !== undefined) out.next = next;
  return out;
}
/** A time as Go's RFC1123Z (`Mon, 02 Jan 2006 15:04:05 -0700`), in UTC. */
export function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]!;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
    d.getUTCMonth()
  ]!;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${day}, ${pad(d.getUTCDate())} ${month} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

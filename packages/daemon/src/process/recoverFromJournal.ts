// SPDX-License-Identifier: Apache-2.0
// What a daemon does at start with what its predecessor left: short commands still running
// mid-call are killed; journaled processes are killed or adopted; changes are undone (their
// deadline passed, or their apply never finished) or adopted; contributions to shared states are
// dropped or adopted the same way, and each state is rendered again from what is left.
import type { JournalEntry } from '../journal/createJournal.js';
import type { JournalRecoveryReport } from './createProcessManager.js';
import { removeEntryFiles, type Tracked } from './createTrackedEntries.js';
import { killProcessTree } from './killProcessTree.js';
import { PROCESS_UID_ENV, RUN_OWNER_ENV, type ManagerContext } from './managerContext.js';
import { findProcessesByEnv, isSameProcess } from './procStat.js';

/** True while any process of a process entry lives: its leader, or anything carrying its marker. */
export function processEntryAlive(entry: JournalEntry): boolean {
  return (
    (entry.pid !== undefined && entry.startTime !== undefined && isSameProcess(entry.pid, entry.startTime)) ||
    findProcessesByEnv(PROCESS_UID_ENV, entry.uid).length > 0
  );
}

function pollAdopted(ctx: ManagerContext, t: Tracked): void {
  t.poller = setInterval(() => {
    if (!processEntryAlive(t.entry)) ctx.entries.forget(t, 'exited');
  }, ctx.pollIntervalMs);
}

async function recoverProcess(
  ctx: ManagerContext,
  entry: JournalEntry,
  report: JournalRecoveryReport,
  expired: boolean,
) {
  const alive = processEntryAlive(entry);
  if (alive && entry.onRestart === 'adopt' && !expired) {
    pollAdopted(ctx, ctx.entries.track(entry, 'adopted'));
    report.adopted.push(entry.uid);
  } else if (alive) {
    await ctx.killEntry(entry);
    ctx.journal.append({ op: 'end', uid: entry.uid, reason: 'killed-on-restart' });
    removeEntryFiles(ctx, entry.uid);
    report.killed.push(entry.uid);
  } else {
    ctx.journal.append({ op: 'end', uid: entry.uid, reason: 'gone-on-restart' });
    removeEntryFiles(ctx, entry.uid);
    report.gone.push(entry.uid);
  }
}

async function recoverChange(
  ctx: ManagerContext,
  entry: JournalEntry,
  report: JournalRecoveryReport,
  expired: boolean,
) {
  // Its apply was cut short (a crash while it ran): the change may be half made. It is undone,
  // and the controller's call, which failed with the crash, applies it again.
  if (entry.applied === false) {
    await ctx.undo(entry);
    ctx.journal.append({ op: 'end', uid: entry.uid, reason: 'unapplied-undone-on-restart' });
    report.unapplied.push(entry.uid);
  } else if (expired) {
    await ctx.undo(entry);
    ctx.journal.append({ op: 'end', uid: entry.uid, reason: 'recovered-on-restart' });
    report.recovered.push(entry.uid);
  } else {
    ctx.entries.track(entry, 'adopted');
    report.adopted.push(entry.uid);
  }
}

/** Kills the short commands a crashed predecessor left running (leaves first: no zombies). */
async function killOrphanedRuns(ctx: ManagerContext): Promise<number[]> {
  const owner = ctx.runEnv[RUN_OWNER_ENV]!;
  const orphans = findProcessesByEnv(RUN_OWNER_ENV, owner);
  if (orphans.length > 0)
    await killProcessTree(() => findProcessesByEnv(RUN_OWNER_ENV, owner), { graceMs: 0 });
  return orphans;
}

/** Contributions: adopted while applied and unexpired, else withdrawn; every scope rendered again. */
async function recoverContributions(
  ctx: ManagerContext,
  entries: JournalEntry[],
  report: JournalRecoveryReport,
) {
  if (entries.length === 0) return;
  const outcome = await ctx.states.recover(ctx, entries);
  report.adopted.push(...outcome.adopted);
  report.recovered.push(...outcome.dropped);
  report.gone.push(...outcome.gone);
  report.failed.push(...outcome.failed);
}

/** Handles what a previous daemon left (see `ProcessManager.recoverFromJournal`). */
export async function recoverFromJournal(ctx: ManagerContext): Promise<JournalRecoveryReport> {
  const report: JournalRecoveryReport = {
    killed: [],
    adopted: [],
    recovered: [],
    unapplied: [],
    gone: [],
    orphanedRuns: [],
    failed: [],
  };
  // Called before this daemon runs anything: every marked short command is a predecessor's.
  // They go first, so an apply still running can never finish after its undo.
  report.orphanedRuns = await killOrphanedRuns(ctx);
  try {
    const active = ctx.journal.active().filter(entry => !ctx.entries.get(entry.uid));
    await recoverContributions(
      ctx,
      active.filter(entry => entry.type === 'contribution'),
      report,
    );
    for (const entry of active) {
      if (entry.type === 'contribution') continue;
      const expired = entry.deadlineMs !== undefined && entry.deadlineMs <= Date.now();
      try {
        if (entry.type === 'process') await recoverProcess(ctx, entry, report, expired);
        else await recoverChange(ctx, entry, report, expired);
      } catch (error) {
        // One bad entry must neither stop the daemon from starting nor skip the others.
        report.failed.push({ uid: entry.uid, error: String(error) });
        ctx.logger.error('could not recover a journal entry at start; it stays in the journal', {
          uid: entry.uid,
          identifier: entry.identifier,
          error: String(error),
        });
        // A change stays tracked, its undo due now and retried every 5 s.
        if (entry.type === 'change' && !ctx.entries.get(entry.uid))
          ctx.entries.track(
            { ...entry, deadlineMs: Math.min(entry.deadlineMs ?? Date.now(), Date.now()) },
            'adopted',
          );
      }
    }
  } finally {
    ctx.journal.compact();
  }
  ctx.logger.info('journal replayed', { ...report });
  return report;
}

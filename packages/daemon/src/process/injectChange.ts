// SPDX-License-Identifier: Apache-2.0
// Lasting changes (a tc qdisc, a file): the undo is journaled before the apply runs, the apply's
// success is journaled after it exits 0, and the daemon undoes the change at its deadline, on
// cancel, or after a crash. A change whose apply never finished is undone, never adopted.
import { randomUUID } from 'node:crypto';
import { ChaosplaneError } from '@chaosplane/sdk';
import type { JournalEntry } from '../journal/createJournal.js';
import { commandArgv, commandFailed } from './commandTarget.js';
import type { InjectChangeOptions } from './createProcessManager.js';
import { infoOf, type TrackedInfo } from './createTrackedEntries.js';
import type { ManagerContext } from './managerContext.js';
import { type NamespaceIds, readNamespaceIds } from './namespaceIdentity.js';
import { validateArgv, validateNamespaces, validateRunAs } from './namespaces.js';
import { processStartTime } from './procStat.js';
import { runCommand } from './runCommand.js';
import { deadlineOf } from './trackingOptions.js';

/** The identity of the target's process and namespaces, so the undo never enters another one. */
function targetIdentity(pid: number | undefined, namespaces: InjectChangeOptions['namespaces']) {
  if (pid === undefined) return {};
  const targetStartTime = processStartTime(pid);
  const namespaceIds: NamespaceIds | undefined = readNamespaceIds(pid, namespaces ?? []);
  if (targetStartTime === undefined || namespaceIds === undefined) {
    throw new ChaosplaneError('not-found', `target process ${pid} does not exist`, { field: 'pid' });
  }
  return { targetStartTime, namespaceIds };
}

/** The journal entry of a change about to be applied, its undo fully described. */
function changeEntry(opts: InjectChangeOptions, undoArgv: string[]): JournalEntry {
  const deadlineMs = deadlineOf(opts);
  const namespaces = validateNamespaces(opts.namespaces ?? []);
  const runAs = validateRunAs(opts.runAs);
  const pid = opts.pid;
  return {
    uid: randomUUID(),
    type: 'change',
    identifier: opts.identifier,
    argv: [],
    ...(pid !== undefined ? { targetPid: pid } : {}),
    namespaces,
    undo: {
      argv: [...undoArgv],
      ...(opts.undo.stdin !== undefined ? { stdin: opts.undo.stdin } : {}),
      ...(opts.execIn !== undefined ? { execIn: opts.execIn } : {}),
      ...(pid !== undefined ? { targetPid: pid } : {}),
      ...targetIdentity(pid, namespaces),
      namespaces,
      ...(runAs ? { runAs } : {}),
    },
    startedAtMs: Date.now(),
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    ...(opts.chaos ? { chaos: { ...opts.chaos } } : {}),
    onRestart: 'adopt',
    applied: false,
  };
}

/** Runs the apply command (nsenter, or exec in the container); a non-zero exit is kind `command`. */
async function runApply(ctx: ManagerContext, opts: InjectChangeOptions, applyArgv: string[]): Promise<void> {
  const stdin = opts.apply.stdin;
  const signal = opts.signal;
  const result =
    opts.execIn !== undefined
      ? await ctx.exec!(opts.execIn, {
          argv: applyArgv,
          ...(stdin !== undefined ? { stdin } : {}),
          ...(signal ? { signal } : {}),
        })
      : await runCommand(commandArgv(ctx.nsenter, { ...opts, argv: applyArgv }), {
          env: ctx.runEnv,
          ...(stdin !== undefined ? { stdin } : {}),
          ...(signal ? { signal } : {}),
        });
  if (result.exitCode !== 0) throw commandFailed('apply', applyArgv, result);
}

function checkExecTarget(ctx: ManagerContext, opts: InjectChangeOptions): void {
  if (opts.execIn === undefined) return;
  if (opts.pid !== undefined || (opts.namespaces ?? []).length > 0 || opts.runAs !== undefined) {
    throw new ChaosplaneError(
      'invalid',
      'execIn runs in the container as its own user: leave pid, namespaces and runAs unset',
      {
        field: 'execIn',
      },
    );
  }
  if (ctx.exec === undefined) {
    throw new ChaosplaneError('runtime', 'no container runtime is configured to exec in', {
      field: 'execIn',
    });
  }
}

/**
 * After an apply failed and its undo failed too, the change may be half-applied: the entry
 * must outlive the call, or nothing would ever undo it. It stays in the journal, its deadline
 * moved to now (so a restarted daemon undoes it at start), and stays tracked (so `cancel`,
 * `recoverAll` and `close({recover})` find it), retrying the undo every 5 s until it succeeds.
 * It keeps its identifier: a restarted daemon re-adopts journal entries under their
 * identifiers, so releasing it now would let a retried apply start a second live entry with
 * the same identifier. Until the undo succeeds, an injectChange with it fails with `conflict`,
 * naming this entry. Returns the error for the caller: the apply's, with the undo's appended.
 */
function keepUndoPending(
  ctx: ManagerContext,
  entry: JournalEntry,
  applyError: unknown,
  undoError: unknown,
): ChaosplaneError {
  const dueMs = Date.now();
  try {
    ctx.journal.append({ op: 'deadline', uid: entry.uid, deadlineMs: dueMs });
  } catch (journalError) {
    // The entry is still journaled, with its first deadline: a restarted daemon undoes it.
    ctx.logger.error('could not journal the undo of a failed apply as due now', {
      uid: entry.uid,
      error: String(journalError),
    });
  }
  // track() armed the deadline, which has passed: the first retry waits like any other.
  ctx.entries.retryLater(ctx.entries.track({ ...entry, deadlineMs: dueMs }, 'running'));
  ctx.logger.error('apply failed and so did its undo; the change stays journaled and the undo is retried', {
    uid: entry.uid,
    identifier: entry.identifier,
    applyError: String(applyError),
    undoError: String(undoError),
  });
  const applyMessage = applyError instanceof Error ? applyError.message : String(applyError);
  const field = ChaosplaneError.is(applyError) ? applyError.field : undefined;
  return new ChaosplaneError(
    ChaosplaneError.is(applyError) ? applyError.kind : 'command',
    `${applyMessage}; undoing what it may have changed failed too (${undoError instanceof Error ? undoError.message : String(undoError)}): ` +
      `change ${entry.uid} stays journaled under identifier ${JSON.stringify(entry.identifier)} and its undo is retried every 5 s`,
    { cause: applyError, ...(field !== undefined ? { field } : {}) },
  );
}

/** Applies a change (see `ProcessManager.injectChange`). */
export async function injectChange(ctx: ManagerContext, opts: InjectChangeOptions): Promise<TrackedInfo> {
  const applyArgv = validateArgv(opts.apply?.argv, 'apply.argv');
  const undoArgv = validateArgv(opts.undo?.argv, 'undo.argv');
  checkExecTarget(ctx, opts);
  if (opts.execIn === undefined) commandArgv(ctx.nsenter, { ...opts, argv: applyArgv });
  const entry = changeEntry(opts, undoArgv);
  ctx.entries.reserve(opts.identifier);
  // The undo is on disk before the change exists; if it cannot be written, nothing happened.
  try {
    ctx.journal.append({ op: 'begin', entry });
  } catch (error) {
    ctx.entries.release(opts.identifier);
    throw error;
  }
  try {
    await runApply(ctx, opts, applyArgv);
  } catch (error) {
    // Half-applied changes are possible: undo, then report the apply failure either way.
    try {
      await ctx.undo(entry);
    } catch (undoError) {
      throw keepUndoPending(ctx, entry, error, undoError);
    }
    ctx.entries.release(opts.identifier);
    ctx.journal.append({ op: 'end', uid: entry.uid, reason: 'apply-failed' });
    throw error;
  }
  ctx.journal.append({ op: 'applied', uid: entry.uid });
  const t = ctx.entries.track({ ...entry, applied: true }, 'running');
  ctx.logger.info('injected change', { uid: entry.uid, identifier: opts.identifier, targetPid: opts.pid });
  return infoOf(t);
}

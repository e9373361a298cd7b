// SPDX-License-Identifier: Apache-2.0
// Long-running processes (a stressor, a tc holder): journaled before they start, in a process
// group of their own, killed at their deadline by the daemon itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ChaosplaneError } from '@chaosplane/sdk';
import type { JournalEntry } from '../journal/createJournal.js';
import { commandArgv } from './commandTarget.js';
import type { ManagedProcess, StartManagedOptions } from './createProcessManager.js';
import { infoOf, removeEntryFiles, type Tracked } from './createTrackedEntries.js';
import { DEFAULT_PATH, PROCESS_UID_ENV, type ManagerContext } from './managerContext.js';
import { validateNamespaces, type RunAs } from './namespaces.js';
import { placementArgv, waitForPlacement } from './processPlacement.js';
import { processStartTime } from './procStat.js';
import { deadlineOf } from './trackingOptions.js';

/** How long the placement prologue may take before the start fails. */
const PLACEMENT_TIMEOUT_MS = 10_000;

/**
 * The process's own empty working directory, removed when it ends: never the daemon's (a stressor
 * writing scratch files must not write them there). Writable by the user it runs as: root's
 * alone, or, for another user (the daemon cannot chown without CAP_CHOWN), sticky and writable by
 * all, though reachable only through the process's own working directory (its parent is 0700).
 */
function createWorkDir(ctx: ManagerContext, uid: string, runAs: RunAs | undefined): string {
  const dir = path.join(ctx.workDir, uid);
  mkdirSync(dir, { mode: 0o700 });
  if (runAs !== undefined && runAs.uid !== 0) chmodSync(dir, 0o1777);
  return dir;
}

/** Spawns `argv` detached (its own group, so it is killed as a group and outlives a daemon crash). */
async function spawnDetached(
  ctx: ManagerContext,
  argv: string[],
  uid: string,
  options: { cwd: string; report: boolean },
): Promise<ChildProcess> {
  const logFd = openSync(path.join(ctx.logDir, `${uid}.log`), 'a', 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), {
      shell: false,
      detached: true,
      cwd: options.cwd,
      env: { PATH: DEFAULT_PATH, [PROCESS_UID_ENV]: uid },
      // fd 3: the placement prologue reports there once the process is where it belongs.
      stdio: ['ignore', logFd, logFd, ...(options.report ? (['pipe'] as const) : [])],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return child;
  } finally {
    closeSync(logFd);
  }
}

/** Waits for the placement report; a process that could not be placed is ended and its output thrown. */
async function confirmPlacement(ctx: ManagerContext, t: Tracked, child: ChildProcess): Promise<void> {
  if (await waitForPlacement(child.stdio[3] as Readable, PLACEMENT_TIMEOUT_MS)) return;
  // The prologue exited saying what it could not do (or hung): nothing of the command has run.
  await ctx.entries.end(t, 'start-failed').catch(() => undefined);
  const { output } = await t.exited;
  throw new ChaosplaneError(
    'command',
    `could not place ${JSON.stringify(t.entry.argv[0])} in its cgroups before it ran: ${output.trim() || `no report within ${PLACEMENT_TIMEOUT_MS} ms`}`,
    { field: 'placement' },
  );
}

/** Starts a managed process (see `ProcessManager.startManaged`). */
export async function startManagedProcess(
  ctx: ManagerContext,
  opts: StartManagedOptions,
): Promise<ManagedProcess> {
  const command = commandArgv(ctx.nsenter, opts);
  const argv = opts.placement ? placementArgv(opts.placement, command, ctx.nsenter) : command;
  const deadlineMs = deadlineOf(opts);
  ctx.entries.reserve(opts.identifier);
  const uid = randomUUID();
  const entry: JournalEntry = {
    uid,
    type: 'process',
    identifier: opts.identifier,
    argv: [...opts.argv],
    ...(opts.pid !== undefined ? { targetPid: opts.pid } : {}),
    namespaces: validateNamespaces(opts.namespaces ?? []),
    ...(opts.runAs ? { runAs: { uid: opts.runAs.uid, gid: opts.runAs.gid } } : {}),
    startedAtMs: Date.now(),
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    ...(opts.chaos ? { chaos: { ...opts.chaos } } : {}),
    onRestart: opts.onRestart ?? 'kill',
  };
  let child: ChildProcess;
  try {
    ctx.journal.append({ op: 'begin', entry });
    const cwd = createWorkDir(ctx, uid, opts.runAs);
    child = await spawnDetached(ctx, argv, uid, { cwd, report: opts.placement !== undefined });
  } catch (error) {
    ctx.entries.release(opts.identifier);
    if (ctx.journal.active().some(e => e.uid === uid))
      ctx.journal.append({ op: 'end', uid, reason: 'start-failed' });
    removeEntryFiles(ctx, uid);
    const code = (error as NodeJS.ErrnoException).code;
    throw new ChaosplaneError(
      code === 'ENOENT' ? 'not-found' : 'internal',
      `could not start ${JSON.stringify(argv[0])}: ${(error as Error).message}`,
      { cause: error, field: 'argv' },
    );
  }
  const pid = child.pid!;
  const startTime = processStartTime(pid) ?? '0';
  ctx.journal.append({ op: 'spawned', uid, pid, startTime });
  const t = ctx.entries.track({ ...entry, pid, startTime }, 'running', child);
  child.on('exit', (code, signal) => {
    t.exit = { code, signal };
    // Ended by itself (or by us): once its group is gone too, forget it.
    if (!t.ending) void ctx.entries.end(t, 'exited').catch(() => undefined);
  });
  if (opts.placement) await confirmPlacement(ctx, t, child);
  ctx.logger.info('started managed process', { uid, identifier: opts.identifier, pid, argv: opts.argv });
  return { ...infoOf(t), exited: t.exited };
}

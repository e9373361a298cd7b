// SPDX-License-Identifier: Apache-2.0
// Long-running processes (a stressor, a tc holder): journaled before they start, in a process
// group of their own, killed at their deadline by the daemon itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ChaosplaneError } from '@chaosplane/sdk';
import type { JournalEntry } from '../journal/createJournal.js';
import { commandArgv } from './commandTarget.js';
import type { ManagedProcess, StartManagedOptions } from './createProcessManager.js';
import { infoOf } from './createTrackedEntries.js';
import { DEFAULT_PATH, PROCESS_UID_ENV, type ManagerContext } from './managerContext.js';
import { validateNamespaces } from './namespaces.js';
import { processStartTime } from './procStat.js';
import { deadlineOf } from './trackingOptions.js';

/** Spawns `argv` detached (its own group, so it is killed as a group and outlives a daemon crash). */
async function spawnDetached(ctx: ManagerContext, argv: string[], uid: string): Promise<ChildProcess> {
  const logFd = openSync(path.join(ctx.logDir, `${uid}.log`), 'a', 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), {
      shell: false,
      detached: true,
      env: { PATH: DEFAULT_PATH, [PROCESS_UID_ENV]: uid },
      stdio: ['ignore', logFd, logFd],
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

/** Starts a managed process (see `ProcessManager.startManaged`). */
export async function startManagedProcess(
  ctx: ManagerContext,
  opts: StartManagedOptions,
): Promise<ManagedProcess> {
  const argv = commandArgv(ctx.nsenter, opts);
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
    child = await spawnDetached(ctx, argv, uid);
  } catch (error) {
    ctx.entries.release(opts.identifier);
    if (ctx.journal.active().some(e => e.uid === uid))
      ctx.journal.append({ op: 'end', uid, reason: 'start-failed' });
    rmSync(path.join(ctx.logDir, `${uid}.log`), { force: true });
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
  child.on('exit', () => {
    // Ended by itself (or by us): once its group is gone too, forget it.
    if (!t.ending) void ctx.entries.end(t, 'exited').catch(() => undefined);
  });
  ctx.logger.info('started managed process', { uid, identifier: opts.identifier, pid, argv: opts.argv });
  return { ...infoOf(t), exited: t.exited };
}

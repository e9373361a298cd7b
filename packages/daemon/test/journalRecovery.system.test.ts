// SPDX-License-Identifier: Apache-2.0
// The journal across a daemon crash: a real child daemon (the compiled package, see
// fixtures/crashingDaemon.mjs) is SIGKILLed while it tracks processes in a real container; a
// new daemon on the same state dir must kill, adopt or undo what it finds, by itself.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeIf, eventually } from '@chaosplane/testing';
import { findProcessesByEnv } from '../src/process/procStat.js';
import { PROCESS_UID_ENV } from '../src/process/managerContext.js';
import { startDaemon, type RunningDaemon } from '../src/server/startDaemon.js';
import { type TrackedInfo } from '../src/process/createTrackedEntries.js';
import {
  containerdUnavailableReason,
  startContainerd,
  type ContainerdEnvironment,
  type TestContainer,
} from '@chaosplane/dev/harness';
import { hostProcessesRunning } from './support/processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const distEntry = path.resolve(here, '../dist/index.js');
describeIf(containerdUnavailableReason())('journal recovery', () => {
  let containerd: ContainerdEnvironment;
  let container: TestContainer;
  let stateDir: string;
  let daemon: RunningDaemon | undefined;

  beforeAll(async () => {
    containerd = await startContainerd();
    container = await containerd.createContainer();
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-journal-'));
  }, 60_000);

  afterAll(async () => {
    await daemon?.close();
    await containerd?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  }, 60_000);

  const inContainer = async (argv: string[]): Promise<string> => {
    const runner = daemon!.processManager;
    return (await runner.run({ pid: container.pid, namespaces: ['mnt', 'pid'], argv })).stdout;
  };

  it('cleans up after a SIGKILLed daemon: kills, adopts, and undoes expired changes', async () => {
    expect(existsSync(distEntry)).toBe(true); // the child runs the compiled package: npm run build
    const child = spawn(
      process.execPath,
      [
        path.join(here, 'fixtures/crashingDaemon.mjs'),
        stateDir,
        containerd.socketPath,
        containerd.namespace,
        String(container.pid),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const firstLine = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.once('line', resolve);
      child.once('exit', code => reject(new Error(`child daemon exited early (${code})`)));
    });
    const started = JSON.parse(firstLine) as {
      killed: TrackedInfo;
      adopted: TrackedInfo;
      change: TrackedInfo;
    };
    child.kill('SIGKILL');
    await new Promise(resolve => child.once('exit', resolve));

    // The crash left everything behind: both processes and a short command run, the change is in place.
    expect(hostProcessesRunning(['sleep', '3603']).length).toBeGreaterThan(0);
    expect(findProcessesByEnv(PROCESS_UID_ENV, started.killed.uid).length).toBeGreaterThan(0);
    expect(findProcessesByEnv(PROCESS_UID_ENV, started.adopted.uid).length).toBeGreaterThan(0);
    // Let the change's deadline pass while no daemon runs.
    await eventually(() => Date.now() > started.change.deadlineMs! + 100, {
      what: 'the change deadline',
      intervalMs: 25,
      timeoutMs: 15_000,
    });

    daemon = await startDaemon({
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      tls: 'insecure',
      stateDir,
      runtimes: { containerd: { socketPath: containerd.socketPath, namespace: containerd.namespace } },
    });
    expect(daemon.recovery.killed).toEqual([started.killed.uid]);
    expect(daemon.recovery.adopted).toEqual([started.adopted.uid]);
    expect(daemon.recovery.recovered).toEqual([started.change.uid]);
    expect(daemon.recovery.orphanedRuns.length).toBeGreaterThan(0);
    expect(await inContainer(['ps', 'aux'])).not.toContain('sleep 3603');
    expect(hostProcessesRunning(['sleep', '3603'])).toEqual([]);
    expect(findProcessesByEnv(PROCESS_UID_ENV, started.killed.uid)).toEqual([]);
    expect(await inContainer(['ps', 'aux'])).not.toContain('sleep 3601');
    expect(await inContainer(['ls', '/tmp'])).not.toContain('cp-crash-marker');

    // The adopted process is still tracked, and the new daemon kills it at its deadline by itself.
    expect(daemon.processManager.list().map(e => [e.uid, e.state])).toEqual([
      [started.adopted.uid, 'adopted'],
    ]);
    expect(await inContainer(['ps', 'aux'])).toContain('sleep 3602');
    await eventually(() => daemon!.processManager.list().length === 0, {
      what: 'the adopted process deadline',
      intervalMs: 25,
      timeoutMs: 15_000,
    });
    expect(findProcessesByEnv(PROCESS_UID_ENV, started.adopted.uid)).toEqual([]);
    expect(await inContainer(['ps', 'aux'])).not.toContain('sleep 3602');
    expect(daemon.journal.active()).toEqual([]);
  }, 60_000);

  it('undoes an injected change at its deadline with no further call', async () => {
    const pm = daemon!.processManager;
    await pm.injectChange({
      identifier: 'deadline/change',
      pid: container.pid,
      namespaces: ['mnt', 'pid'],
      apply: { argv: ['touch', '/tmp/cp-deadline-marker'] },
      undo: { argv: ['rm', '/tmp/cp-deadline-marker'] },
      durationMs: 300,
    });
    expect(await inContainer(['ls', '/tmp'])).toContain('cp-deadline-marker');
    await eventually(() => pm.list().length === 0, {
      what: 'the change deadline',
      intervalMs: 25,
      timeoutMs: 15_000,
    });
    expect(await inContainer(['ls', '/tmp'])).not.toContain('cp-deadline-marker');
  });

  it('cancels idempotently and frees identifiers, also after a failed start', async () => {
    const pm = daemon!.processManager;
    const managed = await pm.startManaged({ identifier: 'idem', argv: ['sleep', '30'] });
    await expect(pm.startManaged({ identifier: 'idem', argv: ['sleep', '30'] })).rejects.toThrow(
      /already in use/,
    );
    expect(await pm.cancel(managed.uid)).toBe(true);
    expect(await pm.cancel(managed.uid)).toBe(false);
    // The identifier is free again, also after a start that fails.
    await expect(pm.startManaged({ identifier: 'idem', argv: ['/no/such/program'] })).rejects.toThrow(
      /could not start/,
    );
    const again = await pm.startManaged({ identifier: 'idem', argv: ['sleep', '30'] });
    await pm.cancel(again.uid);
  });
});

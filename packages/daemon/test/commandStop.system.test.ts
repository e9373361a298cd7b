// SPDX-License-Identifier: Apache-2.0
// A timeout or cancel stops the whole command, not only its first process: nsenter forks the real
// command when it enters a pid namespace, and a shell forks its children. The call settles once
// the command is dead, without waiting for the (killed) holders of its output pipes.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeIf, eventually } from '@chaosplane/testing';
import { ChaosplaneError } from '@chaosplane/sdk';
import { createJournal } from '../src/journal/createJournal.js';
import { createProcessManager, type ProcessManager } from '../src/process/createProcessManager.js';
import { runCommand } from '../src/process/runCommand.js';
import {
  containerdUnavailableReason,
  startContainerd,
  type ContainerdEnvironment,
  type TestContainer,
} from '@chaosplane/dev/harness';
import { hostProcessesRunning } from './support/processes.js';

const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

describe('stopping a command', () => {
  it('kills what the command forked on timeout, and settles without waiting for it', async () => {
    const grandchild = ['sleep', '3611'];
    const failure = await runCommand(['sh', '-c', 'sleep 3611; true'], { env, timeoutMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect(ChaosplaneError.isKind(failure, 'aborted')).toBe(true);
    expect(String(failure)).toMatch(/ran longer than 300 ms/);
    await eventually(() => hostProcessesRunning(grandchild).length === 0, {
      what: 'the forked sleep to die',
      intervalMs: 25,
      timeoutMs: 15_000,
    });
  }, 20_000);

  it('kills what the command forked on cancel', async () => {
    const controller = new AbortController();
    const call = runCommand(['sh', '-c', 'sleep 3612; true'], { env, signal: controller.signal });
    await eventually(() => hostProcessesRunning(['sleep', '3612']).length > 0, {
      what: 'the forked sleep to start',
      intervalMs: 25,
      timeoutMs: 15_000,
    });
    controller.abort();
    const failure = await call.catch((e: unknown) => e);
    expect(String(failure)).toMatch(/was cancelled/);
    await eventually(() => hostProcessesRunning(['sleep', '3612']).length === 0, {
      what: 'the forked sleep to die',
      intervalMs: 25,
      timeoutMs: 15_000,
    });
  }, 20_000);

  describeIf(containerdUnavailableReason())('inside a container pid namespace', () => {
    let containerd: ContainerdEnvironment;
    let container: TestContainer;
    let stateDir: string;
    let manager: ProcessManager;
    beforeAll(async () => {
      containerd = await startContainerd();
      container = await containerd.createContainer();
      stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-stop-'));
      manager = createProcessManager({ journal: createJournal(stateDir), stateDir });
    }, 60_000);
    afterAll(async () => {
      await manager?.close({ recover: true });
      await containerd?.stop();
      if (stateDir) await rm(stateDir, { recursive: true, force: true });
    }, 60_000);

    it('kills the command nsenter forked into the pid namespace on timeout', async () => {
      const failure = await manager
        .run({ pid: container.pid, namespaces: ['mnt', 'pid'], argv: ['sleep', '3613'], timeoutMs: 500 })
        .catch((e: unknown) => e);
      expect(ChaosplaneError.isKind(failure, 'aborted')).toBe(true);
      await eventually(() => hostProcessesRunning(['sleep', '3613']).length === 0, {
        what: 'the container sleep to die',
        intervalMs: 25,
        timeoutMs: 15_000,
      });
    }, 20_000);

    it('kills the command nsenter forked into the pid namespace on cancel', async () => {
      const controller = new AbortController();
      const call = manager.run({
        pid: container.pid,
        namespaces: ['mnt', 'pid'],
        argv: ['sleep', '3614'],
        signal: controller.signal,
      });
      await eventually(() => hostProcessesRunning(['sleep', '3614']).length > 0, {
        what: 'the container sleep to start',
        intervalMs: 25,
        timeoutMs: 15_000,
      });
      controller.abort();
      expect(String(await call.catch((e: unknown) => e))).toMatch(/was cancelled/);
      await eventually(() => hostProcessesRunning(['sleep', '3614']).length === 0, {
        what: 'the container sleep to die',
        intervalMs: 25,
        timeoutMs: 15_000,
      });
    }, 20_000);
  });
});

// SPDX-License-Identifier: Apache-2.0
// User input never reaches a shell: arguments with shell syntax are passed to execve literally
// (the canary files a shell would create never appear), and container ids with it are refused.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { describeIf } from '@chaosplane/testing';
import fc from 'fast-check';
import { ChaosplaneError } from '@chaosplane/sdk';
import { createJournal } from '../src/journal/createJournal.js';
import { createProcessManager, type ProcessManager } from '../src/process/createProcessManager.js';
import { parseContainerId } from '../src/runtime/ContainerRuntime.js';
import {
  containerdUnavailableReason,
  startContainerd,
  type ContainerdEnvironment,
  type TestContainer,
} from '@chaosplane/dev/harness';

const hostile = (dir: string): string[] => [
  `; touch ${dir}/semicolon`,
  `$(touch ${dir}/dollar)`,
  `\`touch ${dir}/backtick\``,
  `x\ntouch ${dir}/newline`,
  `| touch ${dir}/pipe`,
  `&& touch ${dir}/and`,
  '; rm -rf /',
];

describe('injection safety', () => {
  let stateDir: string;
  let canaryDir: string;
  let manager: ProcessManager;

  beforeAll(async () => {
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-inject-'));
    canaryDir = await mkdtemp(path.join(os.tmpdir(), 'cp-canary-'));
    manager = createProcessManager({ journal: createJournal(stateDir), stateDir });
  });
  afterAll(async () => {
    await manager.close({ recover: true });
    await rm(stateDir, { recursive: true, force: true });
    await rm(canaryDir, { recursive: true, force: true });
  });

  it('passes shell syntax to the program literally, and no shell runs it', async () => {
    const args = hostile(canaryDir);
    const result = await manager.run({ argv: ['printf', '%s\\0', ...args] });
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(args);
    for (const canary of ['semicolon', 'dollar', 'backtick', 'newline', 'pipe', 'and']) {
      expect(existsSync(path.join(canaryDir, canary))).toBe(false);
    }
  });

  it('passes any arguments through unchanged (property test)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ unit: 'binary' }).filter(a => !a.includes('\0')),
          { maxLength: 6 },
        ),
        async args => {
          const result = await manager.run({ argv: ['printf', '%s\\0', ...args] });
          expect(result.stdout.split('\0').slice(0, -1)).toEqual(args.length === 0 ? [''] : args);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses any container id with a character outside [A-Za-z0-9_.-] (property test)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1 }).filter(s => /[^A-Za-z0-9_.-]/.test(s)),
        s => {
          expect(() => parseContainerId(`containerd://${s}`)).toThrow(/containerId .* invalid id/s);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('treats a program name with shell syntax as a file name', async () => {
    const failure = await manager
      .run({ argv: [`true; touch ${canaryDir}/program`] })
      .catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(failure, 'not-found')).toBe(true);
    expect(existsSync(path.join(canaryDir, 'program'))).toBe(false);
  });

  it('refuses container ids with shell syntax, naming the field', () => {
    for (const id of [
      'containerd://a; rm -rf /',
      'docker://$(id)',
      'cri-o://`id`',
      'containerd://a\nb',
      'containerd://../x',
    ]) {
      expect(() => parseContainerId(id)).toThrow(/containerId .* invalid id/s);
    }
  });

  it('refuses a target without namespaces (it would run on the host) and a target that does not exist', async () => {
    await expect(manager.run({ pid: process.pid, argv: ['true'] })).rejects.toThrow(
      'namespaces must name at least one namespace when pid is given',
    );
    await expect(manager.run({ namespaces: ['mnt'], argv: ['true'] })).rejects.toThrow(
      'pid is required when namespaces are given',
    );
    await expect(
      manager.run({ pid: 2 ** 22 + 7, namespaces: ['mnt', 'pid'], argv: ['true'] }),
    ).rejects.toThrow(/target process 4194311 does not exist/);
    await expect(
      manager.run({ pid: process.pid, namespaces: ['mnt', 'cgroup' as 'mnt'], argv: ['true'] }),
    ).rejects.toThrow('namespaces[1] "cgroup" is not one of mnt, pid, net, ipc, uts');
  });

  it('refuses NUL bytes and non-string arguments', async () => {
    await expect(manager.run({ argv: ['echo', 'a\0b'] })).rejects.toThrow(/argv\[1\] contains a NUL byte/);
    await expect(manager.run({ argv: ['echo', 3 as unknown as string] })).rejects.toThrow(
      /argv\[1\] must be a string/,
    );
  });

  describeIf(containerdUnavailableReason())('inside a real container', () => {
    let containerd: ContainerdEnvironment;
    let container: TestContainer;
    beforeAll(async () => {
      containerd = await startContainerd();
      container = await containerd.createContainer();
    }, 60_000);
    afterAll(async () => {
      await containerd?.stop();
    }, 60_000);

    it("passes the same arguments literally through nsenter into the container's namespaces", async () => {
      const args = hostile('/tmp');
      const result = await manager.run({
        pid: container.pid,
        namespaces: ['mnt', 'pid'],
        argv: ['echo', ...args],
      });
      expect(result.stdout).toBe(`${args.join(' ')}\n`);
      const listing = await manager.run({
        pid: container.pid,
        namespaces: ['mnt', 'pid'],
        argv: ['ls', '/tmp'],
      });
      expect(listing.stdout).toBe('');
    });
  });
});

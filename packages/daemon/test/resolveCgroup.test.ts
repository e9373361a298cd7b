// SPDX-License-Identifier: Apache-2.0
// A container's cgroups from /proc/PID/cgroup and the daemon's mountinfo, on the layouts nodes have:
// cgroup v1 (controllers mounted apart or together), hybrid (v1 controllers and an empty unified
// hierarchy, as on this machine), unified v2; paths as containerd, Docker and CRI-O write them
// with either cgroup driver; and the cases the daemon must refuse (a path outside its cgroup
// namespace, the root cgroup). The accounting is read from fake cgroup files of both versions.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/sdk';
import { parseCgroupMounts, parseProcCgroup } from '../src/cgroup/parseCgroupFiles.js';
import { readCgroupStats } from '../src/cgroup/readCgroupStats.js';
import { resolveCgroup } from '../src/cgroup/resolveCgroup.js';

/** mountinfo lines of cgroup mounts (`root` and `mountPoint` as the kernel writes them). */
function mountinfo(
  mounts: [root: string, mountPoint: string, fstype: string, superOptions: string][],
): string {
  const lines = mounts.map(
    ([root, mountPoint, fstype, options], i) =>
      `${40 + i} 31 0:${29 + i} ${root} ${mountPoint} rw,nosuid,nodev,noexec,relatime shared:${i} - ${fstype} cgroup ${options}`,
  );
  return ['22 1 0:21 / / rw,relatime - overlay overlay rw', ...lines, ''].join('\n');
}

const V1_MOUNTS = mountinfo([
  ['/', '/sys/fs/cgroup/cpu', 'cgroup', 'rw,cpu'],
  ['/', '/sys/fs/cgroup/cpuacct', 'cgroup', 'rw,cpuacct'],
  ['/', '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'],
  ['/', '/sys/fs/cgroup/pids', 'cgroup', 'rw,pids'],
  ['/', '/sys/fs/cgroup/systemd', 'cgroup', 'rw,xattr,name=systemd'],
  ['/', '/sys/fs/cgroup/unified', 'cgroup2', 'rw,nsdelegate'],
]);

// What this machine has: each v1 controller apart, and the unified hierarchy beside them.
const HYBRID_PROC = [
  '9:name=systemd:/k8s.io/abc',
  '8:pids:/k8s.io/abc',
  '4:memory:/k8s.io/abc',
  '2:cpuacct:/k8s.io/abc',
  '1:cpu:/k8s.io/abc',
  '0::/k8s.io/abc',
  '',
].join('\n');

const V2_MOUNTS = mountinfo([['/', '/sys/fs/cgroup', 'cgroup2', 'rw,nsdelegate,memory_recursiveprot']]);

describe('parsing the cgroup files', () => {
  it('reads /proc/PID/cgroup lines, keeping colons inside a path', () => {
    expect(parseProcCgroup('3:cpu,cpuacct:/a:b\n0::/x\ngarbage\n')).toEqual([
      { id: 3, controllers: ['cpu', 'cpuacct'], path: '/a:b' },
      { id: 0, controllers: [], path: '/x' },
    ]);
  });

  it('reads cgroup mounts from mountinfo: version, root, mount point (octal escapes) and controllers', () => {
    const text = mountinfo([
      ['/', '/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'rw,cpu,cpuacct'],
      ['/kube\\040pods', '/host\\040cgroup', 'cgroup2', 'rw'],
    ]);
    expect(parseCgroupMounts(text)).toEqual([
      { version: 1, mountPoint: '/sys/fs/cgroup/cpu,cpuacct', root: '/', controllers: ['cpu', 'cpuacct'] },
      { version: 2, mountPoint: '/host cgroup', root: '/kube pods', controllers: [] },
    ]);
  });
});

describe('resolving a container cgroup', () => {
  it('hybrid (this machine): every hierarchy joined, memory and cpuacct for accounting', () => {
    expect(resolveCgroup(HYBRID_PROC, V1_MOUNTS)).toEqual({
      version: 1,
      dirs: [
        '/sys/fs/cgroup/systemd/k8s.io/abc',
        '/sys/fs/cgroup/pids/k8s.io/abc',
        '/sys/fs/cgroup/memory/k8s.io/abc',
        '/sys/fs/cgroup/cpuacct/k8s.io/abc',
        '/sys/fs/cgroup/cpu/k8s.io/abc',
        '/sys/fs/cgroup/unified/k8s.io/abc',
      ],
      memoryDir: '/sys/fs/cgroup/memory/k8s.io/abc',
      cpuDir: '/sys/fs/cgroup/cpuacct/k8s.io/abc',
    });
  });

  it('v1 with cpu and cpuacct mounted together (Docker, cgroupfs driver); an unmounted hierarchy is left out', () => {
    const mounts = mountinfo([
      ['/', '/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'rw,cpu,cpuacct'],
      ['/', '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'],
    ]);
    const proc = '12:net_cls:/docker/f00\n3:cpu,cpuacct:/docker/f00\n2:memory:/docker/f00\n';
    expect(resolveCgroup(proc, mounts)).toEqual({
      version: 1,
      dirs: ['/sys/fs/cgroup/cpu,cpuacct/docker/f00', '/sys/fs/cgroup/memory/docker/f00'],
      memoryDir: '/sys/fs/cgroup/memory/docker/f00',
      cpuDir: '/sys/fs/cgroup/cpu,cpuacct/docker/f00',
    });
  });

  it.each([
    [
      'containerd, systemd driver',
      '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e.slice/cri-containerd-4b1c.scope',
    ],
    ['CRI-O, systemd driver', '/kubepods.slice/kubepods-pod9a.slice/crio-77aa.scope'],
    ['Docker, systemd driver', '/system.slice/docker-0d1e.scope'],
    ['containerd, cgroupfs driver', '/kubepods/besteffort/pod1f2e/4b1c'],
  ])('v2 (%s): the one unified directory', (_runtime, cgroupPath) => {
    const dir = `/sys/fs/cgroup${cgroupPath}`;
    expect(resolveCgroup(`0::${cgroupPath}\n`, V2_MOUNTS)).toEqual({
      version: 2,
      dirs: [dir],
      memoryDir: dir,
      cpuDir: dir,
    });
  });

  it('a subtree mount shows paths below its root', () => {
    const mounts = mountinfo([['/kubepods', '/host-cgroup', 'cgroup2', 'rw']]);
    expect(resolveCgroup('0::/kubepods/pod1/c1\n', mounts).dirs).toEqual(['/host-cgroup/pod1/c1']);
  });

  it.each([
    ['outside the daemon’s cgroup namespace', '0::/../../kubepods/pod1/c1\n', V2_MOUNTS],
    [
      'outside a subtree mount',
      '0::/system.slice/x.scope\n',
      mountinfo([['/kubepods', '/c', 'cgroup2', 'rw']]),
    ],
    [
      'memory hierarchy not mounted',
      '2:cpuacct:/a\n1:memory:/a\n',
      mountinfo([['/', '/c', 'cgroup', 'rw,cpuacct']]),
    ],
  ])('refuses a cgroup it cannot reach (%s), saying what to change', (_case, proc, mounts) => {
    const error = (() => {
      try {
        resolveCgroup(proc, mounts);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(ChaosplaneError.isKind(error, 'unsupported')).toBe(true);
    expect((error as Error).message).toContain(
      "mount the host's cgroup file system at /sys/fs/cgroup, and run the daemon with hostPID",
    );
  });

  it('refuses the root cgroup: the stress would be the whole node’s', () => {
    expect(() => resolveCgroup('0::/\n', V2_MOUNTS)).toThrow(/root cgroup v2 cgroup/);
    expect(() => resolveCgroup('4:memory:/\n2:cpuacct:/\n', V1_MOUNTS)).toThrow(/root memory cgroup/);
  });
});

describe('reading the accounting', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-cgroup-stats-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function files(sub: string, contents: Record<string, string>): Promise<string> {
    const at = path.join(dir, sub);
    await mkdir(at, { recursive: true });
    for (const [name, text] of Object.entries(contents)) await writeFile(path.join(at, name), text);
    return at;
  }

  it('v1: usage, limit (the "unlimited" counter is no limit), oom_kill and cpuacct.usage', async () => {
    const memoryDir = await files('v1/memory', {
      'memory.usage_in_bytes': '73400320\n',
      'memory.limit_in_bytes': '9223372036854771712\n',
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
    });
    const cpuDir = await files('v1/cpuacct', { 'cpuacct.usage': '5000000000\n' });
    expect(readCgroupStats({ version: 1, dirs: [], memoryDir, cpuDir })).toEqual({
      version: 1,
      memoryUsageBytes: 73400320,
      memoryLimitBytes: undefined,
      oomKills: 2,
      cpuUsageNanos: 5_000_000_000,
    });
    await writeFile(path.join(memoryDir, 'memory.limit_in_bytes'), '33554432\n');
    expect(readCgroupStats({ version: 1, dirs: [], memoryDir, cpuDir }).memoryLimitBytes).toBe(33554432);
  });

  it('v2: memory.current, memory.max ("max" is no limit), memory.events and cpu.stat usage_usec', async () => {
    const at = await files('v2', {
      'memory.current': '1048576\n',
      'memory.max': 'max\n',
      'memory.events': 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n',
      'cpu.stat': 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n',
    });
    expect(readCgroupStats({ version: 2, dirs: [at], memoryDir: at, cpuDir: at })).toEqual({
      version: 2,
      memoryUsageBytes: 1048576,
      memoryLimitBytes: undefined,
      oomKills: 1,
      cpuUsageNanos: 2_500_000_000,
    });
    await writeFile(path.join(at, 'memory.max'), '67108864\n');
    expect(readCgroupStats({ version: 2, dirs: [at], memoryDir: at, cpuDir: at }).memoryLimitBytes).toBe(
      67108864,
    );
  });
});

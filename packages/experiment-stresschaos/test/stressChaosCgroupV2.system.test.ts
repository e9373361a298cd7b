// SPDX-License-Identifier: Apache-2.0
// StressChaos on a cgroup v2 (unified) host: the stressors join the container's one cgroup, and
// its cpu.stat and memory.current show the stress. Runs only where the host is unified; on a v1
// or hybrid host the v2 path is covered by the daemon's resolveCgroup.test.ts (path resolution)
// and the v1 accounting by stressChaos.system.test.ts.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DAEMON_CAPABILITIES } from '@chaosplane/dev';
import { PHASE_INJECTED } from '@chaosplane/sdk';
import {
  describeIf,
  eventually,
  startTestKit,
  testKitUnavailableReason,
  type TestKit,
} from '@chaosplane/testing';
import {
  cgroupOf,
  coresUsed,
  memoryBytes,
  stressNgProcesses,
  type ContainerCgroup,
} from './support/hostView.js';

const PLUGIN = '@chaosplane/experiment-stresschaos';
const REPO = new URL('../../..', import.meta.url).pathname;
const MiB = 2 ** 20;

/** Why this host is not a cgroup v2 (unified) one, if it is not. */
function notUnifiedReason(): string | undefined {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const fstypeAt = (mountPoint: string) =>
    mounts
      .find(line => line.split(' ')[4] === mountPoint)
      ?.split(' - ')[1]
      ?.split(' ')[0];
  if (fstypeAt('/sys/fs/cgroup') === 'cgroup2') return undefined;
  const hybrid = fstypeAt('/sys/fs/cgroup/unified') === 'cgroup2';
  return hybrid
    ? 'this host runs cgroup v1 with a hybrid unified mount (/sys/fs/cgroup/unified holds no controllers): the v2 paths are unit-tested in packages/daemon/test/resolveCgroup.test.ts'
    : 'this host has no cgroup v2 hierarchy at /sys/fs/cgroup';
}

const unavailable = testKitUnavailableReason() ?? notUnifiedReason();

describeIf(unavailable)('StressChaos on a cgroup v2 host', () => {
  let kit: TestKit;
  let cgroup: ContainerCgroup;
  let pid: number;

  beforeAll(async () => {
    kit = await startTestKit({
      plugins: [PLUGIN],
      pluginsFrom: REPO,
      daemonCapabilities: DAEMON_CAPABILITIES,
      pods: [{ name: 'v2', labels: { app: 'v2' } }],
    });
    const bareId = kit.pods[0]!.status!.containerStatuses![0]!.containerID!.replace('containerd://', '');
    pid = (await kit.plane.containerd.taskStatus(bareId))!.pid;
    cgroup = cgroupOf(pid);
  }, 180_000);
  afterAll(() => kit?.close(), 60_000);

  it('the stressors join the container’s one cgroup; cpu.stat and memory.current show them', async () => {
    expect(cgroup.version).toBe(2);
    const before = memoryBytes(cgroup);
    await kit.kubectl(
      ['apply', '-f', '-'],
      `apiVersion: chaos-mesh.org/v1alpha1\nkind: StressChaos\nmetadata: {name: v2, namespace: chaos-test}\nspec:\n  mode: all\n  selector: {labelSelectors: {app: v2}}\n  stressors: {cpu: {workers: 1, load: 50}, memory: {workers: 1, size: 64MiB}}\n`,
    );
    await kit.waitForRecords({ plural: 'stresschaos', name: 'v2' }, PHASE_INJECTED);
    const own = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    expect(stressNgProcesses().every(p => p.cgroup === own)).toBe(true);
    const cores = await coresUsed(cgroup, 5000);
    expect(cores).toBeGreaterThan(0.5 * 0.85);
    expect(cores).toBeLessThan(0.5 * 1.15);
    expect(memoryBytes(cgroup) - before).toBeGreaterThan(64 * MiB * 0.85);
    await kit.kubectl(['delete', 'stresschaos', 'v2', '-n', 'chaos-test', '--wait=false']);
    await kit.waitForDeletion({ plural: 'stresschaos', name: 'v2' });
    await eventually(() => stressNgProcesses().length === 0, { what: 'no stress-ng left' });
  }, 90_000);
});

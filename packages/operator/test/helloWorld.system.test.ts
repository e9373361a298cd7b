// SPDX-License-Identifier: Apache-2.0
// The seed's flow end to end, on real containerd: kubectl applies examples/helloworld.yaml to
// the embedded control plane, the operator applies each record through the daemon over mTLS,
// the daemon runs `ps aux` inside each target container, and kubectl deletes the experiment.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { ChaosObject } from '@chaosplane/sdk';
import { captureLogger, describeIf } from '@chaosplane/testing';
import { eventually } from '@chaosplane/dev';
import { containerdUnavailableReason } from '@chaosplane/dev/harness';
import { applyManifestFile, startDevControlPlane, type DevControlPlane } from '@chaosplane/dev';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const examples = path.join(repo, 'examples');
describeIf(containerdUnavailableReason())(
  'HelloWorldChaos and an out-of-tree plugin end to end (real containerd, kubectl, mTLS)',
  () => {
    const operator = captureLogger('operator');
    const daemon = captureLogger('daemon');
    const stop = new AbortController();
    let dir: string;
    let plane: DevControlPlane;
    let kubectl: (...args: string[]) => Promise<string>;

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'cp-e2e-'));
      plane = await startDevControlPlane({
        dir,
        // The bundled plugin and the out-of-tree example, loaded by package name: neither needs an
        // edit of packages/*.
        plugins: ['@chaosplane/experiment-helloworld', 'chaosplane-plugin-signal'],
        pluginsFrom: repo,
        operatorLog: operator.log,
        daemonLog: daemon.log,
        log: captureLogger('dev').log,
        signal: stop.signal,
      });
      kubectl = async (...args) =>
        (await run('kubectl', ['--kubeconfig', plane.kubeconfigPath, ...args], { timeout: 60_000 })).stdout;
      await applyManifestFile(plane.kube, path.join(examples, 'busybox.yaml'));
      await plane.kubelet.waitRunning('busybox', ['busybox-0', 'busybox-1'], 60_000);
    }, 120_000);

    afterAll(async () => {
      stop.abort();
      await plane?.stop();
      await rm(dir, { recursive: true, force: true });
    }, 60_000);

    it('applies each target once through the daemon, which runs ps aux in that very container; delete completes', async () => {
      const pods = await Promise.all(
        ['busybox-0', 'busybox-1'].map(
          async name =>
            JSON.parse(await kubectl('get', 'pod', name, '-n', 'busybox', '-o', 'json')) as {
              status: { containerStatuses: Array<{ containerID: string }> };
            },
        ),
      );
      // A pod without a container status has no ID: '' fails the check below.
      const containerIds = pods.map(p => p.status.containerStatuses[0]?.containerID ?? '');
      expect(containerIds.every(id => id.startsWith('containerd://'))).toBe(true);

      expect(await kubectl('apply', '-f', path.join(examples, 'helloworld.yaml'))).toContain(
        'helloworldchaos.chaos-mesh.org/busybox-helloworld-chaos created',
      );
      const custom = plane.kubeConfig.makeApiClient(CustomObjectsApi);
      const ref = {
        group: 'chaos-mesh.org',
        version: 'v1alpha1',
        namespace: 'busybox',
        plural: 'helloworldchaos',
        name: 'busybox-helloworld-chaos',
      };
      const injected = await eventually(async () => {
        const obj = (await custom.getNamespacedCustomObject(ref)) as ChaosObject;
        const records = obj.status?.experiment?.containerRecords ?? [];
        return records.length === 2 && records.every(r => r.phase === 'Injected') ? obj : undefined;
      });
      expect(injected.metadata.finalizers).toContain('chaos-mesh/records');
      expect(injected.status!.experiment!.containerRecords!.map(r => r.id).sort()).toEqual([
        'busybox/busybox-0/busybox',
        'busybox/busybox-1/busybox',
      ]);

      // The operator says "Apply helloworld chaos" exactly once per target.
      const applies = operator.lines.filter(l => l.message === 'Apply helloworld chaos');
      expect(applies.map(l => l['record']).sort()).toEqual([
        'busybox/busybox-0/busybox',
        'busybox/busybox-1/busybox',
      ]);

      // The daemon shows, for each pod, the ps output of that container: its own sleep 3600, and
      // the PID containerd reports for that container's task.
      for (const containerId of containerIds) {
        const line = daemon.lines.find(
          l => l.message === 'ps aux in container' && l['containerId'] === containerId,
        );
        expect(line).toBeDefined();
        expect(String(line!['output'])).toMatch(/^\s*1 root\s+\/bin\/sleep 3600$/m);
        const task = await plane.containerd.taskStatus(containerId.replace('containerd://', ''));
        expect(line!['pid']).toBe(task!.pid);
        expect(line!['chaos']).toBe('busybox/busybox-helloworld-chaos');
      }

      // The controller attached each container's ps output to the chaos object as an Event.
      const events = await eventually(async () => {
        const list = JSON.parse(await kubectl('get', 'events', '-n', 'busybox', '-o', 'json')) as {
          items: Array<{ reason: string; message: string; involvedObject: { kind: string; name: string } }>;
        };
        const hello = list.items.filter(
          e => e.reason === 'HelloWorld' && e.involvedObject.name === 'busybox-helloworld-chaos',
        );
        return hello.length === 2 ? hello : undefined;
      });
      for (const event of events) {
        expect(event.involvedObject.kind).toBe('HelloWorldChaos');
        expect(event.message).toMatch(/^ps aux in busybox\/busybox-[01]\/busybox \(pid \d+\):/);
        expect(event.message).toContain('/bin/sleep 3600');
      }

      expect(
        await kubectl('delete', '-f', path.join(examples, 'helloworld.yaml'), '--wait=true', '--timeout=60s'),
      ).toContain('deleted');
      await expect(custom.getNamespacedCustomObject(ref)).rejects.toMatchObject({ code: 404 });
      // One-shot: nothing to recover, and the target containers are untouched.
      for (const containerId of containerIds) {
        expect((await plane.containerd.taskStatus(containerId.replace('containerd://', '')))!.status).toBe(
          'RUNNING',
        );
      }
    }, 120_000);

    it('runs the out-of-tree SignalChaos plugin in the same control plane', async () => {
      const podsBefore = await readPods();
      const manifest = path.join(examples, 'plugin-signal/signalchaos.yaml');
      expect(await kubectl('apply', '-f', manifest)).toContain(
        'signalchaos.chaos-mesh.org/kill-one-busybox created',
      );
      const custom = plane.kubeConfig.makeApiClient(CustomObjectsApi);
      const ref = {
        group: 'chaos-mesh.org',
        version: 'v1alpha1',
        namespace: 'busybox',
        plural: 'signalchaos',
        name: 'kill-one-busybox',
      };
      const [record] = await eventually(
        async () => {
          const records = ((await custom.getNamespacedCustomObject(ref)) as ChaosObject).status?.experiment
            ?.containerRecords;
          return records?.length === 1 && records[0]!.phase === 'Injected' ? records : undefined;
        },
        { what: 'the SignalChaos record is Injected' },
      );
      const killedPod = record!.id.split('/')[1]!;
      expect(operator.lines.filter(l => l.message === 'Send signal').map(l => l['record'])).toEqual([
        record!.id,
      ]);

      // The signalled container died (the kubelet restarts it with a new id); the other did not.
      const killedBefore = podsBefore.find(p => p.name === killedPod)!;
      expect(
        (await plane.containerd.taskStatus(killedBefore.containerId.replace('containerd://', '')))?.status,
      ).not.toBe('RUNNING');
      const after = await eventually(
        async () => {
          const pods = await readPods();
          return pods.find(p => p.name === killedPod)!.restartCount === 1 ? pods : undefined;
        },
        { what: `${killedPod} is restarted` },
      );
      for (const before of podsBefore.filter(p => p.name !== killedPod)) {
        expect(after.find(p => p.name === before.name)).toEqual(before);
        expect(
          (await plane.containerd.taskStatus(before.containerId.replace('containerd://', '')))!.status,
        ).toBe('RUNNING');
      }

      expect(await kubectl('delete', '-f', manifest, '--wait=true', '--timeout=60s')).toContain('deleted');
      await expect(custom.getNamespacedCustomObject(ref)).rejects.toMatchObject({ code: 404 });
    }, 120_000);

    async function readPods(): Promise<Array<{ name: string; containerId: string; restartCount: number }>> {
      const list = JSON.parse(await kubectl('get', 'pods', '-n', 'busybox', '-o', 'json')) as {
        items: Array<{
          metadata: { name: string };
          status: { containerStatuses: Array<{ containerID: string; restartCount: number }> };
        }>;
      };
      return list.items.map(p => ({
        name: p.metadata.name,
        containerId: p.status.containerStatuses[0]!.containerID,
        restartCount: p.status.containerStatuses[0]!.restartCount,
      }));
    }
  },
);

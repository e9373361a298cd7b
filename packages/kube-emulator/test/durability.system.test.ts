// SPDX-License-Identifier: Apache-2.0
// Durability: acknowledged writes survive SIGKILL, and a restart serves the same objects with
// the same resourceVersions. Runs the real CLI as a child process (the in-process restart is
// durability.test.ts).
import { describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import * as path from 'node:path';
import { startCli, useCliSandbox } from './cliProcess.js';

describe('durability with --data', () => {
  const sandbox = useCliSandbox('kube-emulator-durability-');
  const running = sandbox.running;

  function client(kubeconfig: string): k8s.CoreV1Api {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    return kc.makeApiClient(k8s.CoreV1Api);
  }

  it('keeps 1,000 acknowledged objects and their resourceVersions across SIGKILL', async () => {
    const data = path.join(sandbox.dir(), 'data');
    const kubeconfig = path.join(sandbox.dir(), 'kubeconfig');
    const first = await startCli(['--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--data', data]);
    running.push(first);
    const core = client(kubeconfig);
    await core.createNamespace({ body: { metadata: { name: 'durable' } } });

    const acknowledged = new Map<string, string>();
    const names = Array.from({ length: 1000 }, (_, i) => `cm-${String(i).padStart(4, '0')}`);
    // 40 requests in flight, so writes share fsyncs (group commit).
    let next = 0;
    await Promise.all(
      Array.from({ length: 40 }, async () => {
        for (let name = names[next++]; name !== undefined; name = names[next++]) {
          const cm = await core.createNamespacedConfigMap({
            namespace: 'durable',
            body: { metadata: { name, labels: { batch: 'one' } }, data: { name } },
          });
          acknowledged.set(name, cm.metadata!.resourceVersion!);
        }
      }),
    );
    // A few updates and a delete, so the log holds more than inserts.
    const updated = await core.patchNamespacedConfigMap(
      { namespace: 'durable', name: 'cm-0007', body: { data: { name: 'changed' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    acknowledged.set('cm-0007', updated.metadata!.resourceVersion!);
    await core.deleteNamespacedConfigMap({ namespace: 'durable', name: 'cm-0008' });
    acknowledged.delete('cm-0008');
    const lastRv = Math.max(...[...acknowledged.values()].map(Number));

    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = await startCli(['--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--data', data]);
    running.push(second);
    const after = client(kubeconfig);
    const list = await after.listNamespacedConfigMap({ namespace: 'durable' });
    const restored = new Map(list.items.map(cm => [cm.metadata!.name!, cm.metadata!.resourceVersion!]));
    expect(restored.size).toBe(999);
    expect(restored).toEqual(acknowledged);
    expect((await after.readNamespacedConfigMap({ namespace: 'durable', name: 'cm-0007' })).data).toEqual({
      name: 'changed',
    });
    expect(Number(list.metadata!.resourceVersion)).toBeGreaterThanOrEqual(lastRv);
    // The global resourceVersion keeps increasing after a restart.
    const fresh = await after.createNamespacedConfigMap({
      namespace: 'durable',
      body: { metadata: { name: 'after-restart' } },
    });
    expect(Number(fresh.metadata!.resourceVersion)).toBeGreaterThan(lastRv);

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });
});

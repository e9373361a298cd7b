// SPDX-License-Identifier: Apache-2.0
// Controllers resync on start: a namespace left Terminating and dependents of an owner removed
// just before a crash are finished after a restart on the same data directory.
import { describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startKubeEmulator } from '../src/index.js';
import { startCli, useCliSandbox } from './cliProcess.js';
import { eventually, statusOf } from './support.js';

function clientFor(kubeConfig: string): k8s.CoreV1Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeConfig);
  return kc.makeApiClient(k8s.CoreV1Api);
}

async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (error) {
    if (statusOf(error) === 404) return true;
    throw error;
  }
}

describe('controllers resync after a restart', () => {
  const sandbox = useCliSandbox('kube-emulator-resync-');
  const running = sandbox.running;

  it('finishes a namespace deletion and garbage collection interrupted by SIGKILL', async () => {
    const data = path.join(sandbox.dir(), 'killed');
    const kubeconfig = path.join(sandbox.dir(), 'kubeconfig');
    const args = ['--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--data', data];
    const first = await startCli(args);
    running.push(first);
    const core = clientFor(fs.readFileSync(kubeconfig, 'utf8'));
    await core.createNamespace({ body: { metadata: { name: 'big' } } });
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < 300) {
          const name = `cm-${next++}`;
          await core.createNamespacedConfigMap({ namespace: 'big', body: { metadata: { name } } });
        }
      }),
    );
    const owner = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'owner' } },
    });
    const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! };
    for (let i = 0; i < 50; i++) {
      await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: `dependent-${i}`, ownerReferences: [ownerRef] } },
      });
    }
    await core.deleteNamespace({ name: 'big' });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'owner' });
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startCli(args);
    running.push(second);
    const after = clientFor(fs.readFileSync(kubeconfig, 'utf8'));
    await eventually(() => gone(() => after.readNamespace({ name: 'big' })), 30_000);
    await eventually(async () => {
      const list = await after.listNamespacedConfigMap({ namespace: 'default' });
      return !list.items.some(cm => cm.metadata!.name!.startsWith('dependent-'));
    }, 30_000);
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 120_000);

  it('resyncs work the controllers never saw (deterministic: live hooks disconnected)', async () => {
    const data = path.join(sandbox.dir(), 'in-process');
    const first = await startKubeEmulator({ dataDir: data });
    const core = clientFor(first.kubeConfig);
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'a' } } });
    const owner = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'owner' } },
    });
    const other = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'other-owner' } },
    });
    const ref = (name: string, uid: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, uid });
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'only-child', ownerReferences: [ref('owner', owner.metadata!.uid!)] } },
    });
    await core.createNamespacedConfigMap({
      namespace: 'default',
      body: {
        metadata: {
          name: 'shared-child',
          ownerReferences: [ref('owner', owner.metadata!.uid!), ref('other-owner', other.metadata!.uid!)],
        },
      },
    });
    // Cut the controllers off: the deletions below happen as if the process died right after.
    first.api.setHooks({ onRemoved: () => undefined, onDeleting: () => undefined });
    await core.deleteNamespace({ name: 'doomed' });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'owner' });
    await first.settle();
    expect((await core.readNamespace({ name: 'doomed' })).status?.phase).toBe('Terminating');
    await core.readNamespacedConfigMap({ namespace: 'default', name: 'only-child' });
    await first.stop();

    const again = await startKubeEmulator({ dataDir: data });
    try {
      const core2 = clientFor(again.kubeConfig);
      await again.settle();
      await eventually(() => gone(() => core2.readNamespace({ name: 'doomed' })));
      await eventually(() =>
        gone(() => core2.readNamespacedConfigMap({ namespace: 'default', name: 'only-child' })),
      );
      const shared = await core2.readNamespacedConfigMap({ namespace: 'default', name: 'shared-child' });
      expect(shared.metadata?.ownerReferences?.map(r => r.name)).toEqual(['other-owner']);
      await core2.readNamespacedConfigMap({ namespace: 'default', name: 'other-owner' });
    } finally {
      await again.stop();
    }
  });
});

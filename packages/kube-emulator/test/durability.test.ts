// SPDX-License-Identifier: Apache-2.0
// Durability in process: a restart on the same data directory serves the same objects with the
// same resourceVersions, and the directory is locked while in use. The SIGKILL case, with the
// real CLI as a child process, is durability.system.test.ts.
import { describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/testing/helpers';
import * as k8s from '@kubernetes/client-node';
import * as path from 'node:path';
import { KubeEmulatorError, startKubeEmulator } from '../src/index.js';
import { useScratchDir } from './support.js';

describe('durability with --data', () => {
  const scratch = useScratchDir('kube-emulator-durability-');

  it('restarts in process with the same objects, and locks the data dir while in use', async () => {
    const data = path.join(scratch.dir(), 'in-process');
    const first = await startKubeEmulator({ dataDir: data });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(first.kubeConfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const cm = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'kept', finalizers: ['example.com/x'] }, data: { a: 'b' } },
    });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'kept' });
    const marked = await core.readNamespacedConfigMap({ namespace: 'default', name: 'kept' });
    const later = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'later' } },
    });

    const second = await startKubeEmulator({ dataDir: data }).catch((error: unknown) => error);
    expect(
      KubeEmulatorError.is(second) && second.kind === 'Startup' && second.message.includes('in use'),
    ).toBe(true);
    await first.stop();

    const again = await startKubeEmulator({ dataDir: data });
    try {
      // Same CA and token: the old kubeconfig still works.
      expect(again.token).toBe(first.token);
      expect(again.caCert).toBe(first.caCert);
      const kc2 = new k8s.KubeConfig();
      kc2.loadFromString(again.kubeConfig);
      const core2 = kc2.makeApiClient(k8s.CoreV1Api);
      const restored = await core2.readNamespacedConfigMap({ namespace: 'default', name: 'kept' });
      expect(restored.metadata?.uid).toBe(cm.metadata?.uid);
      expect(restored.metadata?.resourceVersion).toBe(marked.metadata?.resourceVersion);
      expect(restored.metadata?.deletionTimestamp).toEqual(marked.metadata?.deletionTimestamp);
      // A watch from a resourceVersion seen before the restart resumes from the rebuilt history.
      const seen: string[] = [];
      const controller = await new k8s.Watch(kc2).watch(
        '/api/v1/namespaces/default/configmaps',
        { resourceVersion: marked.metadata!.resourceVersion },
        (type, obj) => seen.push(`${type}:${obj.metadata.name}:${obj.metadata.resourceVersion}`),
        () => undefined,
      );
      await eventually(() => seen.length >= 1);
      controller.abort();
      expect(seen).toEqual([`ADDED:later:${later.metadata!.resourceVersion}`]);
      // Removing the finalizer after the restart completes the deletion.
      await core2.patchNamespacedConfigMap({
        namespace: 'default',
        name: 'kept',
        body: [{ op: 'remove', path: '/metadata/finalizers' }],
      });
      await expect(
        core2.readNamespacedConfigMap({ namespace: 'default', name: 'kept' }),
      ).rejects.toMatchObject({ code: 404 });
    } finally {
      await again.stop();
    }
  });
});

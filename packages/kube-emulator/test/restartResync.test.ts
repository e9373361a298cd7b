// SPDX-License-Identifier: Apache-2.0
// Controllers resync on start, in process: a namespace left Terminating and dependents of an
// owner removed while the controllers were cut off are finished after a restart on the same data
// directory. The same after a SIGKILL of the real CLI is restartResync.system.test.ts.
import { describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/testing/helpers';
import * as path from 'node:path';
import { startKubeEmulator } from '../src/index.js';
import { coreApiFor, gone, useScratchDir } from './support.js';

describe('controllers resync after a restart', () => {
  const scratch = useScratchDir('kube-emulator-resync-');

  it('resyncs work the controllers never saw (deterministic: live hooks disconnected)', async () => {
    const data = path.join(scratch.dir(), 'in-process');
    const first = await startKubeEmulator({ dataDir: data });
    const core = coreApiFor(first.kubeConfig);
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
      const core2 = coreApiFor(again.kubeConfig);
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

// SPDX-License-Identifier: Apache-2.0
// Controllers resync on start: a namespace left Terminating and dependents of an owner removed
// just before a crash are finished after a restart on the same data directory.
// This file kills the real CLI; the deterministic in-process case is restartResync.test.ts.
import { describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/testing';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startCli, useCliSandbox } from './cliProcess.js';
import { coreApiFor, gone } from './support.js';

describe('controllers resync after a restart', () => {
  const sandbox = useCliSandbox('kube-emulator-resync-');
  const running = sandbox.running;

  it('finishes a namespace deletion and garbage collection interrupted by SIGKILL', async () => {
    const data = path.join(sandbox.dir(), 'killed');
    const kubeconfig = path.join(sandbox.dir(), 'kubeconfig');
    const args = ['--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--data', data];
    const first = await startCli(args);
    running.push(first);
    const core = coreApiFor(fs.readFileSync(kubeconfig, 'utf8'));
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
    const after = coreApiFor(fs.readFileSync(kubeconfig, 'utf8'));
    await eventually(() => gone(() => after.readNamespace({ name: 'big' })), { timeoutMs: 30_000 });
    await eventually(
      async () => {
        const list = await after.listNamespacedConfigMap({ namespace: 'default' });
        return !list.items.some(cm => cm.metadata!.name!.startsWith('dependent-'));
      },
      { timeoutMs: 30_000 },
    );
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  }, 120_000);
});

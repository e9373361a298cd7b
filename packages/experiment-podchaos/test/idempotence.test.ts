// SPDX-License-Identifier: Apache-2.0
// The engine may repeat an apply whose result it never saw. pod-kill must then not kill the
// replacement a controller created under the same name: the record's instanceId (the selected
// pod's UID) tells them apart.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createKubeConnection, type KubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import type { ChaosObject } from '@chaosplane/sdk';
import type { PodChaosSpec } from '../src/kind.js';
import { createPodKillImpl } from '../src/podKill.js';
import { callImpl } from './support/callImpl.js';

describe('pod-kill repeated', () => {
  let emulator: KubeEmulator;
  let kube: KubeConfig;
  let core: CoreV1Api;
  let connection: KubeConnection;

  beforeAll(async () => {
    emulator = await startKubeEmulator();
    kube = new KubeConfig();
    kube.loadFromString(emulator.kubeConfig);
    core = kube.makeApiClient(CoreV1Api);
    connection = createKubeConnection(kube);
  });
  afterAll(async () => {
    connection.close();
    await emulator.stop();
  });

  const obj: ChaosObject<PodChaosSpec> = {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'PodChaos',
    // Long before the pods: creation times play no part in deciding what to kill.
    metadata: {
      name: 'kill',
      namespace: 'default',
      creationTimestamp: new Date(Date.now() - 3_600_000).toISOString(),
    },
    spec: { action: 'pod-kill', mode: 'one', selector: {} },
  };
  const kill = (id: string, instanceId?: string) =>
    callImpl(createPodKillImpl(), 'apply', connection, obj, {
      id,
      ...(instanceId !== undefined ? { instanceId } : {}),
    });
  const makePod = async (name: string) =>
    (
      await core.createNamespacedPod({
        namespace: 'default',
        body: { metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      })
    ).metadata!.uid!;
  const exists = (name: string) =>
    core.readNamespacedPod({ name, namespace: 'default' }).then(
      () => true,
      () => false,
    );

  it('kills the pod the experiment selected, even one created after the experiment', async () => {
    const uid = await makePod('web-0');
    await expect(kill('default/web-0', uid)).resolves.toBe('Injected');
    expect(await exists('web-0')).toBe(false);
  });

  it('leaves alone a replacement with the same name, and counts the record as killed', async () => {
    const selected = await makePod('web-1');
    await core.deleteNamespacedPod({ name: 'web-1', namespace: 'default', gracePeriodSeconds: 0 });
    const replacement = await makePod('web-1');
    expect(replacement).not.toBe(selected);
    await expect(kill('default/web-1', selected)).resolves.toBe('Injected');
    expect(await exists('web-1')).toBe(true);
  });

  it('kills whatever pod has the name when the record predates instance ids', async () => {
    await makePod('web-2');
    await expect(kill('default/web-2')).resolves.toBe('Injected');
    expect(await exists('web-2')).toBe(false);
  });

  it('counts a pod that is already gone as killed', async () => {
    await expect(kill('default/never-there', 'some-uid')).resolves.toBe('Injected');
  });
});

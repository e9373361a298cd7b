// SPDX-License-Identifier: Apache-2.0
// The engine may repeat an apply whose result it never saw. pod-kill must then not kill the
// replacement a controller created under the same name.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createSilentLogger, type ChaosObject, type ImplContext } from '@chaosplane/core';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { createPodKillImpl } from '../src/podKill.js';
import type { PodChaosSpec } from '../src/kind.js';

describe('pod-kill repeated', () => {
  let emulator: KubeEmulator;
  let kube: KubeConfig;
  let core: CoreV1Api;

  beforeAll(async () => {
    emulator = await startKubeEmulator();
    kube = new KubeConfig();
    kube.loadFromString(emulator.kubeConfig);
    core = kube.makeApiClient(CoreV1Api);
  });
  afterAll(() => emulator.stop());

  const context = (created: Date, id: string): ImplContext<PodChaosSpec> => ({
    index: 0,
    records: [{ id, selectorKey: '.', phase: 'Not Injected', injectedCount: 0, recoveredCount: 0 }],
    obj: {
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'PodChaos',
      metadata: { name: 'kill', namespace: 'default', creationTimestamp: created },
      spec: { action: 'pod-kill', mode: 'one', selector: {} },
    } as ChaosObject<PodChaosSpec>,
    signal: new AbortController().signal,
    log: createSilentLogger(),
    kube,
  });
  const makePod = (name: string) =>
    core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    });
  const exists = (name: string) =>
    core.readNamespacedPod({ name, namespace: 'default' }).then(
      () => true,
      () => false,
    );

  it('kills the pod the experiment selected', async () => {
    await makePod('web-0');
    const experimentCreated = new Date(Date.now() + 60_000); // the pod is older than the experiment
    await expect(createPodKillImpl().apply(context(experimentCreated, 'default/web-0'))).resolves.toBe(
      'Injected',
    );
    expect(await exists('web-0')).toBe(false);
  });

  it('leaves alone a replacement created after the experiment, and counts the record as killed', async () => {
    await makePod('web-1');
    const experimentCreated = new Date(Date.now() - 60_000); // the pod was recreated since
    await expect(createPodKillImpl().apply(context(experimentCreated, 'default/web-1'))).resolves.toBe(
      'Injected',
    );
    expect(await exists('web-1')).toBe(true);
  });

  it('counts a pod that is already gone as killed', async () => {
    await expect(createPodKillImpl().apply(context(new Date(), 'default/never-there'))).resolves.toBe(
      'Injected',
    );
  });
});

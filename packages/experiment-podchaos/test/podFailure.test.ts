// SPDX-License-Identifier: Apache-2.0
// pod-failure against a real API server (kube-emulator over HTTPS, the kube layer): patches are
// conditional on the resourceVersion, conflicts are retried, and many experiments applying and
// recovering at the same moment on one pod still leave it with its first images.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createKubeConnection, type KubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { ChaosplaneError, PHASE_INJECTED, PHASE_NOT_INJECTED, type ChaosObject } from '@chaosplane/sdk';
import { callImpl } from './support/callImpl.js';
import {
  ORIGINAL_IMAGES_ANNOTATION_PREFIX,
  createPodFailureImpl,
  type PodChaosSpec,
} from '@chaosplane/experiment-podchaos';

const PAUSE = 'example.test/pause:1';

describe('pod-failure on a real API server', () => {
  let emulator: KubeEmulator;
  let kube: KubeConfig;
  let core: CoreV1Api;
  let connection: KubeConnection;
  const requests: string[] = [];

  beforeAll(async () => {
    // Patches of pods wait 100 ms, so writers that read the pod together patch it together:
    // one wins and the others' resourceVersions are stale (a real 409, not an injected one).
    emulator = await startKubeEmulator({
      log: line => requests.push(line),
      faults: { latency: [{ verbs: ['patch'], resources: ['pods'], namespaces: ['shop'], ms: 100 }] },
    });
    kube = new KubeConfig();
    kube.loadFromString(emulator.kubeConfig);
    core = kube.makeApiClient(CoreV1Api);
    connection = createKubeConnection(kube);
    await core.createNamespace({ body: { metadata: { name: 'shop' } } });
  });

  afterAll(async () => {
    connection?.close();
    await emulator?.stop();
  });

  /** Calls pod-failure for the experiment `uid` on one pod, as the engine would. */
  function call(
    impl: ReturnType<typeof createPodFailureImpl>,
    operation: 'apply' | 'recover',
    uid: string,
    podName: string,
  ) {
    const obj: ChaosObject<PodChaosSpec> = {
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'PodChaos',
      metadata: { name: `failure-${uid}`, namespace: 'shop', uid },
      spec: { action: 'pod-failure', mode: 'all', selector: {} },
    };
    const phase = operation === 'apply' ? PHASE_NOT_INJECTED : PHASE_INJECTED;
    return callImpl(impl, operation, connection, obj, { id: `shop/${podName}`, phase });
  }

  async function createPod(name: string): Promise<void> {
    await core.createNamespacedPod({
      namespace: 'shop',
      body: {
        metadata: { name },
        spec: {
          initContainers: [{ name: 'migrate', image: 'shop/migrate:7' }],
          containers: [
            { name: 'api', image: 'shop/api:7' },
            { name: 'proxy', image: 'envoy:1.31' },
          ],
        },
      },
    });
  }

  async function state(name: string) {
    const pod = await core.readNamespacedPod({ namespace: 'shop', name });
    return {
      images: [...(pod.spec!.initContainers ?? []), ...pod.spec!.containers].map(c => c.image),
      annotations: Object.keys(pod.metadata?.annotations ?? {}).filter(k =>
        k.startsWith(ORIGINAL_IMAGES_ANNOTATION_PREFIX),
      ).length,
    };
  }

  it('eight experiments applying at once, then recovering at once: paused in between, first images after', async () => {
    await createPod('cart');
    const impl = createPodFailureImpl({ pauseImage: PAUSE, maxConflictRetries: 50 });
    const uids = Array.from({ length: 8 }, (_, i) => `uid-${i}`);
    const before = requests.length;

    const applied = await Promise.all(uids.map(uid => call(impl, 'apply', uid, 'cart')));
    expect(applied).toEqual(uids.map(() => PHASE_INJECTED));
    expect(await state('cart')).toEqual({ images: [PAUSE, PAUSE, PAUSE], annotations: 8 });

    const recovered = await Promise.all(uids.map(uid => call(impl, 'recover', uid, 'cart')));
    expect(recovered).toEqual(uids.map(() => PHASE_NOT_INJECTED));
    expect(await state('cart')).toEqual({
      images: ['shop/migrate:7', 'shop/api:7', 'envoy:1.31'],
      annotations: 0,
    });

    // The writers did collide: the API server refused stale patches (409) and they were retried.
    const conflicts = requests.slice(before).filter(line => /PATCH .*\/pods\/cart\b.* 409\b/.test(line));
    expect(conflicts.length).toBeGreaterThanOrEqual(7);
  });

  it('gives up with a conflict error when the pod keeps changing, and a vanished pod is not-found', async () => {
    await createPod('checkout');
    const impl = createPodFailureImpl({ pauseImage: PAUSE, maxConflictRetries: 1 });
    // Four at once with a single attempt each: one wins, the three losers cannot retry.
    const results = await Promise.allSettled(
      ['a', 'b', 'c', 'd'].map(uid => call(impl, 'apply', uid, 'checkout')),
    );
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(3);
    for (const r of rejected) {
      expect(ChaosplaneError.isKind(r.reason, 'conflict')).toBe(true);
      expect((r.reason as Error).message).toBe('pod shop/checkout kept changing (1 conflicts)');
    }
    expect(await state('checkout')).toEqual({ images: [PAUSE, PAUSE, PAUSE], annotations: 1 });

    await core.deleteNamespacedPod({ namespace: 'shop', name: 'checkout' });
    const gone = await call(impl, 'recover', 'a', 'checkout').catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(gone, 'not-found')).toBe(true);
  });
});

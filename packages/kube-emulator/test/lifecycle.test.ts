// SPDX-License-Identifier: Apache-2.0
// Deletion semantics: namespace cascade, ownerReference garbage collection (background,
// foreground, orphan), pagination expiry, and fault injection.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/testing/helpers';
import * as k8s from '@kubernetes/client-node';
import { type Harness, bodyOf, podSpec, raw, rejection, startHarness, statusOf } from './support.js';

describe('deletion and garbage collection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ watchHistory: 20 });
  });
  afterAll(async () => {
    await h.emulator.stop();
  });

  async function owner(ns: string, name: string): Promise<k8s.V1ConfigMap> {
    return h.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name } } });
  }
  function ref(o: k8s.V1ConfigMap): k8s.V1OwnerReference {
    return { apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata!.name!, uid: o.metadata!.uid! };
  }

  it('deleting a namespace deletes its content, then the namespace, waiting for finalizers', async () => {
    await h.core.createNamespace({ body: { metadata: { name: 'cascade' } } });
    await h.core.createNamespacedPod({
      namespace: 'cascade',
      body: { metadata: { name: 'p' }, spec: podSpec },
    });
    await h.core.createNamespacedConfigMap({
      namespace: 'cascade',
      body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } },
    });
    await h.core.deleteNamespace({ name: 'cascade' });
    const terminating = await h.core.readNamespace({ name: 'cascade' });
    expect(terminating.status?.phase).toBe('Terminating');
    const refused = await rejection(
      h.core.createNamespacedConfigMap({ namespace: 'cascade', body: { metadata: { name: 'late' } } }),
    );
    expect(statusOf(refused)).toBe(403);
    expect(bodyOf(refused).message).toBe(
      'unable to create new content in namespace cascade because it is being terminated',
    );
    await h.emulator.settle();
    expect((await h.core.listNamespacedPod({ namespace: 'cascade' })).items).toHaveLength(0);
    // The finalizer holds the configmap, and the configmap holds the namespace.
    expect(
      (await h.core.readNamespacedConfigMap({ namespace: 'cascade', name: 'held' })).metadata
        ?.deletionTimestamp,
    ).toBeDefined();
    expect((await h.core.readNamespace({ name: 'cascade' })).metadata?.name).toBe('cascade');
    await h.core.patchNamespacedConfigMap({
      namespace: 'cascade',
      name: 'held',
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    await h.emulator.settle();
    expect(statusOf(await rejection(h.core.readNamespace({ name: 'cascade' })))).toBe(404);
  });

  it('collects dependents in the background when the owner goes', async () => {
    const o = await owner('default', 'owner-bg');
    await h.core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'dep-bg', ownerReferences: [ref(o)] }, spec: podSpec },
    });
    await h.core.deleteNamespacedConfigMap({ namespace: 'default', name: 'owner-bg' });
    await h.emulator.settle();
    expect(
      statusOf(await rejection(h.core.readNamespacedPod({ namespace: 'default', name: 'dep-bg' }))),
    ).toBe(404);
  });

  it('keeps a dependent that still has a live owner, dropping the dead reference', async () => {
    const a = await owner('default', 'owner-a');
    const b = await owner('default', 'owner-b');
    await h.core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'dep-two', ownerReferences: [ref(a), ref(b)] }, spec: podSpec },
    });
    await h.core.deleteNamespacedConfigMap({ namespace: 'default', name: 'owner-a' });
    await h.emulator.settle();
    const dep = await h.core.readNamespacedPod({ namespace: 'default', name: 'dep-two' });
    expect(dep.metadata?.ownerReferences?.map(r => r.name)).toEqual(['owner-b']);
  });

  it('orphans dependents with propagationPolicy=Orphan', async () => {
    const o = await owner('default', 'owner-orphan');
    await h.core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'dep-orphan', ownerReferences: [ref(o)] }, spec: podSpec },
    });
    await h.core.deleteNamespacedConfigMap({
      namespace: 'default',
      name: 'owner-orphan',
      propagationPolicy: 'Orphan',
    });
    await h.emulator.settle();
    expect(
      statusOf(
        await rejection(h.core.readNamespacedConfigMap({ namespace: 'default', name: 'owner-orphan' })),
      ),
    ).toBe(404);
    const dep = await h.core.readNamespacedPod({ namespace: 'default', name: 'dep-orphan' });
    expect(dep.metadata?.ownerReferences).toBeUndefined();
  });

  it('deletes dependents first with propagationPolicy=Foreground', async () => {
    const o = await owner('default', 'owner-fg');
    await h.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'dep-fg', ownerReferences: [ref(o)], finalizers: ['example.com/hold'] } },
    });
    await h.core.deleteNamespacedConfigMap({
      namespace: 'default',
      name: 'owner-fg',
      propagationPolicy: 'Foreground',
    });
    await h.emulator.settle();
    const waiting = await h.core.readNamespacedConfigMap({ namespace: 'default', name: 'owner-fg' });
    expect(waiting.metadata?.finalizers).toEqual(['foregroundDeletion']);
    expect(
      (await h.core.readNamespacedConfigMap({ namespace: 'default', name: 'dep-fg' })).metadata
        ?.deletionTimestamp,
    ).toBeDefined();
    await h.core.patchNamespacedConfigMap({
      namespace: 'default',
      name: 'dep-fg',
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    await h.emulator.settle();
    await eventually(
      async () =>
        statusOf(
          await rejection(h.core.readNamespacedConfigMap({ namespace: 'default', name: 'owner-fg' })),
        ) === 404,
    );
  });

  it('honours delete preconditions', async () => {
    const o = await owner('default', 'precond');
    const err = await rejection(
      h.core.deleteNamespacedConfigMap({
        namespace: 'default',
        name: 'precond',
        body: { preconditions: { resourceVersion: '1' } },
      }),
    );
    expect(statusOf(err)).toBe(409);
    await h.core.deleteNamespacedConfigMap({
      namespace: 'default',
      name: 'precond',
      body: { preconditions: { uid: o.metadata!.uid } },
    });
  });

  it('deletes collections by label', async () => {
    for (const n of ['dc1', 'dc2', 'dc3'])
      await h.core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: n, labels: { dc: n === 'dc3' ? 'keep' : 'drop' } } },
      });
    await h.core.deleteCollectionNamespacedConfigMap({ namespace: 'default', labelSelector: 'dc=drop' });
    const left = await h.core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'dc' });
    expect(left.items.map(c => c.metadata?.name)).toEqual(['dc3']);
  });

  it('answers an expired continue token with 410 Gone', async () => {
    await h.core.createNamespace({ body: { metadata: { name: 'pages' } } });
    for (let i = 0; i < 5; i++)
      await h.core.createNamespacedConfigMap({ namespace: 'pages', body: { metadata: { name: `c${i}` } } });
    const page = await h.core.listNamespacedConfigMap({ namespace: 'pages', limit: 2 });
    for (let i = 0; i < 30; i++)
      await h.core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: `churn-${i}` } },
      });
    const expired = await rejection(
      h.core.listNamespacedConfigMap({ namespace: 'pages', limit: 2, _continue: page.metadata!._continue }),
    );
    expect(statusOf(expired)).toBe(410);
    expect(bodyOf(expired)).toMatchObject({ reason: 'Expired', code: 410 });
    const garbage = await raw(h.emulator, 'GET', '/api/v1/namespaces/pages/configmaps?limit=2&continue=%%%');
    expect(garbage.status).toBe(400);
  });
});

describe('fault injection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      faults: { seed: 1, errors: [{ status: 500, rate: 1, verbs: ['create'], resources: ['secrets'] }] },
    });
  });
  afterAll(async () => {
    await h.emulator.stop();
  });

  it('answers configured errors from startup options, without writing', async () => {
    const err = await rejection(
      h.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 's' } } }),
    );
    expect(statusOf(err)).toBe(500);
    expect(bodyOf(err)).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
    h.emulator.faults.clear();
    expect(statusOf(await rejection(h.core.readNamespacedSecret({ namespace: 'default', name: 's' })))).toBe(
      404,
    );
  });

  it('injects 409 and 429 at the configured rate, per verb and resource', async () => {
    h.emulator.faults.set({
      seed: 3,
      errors: [
        { status: 409, rate: 0.5, verbs: ['update', 'patch'], resources: ['configmaps'] },
        { status: 429, rate: 1, verbs: ['list'], resources: ['services'] },
      ],
    });
    await h.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'f' } } });
    let conflicts = 0;
    for (let i = 0; i < 200; i++) {
      try {
        await h.core.patchNamespacedConfigMap(
          { namespace: 'default', name: 'f', body: { data: { i: String(i) } } },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
      } catch (error) {
        expect(statusOf(error)).toBe(409);
        conflicts++;
      }
    }
    // Binomial(200, 0.5): outside [60, 140] has probability < 1e-8; the seed makes it fixed anyway.
    expect(conflicts).toBeGreaterThan(60);
    expect(conflicts).toBeLessThan(140);
    const throttled = await raw(h.emulator, 'GET', '/api/v1/namespaces/default/services');
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('1');
    // Other verbs and resources are untouched.
    expect((await h.core.listNamespacedConfigMap({ namespace: 'default' })).items.length).toBeGreaterThan(0);
    h.emulator.faults.clear();
  });

  it('can fail a write after it happened (a lost reply)', async () => {
    h.emulator.faults.set({
      errors: [{ status: 500, rate: 1, verbs: ['create'], resources: ['configmaps'], when: 'after' }],
    });
    const err = await rejection(
      h.core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'written-anyway' } },
      }),
    );
    expect(statusOf(err)).toBe(500);
    h.emulator.faults.clear();
    expect(
      (await h.core.readNamespacedConfigMap({ namespace: 'default', name: 'written-anyway' })).metadata?.name,
    ).toBe('written-anyway');
  });

  it('adds latency', async () => {
    h.emulator.faults.set({ latency: [{ ms: 50, verbs: ['get'] }] });
    await h.core.readNamespace({ name: 'default' });
    expect(h.emulator.faults.stats.delayed).toBeGreaterThan(0);
    h.emulator.faults.clear();
  });

  it('rejects a bad fault configuration naming the field', () => {
    expect(() => h.emulator.faults.set({ errors: [{ status: 418 as 409, rate: 0.1 }] })).toThrow(
      'faults.errors[0].status',
    );
    expect(() => h.emulator.faults.set({ errors: [{ status: 500, rate: 2 }] })).toThrow(
      'faults.errors[0].rate: must be a number in [0, 1]',
    );
  });
});

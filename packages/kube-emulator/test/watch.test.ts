// SPDX-License-Identifier: Apache-2.0
// Watches and informers from @kubernetes/client-node: events, resume, 410 Gone, bookmarks,
// and an informer that survives forced disconnects without missing an event.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/testing/helpers';
import * as k8s from '@kubernetes/client-node';
import { type Harness, podSpec, raw, startHarness } from './support.js';

interface Seen {
  type: string;
  name: string;
  rv: string;
}

async function collectWatch(
  h: Harness,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
): Promise<{ events: Seen[]; raw: any[]; abort: () => void; done: Promise<unknown> }> {
  const events: Seen[] = [];
  const rawEvents: any[] = [];
  let resolveDone!: (e: unknown) => void;
  const done = new Promise(r => (resolveDone = r));
  const controller = await new k8s.Watch(h.kc).watch(
    path,
    query,
    (type, obj) => {
      rawEvents.push({ type, obj });
      events.push({ type, name: obj?.metadata?.name, rv: obj?.metadata?.resourceVersion });
    },
    err => resolveDone(err),
  );
  return { events, raw: rawEvents, abort: () => controller.abort(), done };
}

describe('watch', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ watchHistory: 50, bookmarkIntervalMs: 100 });
    await h.core.createNamespace({ body: { metadata: { name: 'w' } } });
  });
  afterAll(async () => {
    await h.emulator.stop();
  });

  it('streams ADDED, MODIFIED and DELETED in resourceVersion order', async () => {
    const list = await h.core.listNamespacedConfigMap({ namespace: 'w' });
    const w = await collectWatch(h, '/api/v1/namespaces/w/configmaps', {
      resourceVersion: list.metadata?.resourceVersion,
    });
    await h.core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'a' } } });
    await h.core.patchNamespacedConfigMap(
      { namespace: 'w', name: 'a', body: { data: { k: 'v' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await h.core.deleteNamespacedConfigMap({ namespace: 'w', name: 'a' });
    await eventually(() => w.events.length >= 3);
    w.abort();
    expect(w.events.map(e => `${e.type}:${e.name}`)).toEqual(['ADDED:a', 'MODIFIED:a', 'DELETED:a']);
    const rvs = w.events.map(e => Number(e.rv));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
  });

  it('resumes from a resourceVersion and replays what happened since', async () => {
    const first = await h.core.createNamespacedConfigMap({
      namespace: 'w',
      body: { metadata: { name: 'r1' } },
    });
    await h.core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'r2' } } });
    await h.core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'r3' } } });
    const w = await collectWatch(h, '/api/v1/namespaces/w/configmaps', {
      resourceVersion: first.metadata?.resourceVersion,
    });
    await eventually(() => w.events.length >= 2);
    w.abort();
    expect(w.events.map(e => e.name)).toEqual(['r2', 'r3']);
  });

  it('filters watches by label selector, turning transitions into ADDED/DELETED', async () => {
    const list = await h.core.listNamespacedConfigMap({ namespace: 'w' });
    const w = await collectWatch(h, '/api/v1/namespaces/w/configmaps', {
      resourceVersion: list.metadata?.resourceVersion,
      labelSelector: 'pick=yes',
    });
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    await h.core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'lbl' } } });
    await h.core.patchNamespacedConfigMap(
      { namespace: 'w', name: 'lbl', body: { metadata: { labels: { pick: 'yes' } } } },
      merge,
    );
    await h.core.patchNamespacedConfigMap({ namespace: 'w', name: 'lbl', body: { data: { a: 'b' } } }, merge);
    await h.core.patchNamespacedConfigMap(
      { namespace: 'w', name: 'lbl', body: { metadata: { labels: { pick: 'no' } } } },
      merge,
    );
    await eventually(() => w.events.length >= 3);
    w.abort();
    expect(w.events.map(e => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('answers a too-old resourceVersion with a 410 Expired ERROR event', async () => {
    for (let i = 0; i < 60; i++)
      await h.core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: `old-${i}` } } });
    const w = await collectWatch(h, '/api/v1/namespaces/w/configmaps', { resourceVersion: '1' });
    await w.done;
    expect(w.raw).toHaveLength(1);
    expect(w.raw[0].type).toBe('ERROR');
    expect(w.raw[0].obj).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('sends bookmarks when allowed', async () => {
    const list = await h.core.listNamespacedConfigMap({ namespace: 'w' });
    const w = await collectWatch(h, '/api/v1/namespaces/w/configmaps', {
      resourceVersion: list.metadata?.resourceVersion,
      allowWatchBookmarks: true,
    });
    await eventually(() => w.events.some(e => e.type === 'BOOKMARK'));
    w.abort();
    const bookmark = w.raw.find(e => e.type === 'BOOKMARK');
    expect(Number(bookmark.obj.metadata.resourceVersion)).toBeGreaterThanOrEqual(
      Number(list.metadata?.resourceVersion),
    );
  });

  it('ends a watch after timeoutSeconds', async () => {
    const w = await collectWatch(h, '/api/v1/namespaces/w/configmaps', {
      resourceVersion: h.emulator.resourceVersion,
      timeoutSeconds: 1,
    });
    expect(await w.done).toBeNull();
  });

  it('sends initial events and an end bookmark with sendInitialEvents', async () => {
    const w = await collectWatch(h, '/api/v1/namespaces/w/configmaps', {
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: true,
    });
    await eventually(() =>
      w.raw.some(
        e => e.type === 'BOOKMARK' && e.obj.metadata.annotations?.['k8s.io/initial-events-end'] === 'true',
      ),
    );
    w.abort();
    expect(w.events.filter(e => e.type === 'ADDED').length).toBeGreaterThan(60);
  });

  it('watches a single object by name', async () => {
    const list = await h.core.listNamespacedConfigMap({ namespace: 'w' });
    const w = await collectWatch(h, '/api/v1/watch/namespaces/w/configmaps/single', {
      resourceVersion: list.metadata?.resourceVersion,
    });
    await h.core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'other' } } });
    await h.core.createNamespacedConfigMap({ namespace: 'w', body: { metadata: { name: 'single' } } });
    await eventually(() => w.events.length >= 1);
    w.abort();
    expect(w.events.map(e => e.name)).toEqual(['single']);
  });

  it('rejects a malformed resourceVersion', async () => {
    const res = await raw(
      h.emulator,
      'GET',
      '/api/v1/namespaces/w/configmaps?watch=true&resourceVersion=abc',
    );
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
  });
});

describe('informer', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.emulator.stop();
  });

  it('survives forced disconnects without missing an event', async () => {
    const informer = k8s.makeInformer(h.kc, '/api/v1/namespaces/default/pods', () =>
      h.core.listNamespacedPod({ namespace: 'default' }),
    );
    const added = new Set<string>();
    const errors: unknown[] = [];
    informer.on('add', pod => added.add(pod.metadata!.name!));
    informer.on('error', err => errors.push(err));
    await informer.start();
    for (let i = 0; i < 30; i++) {
      await h.core.createNamespacedPod({
        namespace: 'default',
        body: { metadata: { name: `pod-${i}` }, spec: podSpec },
      });
      if (i % 5 === 2) h.emulator.faults.disconnectWatches();
    }
    await eventually(() => added.size === 30);
    expect(errors).toEqual([]);
    expect(
      informer
        .list('default')
        .map(p => p.metadata!.name)
        .sort(),
    ).toHaveLength(30);
    expect(h.emulator.faults.stats.watchDisconnects).toBeGreaterThan(0);
    await informer.stop();
  });

  it('keeps its cache right when watches drop after a share of events', async () => {
    h.emulator.faults.set({ watchDisconnects: [{ resources: ['configmaps'], ratePerEvent: 0.3 }], seed: 7 });
    const informer = k8s.makeInformer(h.kc, '/api/v1/namespaces/default/configmaps', () =>
      h.core.listNamespacedConfigMap({ namespace: 'default' }),
    );
    const seen = new Map<string, string>();
    informer.on('add', cm => seen.set(cm.metadata!.name!, cm.data?.v ?? ''));
    informer.on('update', cm => seen.set(cm.metadata!.name!, cm.data?.v ?? ''));
    informer.on('delete', cm => seen.delete(cm.metadata!.name!));
    await informer.start();
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    for (let i = 0; i < 20; i++)
      await h.core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: `cm-${i}` }, data: { v: '0' } },
      });
    for (let i = 0; i < 20; i++)
      await h.core.patchNamespacedConfigMap(
        { namespace: 'default', name: `cm-${i}`, body: { data: { v: '1' } } },
        merge,
      );
    for (let i = 0; i < 10; i++)
      await h.core.deleteNamespacedConfigMap({ namespace: 'default', name: `cm-${i}` });
    await eventually(() => seen.size === 10 && [...seen.values()].every(v => v === '1'));
    expect([...seen.keys()].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `cm-${i + 10}`).sort());
    expect(h.emulator.faults.stats.watchDisconnects).toBeGreaterThan(0);
    h.emulator.faults.clear();
    await informer.stop();
  });
});

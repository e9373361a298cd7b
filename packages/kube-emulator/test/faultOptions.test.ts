// SPDX-License-Identifier: Apache-2.0
// Fault options not covered elsewhere: watch disconnects after a time, latency with jitter, the
// namespace filter, and `subresources: false`.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import * as https from 'node:https';
import { type KubeEmulator } from '../src/index.js';
import { type Harness, bodyOf, podSpec, raw, rejection, startHarness, statusOf } from './support.js';

interface OpenWatch {
  /** Event types received, in order. */
  events: string[];
  /** Resolves when the server ends the stream: `clean` is false when the connection broke. */
  ended: Promise<{ clean: boolean; at: number }>;
  /** Whether the stream is still open. */
  open(): boolean;
  close(): void;
}

/** Opens a raw watch and resolves once the server has answered 200. */
function openWatch(emulator: KubeEmulator, path: string): Promise<OpenWatch> {
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    let isOpen = true;
    let endedResolve: (v: { clean: boolean; at: number }) => void = () => undefined;
    const ended = new Promise<{ clean: boolean; at: number }>(r => (endedResolve = r));
    const req = https.request(
      new URL(path, emulator.url),
      { ca: emulator.caCert, headers: { Authorization: `Bearer ${emulator.token}` } },
      res => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path} answered ${res.statusCode}`));
          res.resume();
          return;
        }
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          let nl;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            events.push((JSON.parse(buffer.slice(0, nl)) as { type: string }).type);
            buffer = buffer.slice(nl + 1);
          }
        });
        const finish = (clean: boolean): void => {
          if (!isOpen) return;
          isOpen = false;
          endedResolve({ clean, at: Date.now() });
        };
        res.on('end', () => finish(true));
        res.on('error', () => finish(false));
        res.on('close', () => finish(false));
        resolve({ events, ended, open: () => isOpen, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('fault options', () => {
  let h: Harness;
  const watches: OpenWatch[] = [];

  beforeAll(async () => {
    h = await startHarness();
    for (const name of ['fault-a', 'fault-b']) await h.core.createNamespace({ body: { metadata: { name } } });
  });

  afterAll(async () => {
    for (const w of watches) w.close();
    await h.emulator.stop();
  });

  it('closes a matching watch afterMs after it starts, cleanly, and only in the listed namespaces', async () => {
    // Long enough that the watches below open and the ConfigMap is created before the first
    // disconnect on a loaded machine (at 600 ms a busy CI run disconnected before the create).
    const afterMs = 3000;
    h.emulator.faults.set({
      watchDisconnects: [{ afterMs, resources: ['configmaps'], namespaces: ['fault-a'] }],
    });
    const before = h.emulator.faults.stats.watchDisconnects;
    const firstStart = Date.now();
    const first = await openWatch(h.emulator, '/api/v1/namespaces/fault-a/configmaps?watch=true');
    const otherNamespace = await openWatch(h.emulator, '/api/v1/namespaces/fault-b/configmaps?watch=true');
    const allNamespaces = await openWatch(h.emulator, '/api/v1/configmaps?watch=true');
    const otherResource = await openWatch(h.emulator, '/api/v1/namespaces/fault-a/secrets?watch=true');
    watches.push(first, otherNamespace, allNamespaces, otherResource);
    // A second matching watch, started later, gets its own timer.
    await new Promise(r => setTimeout(r, 300));
    const second = await openWatch(h.emulator, '/api/v1/namespaces/fault-a/configmaps?watch=true');
    watches.push(second);

    // Events still flow until the disconnect.
    await h.core.createNamespacedConfigMap({ namespace: 'fault-a', body: { metadata: { name: 'seen' } } });

    const firstEnd = await first.ended;
    expect(firstEnd.clean).toBe(true);
    expect(first.events).toEqual(['ADDED']);
    // Timers never fire early (allow for clock rounding); the upper bound is only a sanity bound.
    expect(firstEnd.at - firstStart).toBeGreaterThanOrEqual(afterMs - 20);
    expect(firstEnd.at - firstStart).toBeLessThan(afterMs + 5_000);
    // The later watch was started 300 ms later, so it is still open when the first one ends.
    expect(second.open()).toBe(true);
    const secondEnd = await second.ended;
    expect(secondEnd.clean).toBe(true);
    expect(secondEnd.at).toBeGreaterThan(firstEnd.at);
    expect(h.emulator.faults.stats.watchDisconnects - before).toBe(2);

    // Watches outside the rule's namespaces and resources stay open and keep receiving events.
    await h.core.createNamespacedConfigMap({ namespace: 'fault-b', body: { metadata: { name: 'b' } } });
    await h.core.createNamespacedSecret({ namespace: 'fault-a', body: { metadata: { name: 's' } } });
    await new Promise(r => setTimeout(r, 100));
    expect(otherNamespace.open()).toBe(true);
    expect(allNamespaces.open()).toBe(true);
    expect(otherResource.open()).toBe(true);
    expect(otherNamespace.events).toEqual(['ADDED']);
    expect(allNamespaces.events).toEqual(['ADDED', 'ADDED']);
    expect(otherResource.events).toEqual(['ADDED']);
    h.emulator.faults.clear();
  });

  it('spreads latency over [ms, ms + jitterMs]', async () => {
    await h.core.createNamespacedConfigMap({ namespace: 'fault-a', body: { metadata: { name: 'slow' } } });
    h.emulator.faults.set({
      seed: 11,
      latency: [{ ms: 20, jitterMs: 200, verbs: ['get'], resources: ['configmaps'] }],
    });
    const delayedBefore = h.emulator.faults.stats.delayed;
    const durations: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      await h.core.readNamespacedConfigMap({ namespace: 'fault-a', name: 'slow' });
      durations.push(performance.now() - started);
    }
    expect(h.emulator.faults.stats.delayed - delayedBefore).toBe(30);
    // Every request waits at least `ms`.
    expect(Math.min(...durations)).toBeGreaterThanOrEqual(19);
    // Draws are uniform over [20, 220] ms: about 40% fall within 80 ms of the fastest and 40%
    // beyond 120 ms of it. Without jitter (or with jitter ignored) nearly all requests would take
    // about as long as the fastest. The bands are relative to the fastest request because a
    // loaded machine adds its queueing to every request alike (absolute bands failed under load).
    const fastest = Math.min(...durations);
    const fast = durations.filter(d => d < fastest + 80).length;
    const slow = durations.filter(d => d > fastest + 120).length;
    expect(fast).toBeGreaterThanOrEqual(4);
    expect(slow).toBeGreaterThanOrEqual(4);
    expect(Math.max(...durations) - Math.min(...durations)).toBeGreaterThan(80);

    // Other verbs are not delayed at all.
    const listBefore = h.emulator.faults.stats.delayed;
    await h.core.listNamespacedConfigMap({ namespace: 'fault-a' });
    expect(h.emulator.faults.stats.delayed).toBe(listBefore);
    h.emulator.faults.clear();
  });

  it('applies error faults only in the listed namespaces', async () => {
    h.emulator.faults.set({
      errors: [{ status: 500, rate: 1, verbs: ['create', 'list'], namespaces: ['fault-a'] }],
    });
    const failed = await rejection(
      h.core.createNamespacedConfigMap({ namespace: 'fault-a', body: { metadata: { name: 'refused' } } }),
    );
    expect(statusOf(failed)).toBe(500);
    expect(bodyOf(failed)).toMatchObject({ reason: 'InternalError' });
    expect(statusOf(await rejection(h.core.listNamespacedConfigMap({ namespace: 'fault-a' })))).toBe(500);
    // Another namespace, a list across all namespaces, and a cluster-scoped create are untouched.
    await h.core.createNamespacedConfigMap({ namespace: 'fault-b', body: { metadata: { name: 'served' } } });
    const all = await h.core.listConfigMapForAllNamespaces();
    expect(all.items.some(c => c.metadata!.name === 'served')).toBe(true);
    expect(all.items.some(c => c.metadata!.name === 'refused')).toBe(false);
    await h.core.createNamespace({ body: { metadata: { name: 'fault-c' } } });
    h.emulator.faults.clear();
  });

  it('leaves the status subresource alone with subresources: false', async () => {
    await h.core.createNamespacedPod({
      namespace: 'fault-a',
      body: { metadata: { name: 'p' }, spec: podSpec },
    });
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    const patchStatus = (phase: string): Promise<k8s.V1Pod> =>
      h.core.patchNamespacedPodStatus(
        { namespace: 'fault-a', name: 'p', body: { status: { phase } } },
        merge,
      );

    h.emulator.faults.set({ errors: [{ status: 503, rate: 1, resources: ['pods'], subresources: false }] });
    const plain = await raw(h.emulator, 'GET', '/api/v1/namespaces/fault-a/pods/p');
    expect(plain.status).toBe(503);
    expect(plain.headers['retry-after']).toBe('1');
    expect(
      statusOf(
        await rejection(
          h.core.patchNamespacedPod(
            { namespace: 'fault-a', name: 'p', body: { metadata: { labels: { a: 'b' } } } },
            merge,
          ),
        ),
      ),
    ).toBe(503);
    // The status subresource is served, for reads and writes.
    expect((await raw(h.emulator, 'GET', '/api/v1/namespaces/fault-a/pods/p/status')).status).toBe(200);
    expect((await patchStatus('Running')).status?.phase).toBe('Running');

    // By default a rule also hits subresources.
    h.emulator.faults.set({ errors: [{ status: 503, rate: 1, resources: ['pods'] }] });
    expect(statusOf(await rejection(patchStatus('Succeeded')))).toBe(503);
    expect((await raw(h.emulator, 'GET', '/api/v1/namespaces/fault-a/pods/p/status')).status).toBe(503);
    h.emulator.faults.clear();
    expect((await h.core.readNamespacedPod({ namespace: 'fault-a', name: 'p' })).status?.phase).toBe(
      'Running',
    );
  });
});

// SPDX-License-Identifier: Apache-2.0
// The informer's recovery paths (410 relist, silent watch, errors) and the leader elector, over
// scripted in-memory APIs; the same parts run against kube-emulator in lifecycle.test.ts,
// leaderElection.system.test.ts and the selectors' selectionCache.test.ts.
import { describe, expect, it } from '@jest/globals';
import { noConnection } from './support/noConnection.js';
import { ChaosplaneError } from '@chaosplane/sdk';
import { createEngine } from '../../src/createEngine.js';
import { createEventRecorder } from '../../src/events/createEventRecorder.js';
import {
  createInformer,
  kubeApiError,
  type ListWatch as ListWatchApi,
  type WatchEvent,
} from '@chaosplane/kube';
import { createLeaderElector } from '../../src/leader/createLeaderElector.js';
import { type KubeEvent, type Lease, type LeaseApi } from '../../src/kube/CoreApi.js';
import { createFakeChaosApi } from './support/fakeChaosApi.js';
import { chaos } from './support/runFakeEngine.js';
import { createTestSelectors, testKind } from './support/testKind.js';
import { eventually } from '@chaosplane/testing/helpers';

interface Item {
  metadata: { name: string; namespace: string; resourceVersion: string };
}
const item = (name: string, rv: number): Item => ({
  metadata: { name, namespace: 'ns', resourceVersion: String(rv) },
});

describe('informer', () => {
  it('relists on 410 Gone, on a silent watch and after errors, and reports deletions found by a relist', async () => {
    let lists = 0;
    const script: ((onEvent: (e: WatchEvent<Item>) => void, signal: AbortSignal) => Promise<void>)[] = [
      // 1: an event, then 410 as a watch ERROR event.
      async onEvent => {
        onEvent({ type: 'ADDED', object: item('b', 2) });
        onEvent({ type: 'ERROR', object: { code: 410 } as never });
        await new Promise(resolve => setTimeout(resolve, 5));
      },
      // 2: silent until the watchdog aborts it.
      (_onEvent, signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
      // 3: a transport error.
      () => Promise.reject(new ChaosplaneError('internal', 'connection reset')),
      // 4: an HTTP 410 answer.
      () => Promise.reject(kubeApiError('GET', '/x', 410, {})),
    ];
    const api: ListWatchApi<Item> = {
      list: () => {
        lists += 1;
        // The first list has a and c; later lists have only a (c was deleted meanwhile).
        return Promise.resolve({
          items: lists === 1 ? [item('a', 1), item('c', 1)] : [item('a', 5)],
          resourceVersion: '5',
        });
      },
      watch: (_rv, onEvent, signal) => {
        const step = script.shift();
        if (step) return step(onEvent, signal);
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      },
    };
    const changes: string[] = [];
    const restarts: string[] = [];
    const informer = createInformer<Item>({
      source: api,
      watchdogMs: 100,
      backoffBaseMs: 10,
      onChange: (key, obj) => changes.push(`${key}:${obj ? obj.metadata.resourceVersion : 'deleted'}`),
      onRestart: why => restarts.push(why),
    });
    const controller = new AbortController();
    const run = informer.run(controller.signal);
    await informer.synced();
    await eventually(() => script.length === 0 && lists >= 4, { what: 'all script steps', intervalMs: 20 });
    controller.abort();
    await run;
    expect(restarts.slice(0, 4)).toEqual(['gone', 'silent', 'error', 'gone']);
    expect(changes).toContain('ns/c:deleted');
    expect(changes).toContain('ns/b:deleted');
    expect(informer.keys()).toEqual(['ns/a']);
    expect(informer.get('ns/a')?.metadata.resourceVersion).toBe('5');
  });
});

function createLeaseStore(): LeaseApi & { lease?: Lease } {
  let rv = 0;
  const store: LeaseApi & { lease?: Lease } = {
    get: () => Promise.resolve(store.lease ? structuredClone(store.lease) : undefined),
    create: lease => {
      if (store.lease) return Promise.reject(kubeApiError('POST', 'lease', 409, {}));
      store.lease = {
        ...structuredClone(lease),
        metadata: { ...lease.metadata, resourceVersion: String(++rv) },
      };
      return Promise.resolve(structuredClone(store.lease));
    },
    update: lease => {
      if (store.lease?.metadata.resourceVersion !== lease.metadata.resourceVersion)
        return Promise.reject(kubeApiError('PUT', 'lease', 409, {}));
      store.lease = {
        ...structuredClone(lease),
        metadata: { ...lease.metadata, resourceVersion: String(++rv) },
      };
      return Promise.resolve(structuredClone(store.lease));
    },
  };
  return store;
}

describe('leader elector', () => {
  it('one leader at a time; the other takes over after the lease expires; release hands over at once', async () => {
    const api = createLeaseStore();
    const timing = { namespace: 'ns', leaseDurationMs: 300, renewDeadlineMs: 200, retryPeriodMs: 50 };
    const leading: string[] = [];
    const make = (identity: string) =>
      createLeaderElector(
        { ...timing, identity },
        {
          api,
          onStartedLeading: () => void leading.push(`+${identity}`),
          onStoppedLeading: () => leading.push(`-${identity}`),
        },
      );
    const a = make('a');
    const b = make('b');
    const stopA = new AbortController();
    const stopB = new AbortController();
    const runA = a.run(stopA.signal);
    await eventually(() => a.isLeader(), { what: 'a leads', intervalMs: 20 });
    const runB = b.run(stopB.signal);
    await new Promise(resolve => setTimeout(resolve, 400));
    expect(b.isLeader()).toBe(false);
    // a stops: it releases the lease, so b takes over without waiting for expiry.
    stopA.abort();
    await runA;
    await eventually(() => b.isLeader(), { what: 'b leads', timeoutMs: 2_000, intervalMs: 20 });
    expect(api.lease?.spec.holderIdentity).toBe('b');
    expect(api.lease?.spec.leaseTransitions).toBe(0); // a released it: no transition from a holder
    stopB.abort();
    await runB;
    expect(leading).toEqual(['+a', '-a', '+b', '-b']);
  });

  it('a leader that cannot renew steps down; a stale lease is taken over after its duration', async () => {
    const api = createLeaseStore();
    api.lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'chaosplane-controller', namespace: 'ns', resourceVersion: '1' },
      spec: {
        holderIdentity: 'dead',
        leaseDurationSeconds: 1,
        renewTime: new Date().toISOString(),
        leaseTransitions: 3,
      },
    };
    const elector = createLeaderElector(
      { namespace: 'ns', identity: 'live', leaseDurationMs: 300, renewDeadlineMs: 200, retryPeriodMs: 50 },
      { api, onStartedLeading: () => {}, onStoppedLeading: () => {} },
    );
    const stop = new AbortController();
    const began = Date.now();
    const run = elector.run(stop.signal);
    await eventually(() => elector.isLeader(), { what: 'takes over', timeoutMs: 2_000, intervalMs: 20 });
    expect(Date.now() - began).toBeGreaterThanOrEqual(300);
    expect(api.lease?.spec.leaseTransitions).toBe(4);
    // Someone else grabs the lease: the leader steps down at its next renewal.
    api.lease = {
      ...api.lease!,
      spec: { ...api.lease!.spec, holderIdentity: 'intruder', renewTime: new Date().toISOString() },
    };
    await eventually(() => !elector.isLeader(), { what: 'steps down', timeoutMs: 2_000, intervalMs: 20 });
    stop.abort();
    await run;
  });

  it('a leader whose renewals hang steps down by the renew deadline, before the lease could expire', async () => {
    const api = createLeaseStore();
    let hang = false;
    const update = api.update.bind(api);
    // Once `hang` is set, renewals never answer (an API server that accepts and stalls) until aborted.
    api.update = (lease, signal) =>
      hang
        ? new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
          )
        : update(lease, signal);
    const timing = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 100 };
    let steppedDownAt = 0;
    const elector = createLeaderElector(
      { namespace: 'ns', identity: 'stuck', ...timing },
      { api, onStartedLeading: () => {}, onStoppedLeading: () => (steppedDownAt = Date.now()) },
    );
    const stop = new AbortController();
    const run = elector.run(stop.signal);
    await eventually(() => elector.isLeader(), { what: 'leads', timeoutMs: 2_000, intervalMs: 20 });
    const renewedAt = Date.parse(api.lease!.spec.renewTime!);
    hang = true;
    await eventually(() => !elector.isLeader(), { what: 'steps down', timeoutMs: 3_000, intervalMs: 20 });
    // Before another replica could see the lease expire (the renew deadline is 500 ms earlier).
    expect(steppedDownAt - renewedAt).toBeLessThan(timing.leaseDurationMs);
    stop.abort();
    await run;
  });
});

describe('leader elector, stopping', () => {
  const timing = { leaseDurationMs: 600, renewDeadlineMs: 400, retryPeriodMs: 50 };

  /** Leader `a`, whose term winds down until `term.finish()`; `term.leaseLost` is the elector's signal. */
  async function leaderWithSlowTerm() {
    const api = createLeaseStore();
    const term: { finish: () => void; leaseLost?: AbortSignal } = { finish: () => {} };
    const elector = createLeaderElector(
      { namespace: 'ns', identity: 'a', ...timing },
      {
        api,
        onStartedLeading: (_term, lost) => {
          term.leaseLost = lost;
          return new Promise<void>(resolve => (term.finish = resolve));
        },
        onStoppedLeading: () => {},
      },
    );
    const stop = new AbortController();
    const run = elector.run(stop.signal);
    await eventually(() => elector.isLeader(), { what: 'leads', timeoutMs: 2_000, intervalMs: 20 });
    return { api, term, stop, run };
  }

  it('holds and renews the lease while the term winds down, and releases it only after', async () => {
    const { api, term, stop, run } = await leaderWithSlowTerm();
    stop.abort();
    // Two lease durations later the term is still winding down: the lease is still ours and fresh.
    await new Promise(resolve => setTimeout(resolve, 2 * timing.leaseDurationMs));
    expect(api.lease?.spec.holderIdentity).toBe('a');
    expect(Date.now() - Date.parse(api.lease!.spec.renewTime!)).toBeLessThan(timing.leaseDurationMs);
    // A second candidate cannot take it meanwhile.
    const b = createLeaderElector(
      { namespace: 'ns', identity: 'b', ...timing },
      { api, onStartedLeading: () => {}, onStoppedLeading: () => {} },
    );
    const stopB = new AbortController();
    const runB = b.run(stopB.signal);
    await new Promise(resolve => setTimeout(resolve, timing.leaseDurationMs));
    expect(b.isLeader()).toBe(false);
    term.finish();
    await run;
    expect(term.leaseLost?.aborted).toBe(false);
    // Released: the candidate takes over at once.
    await eventually(() => b.isLeader(), { what: 'b leads', timeoutMs: 2_000, intervalMs: 20 });
    stopB.abort();
    await runB;
  });

  it('a lease that cannot be renewed while stopping aborts the term at once', async () => {
    const { api, term, stop, run } = await leaderWithSlowTerm();
    api.update = () => Promise.reject(new Error('API server unavailable'));
    stop.abort();
    await eventually(() => term.leaseLost?.aborted === true, {
      what: 'lease lost',
      timeoutMs: 2_000,
      intervalMs: 20,
    });
    term.finish();
    await run;
  });
});

describe('two engines with leader election', () => {
  it('a stopping leader keeps the lease until its in-flight calls end; only then does the other apply', async () => {
    const api = createFakeChaosApi();
    const leases = createLeaseStore();
    const spans: { engine: string; start: number; end: number }[] = [];
    const run = (name: string) => {
      const stop = new AbortController();
      const engine = createEngine({
        kube: noConnection,
        registrations: [
          {
            kind: testKind,
            impl: {
              apply: async () => {
                const span = { engine: name, start: Date.now(), end: Infinity };
                spans.push(span);
                await new Promise(resolve => setTimeout(resolve, 800));
                span.end = Date.now();
                return 'Injected';
              },
              recover: () => Promise.resolve('Not Injected'),
            },
          } as never,
        ],
        selectors: createTestSelectors(),
        recordParallelism: 1,
        statusFlushIntervalMs: 20,
        leaderElection: {
          namespace: 'ns',
          identity: name,
          leaseDurationMs: 600,
          renewDeadlineMs: 400,
          retryPeriodMs: 50,
        },
        apis: {
          chaos: () => api,
          events: { create: () => Promise.resolve(), repeat: () => Promise.resolve() },
          leases,
        },
      });
      return { engine, stop, done: engine.run(stop.signal) };
    };
    const a = run('a');
    await eventually(() => a.engine.isLeader(), { what: 'a leads', timeoutMs: 2_000, intervalMs: 20 });
    const b = run('b');
    api.create(chaos('slow', { count: 3 }));
    await eventually(() => spans.length === 1, { what: 'a applies', intervalMs: 20 });
    a.stop.abort(); // a graceful stop in the middle of an 800 ms apply
    await a.done;
    await eventually(
      () => {
        const records = api.read('default', 'slow')?.status?.experiment?.containerRecords ?? [];
        return records.length === 3 && records.every(r => r.phase === 'Injected');
      },
      { what: 'b finishes', intervalMs: 20 },
    );
    const lastOfA = Math.max(...spans.filter(s => s.engine === 'a').map(s => s.end));
    const firstOfB = Math.min(...spans.filter(s => s.engine === 'b').map(s => s.start));
    expect(spans.filter(s => s.engine === 'a')).toHaveLength(1);
    expect(firstOfB).toBeGreaterThanOrEqual(lastOfA);
    // Every target applied exactly once across both leaders: a's result was written, not lost.
    expect(spans).toHaveLength(3);
    b.stop.abort();
    await b.done;
  });
});

describe('event recorder', () => {
  it('rate-limits per object and counts what it drops', async () => {
    const sent: KubeEvent[] = [];
    const outcomes: string[] = [];
    const recorder = createEventRecorder({
      api: { create: event => Promise.resolve(void sent.push(event)), repeat: () => Promise.resolve() },
      burst: 3,
      perSecond: 0.001,
      onEmit: (_reason, outcome) => outcomes.push(outcome),
    });
    const obj = (uid: string) =>
      ({
        apiVersion: 'chaos-mesh.org/v1alpha1',
        kind: 'X',
        metadata: { name: uid, namespace: 'ns', uid },
        spec: {},
      }) as never;
    for (let i = 0; i < 5; i += 1) recorder.emit(obj('one'), 'Normal', 'Applied', `record ${i}`);
    recorder.emit(obj('two'), 'Warning', 'Failed', 'other object');
    await recorder.flush();
    expect(sent.map(e => `${e.involvedObject.name}:${e.reason}:${e.message}`)).toEqual([
      'one:Applied:record 0',
      'one:Applied:record 1',
      'one:Applied:record 2',
      'two:Failed:other object',
    ]);
    expect(outcomes.filter(o => o === 'dropped')).toHaveLength(2);
    expect(sent[3]).toMatchObject({
      type: 'Warning',
      involvedObject: { uid: 'two' },
      source: { component: 'chaosplane-controller' },
    });
  });
});

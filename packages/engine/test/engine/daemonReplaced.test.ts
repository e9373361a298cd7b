// SPDX-License-Identifier: Apache-2.0
// Records applied again when their node's daemon is replaced, decided by the engine from the
// daemon Service's EndpointSlices: the real kube-emulator over HTTPS, the engine in process.
// The daemon itself is a stand-in that counts calls (this tier runs no containerd); the real
// daemon replaced with SIGTERM is experiment-networkchaos/test/daemonReplaced.system.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ChaosplaneError,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  type ChaosObject,
  type DaemonServiceDefinition,
  type ImplContext,
} from '@chaosplane/sdk';
import type { DaemonConnector, SelectorRegistry } from '@chaosplane/sdk/framework';
import { eventually } from '@chaosplane/testing/helpers';
import { startTestCluster, type TestCluster } from './support/emulator.js';
import { runEngine } from './support/runEngine.js';
import { createRecordingImpl, createTestSelectors } from './support/testKind.js';

const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
/** A daemon service as a plugin defines one; the stand-in connector answers every method. */
const FaultDaemon = {
  name: 'FaultDaemon',
  fullName: 'test.FaultDaemon',
  methods: {},
} as DaemonServiceDefinition;

let cluster: TestCluster;
let running: { stop(): Promise<void> } | undefined;
beforeAll(async () => {
  cluster = await startTestCluster();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
});
afterAll(async () => {
  await cluster?.stop();
});

/** The daemon Service's slice: each node's daemon pod (by uid), ready or not. */
async function putSlice(nodes: Record<string, { uid: string; ready: boolean }>): Promise<void> {
  const body = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'chaosplane-daemon-abcde',
      labels: { 'kubernetes.io/service-name': 'chaosplane-daemon' },
    },
    addressType: 'IPv4',
    endpoints: Object.entries(nodes).map(([nodeName, { uid, ready }], i) => ({
      addresses: [`10.0.0.${i + 1}`],
      nodeName,
      conditions: { ready },
      targetRef: { kind: 'Pod', namespace: 'default', name: `chaosplane-daemon-${uid}`, uid },
    })),
    ports: [{ name: 'grpc', port: 31767, protocol: 'TCP' }],
  };
  try {
    const existing = await cluster.client.request<{ metadata: { resourceVersion: string } }>(
      'GET',
      `${SLICES}/${body.metadata.name}`,
    );
    await cluster.client.request('PUT', `${SLICES}/${body.metadata.name}`, {
      body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion } },
    });
  } catch {
    await cluster.client.request('POST', SLICES, { body });
  }
}

/** Synthetic targets on nodes: `target-2` on node-2 and the others on node-1, unless moved. */
function placedSelectors(moved: Map<string, string>): SelectorRegistry {
  const base = createTestSelectors();
  return {
    ...base,
    resolve: (kind, target) => {
      const nodeName = moved.get(target.id) ?? (target.id.endsWith('/target-2') ? 'node-2' : 'node-1');
      return Promise.resolve({ ...target, kind, nodeName });
    },
  };
}

/**
 * A daemon connector whose calls succeed (unless `failNext` says how many to fail, as the old
 * daemon's address does), counting calls per record and the nodes it is told to forget.
 */
function standInDaemons(
  calls: string[],
  control: { failNext?: number; forgotten?: string[] } = {},
): DaemonConnector {
  return {
    forgetNode: nodeName => control.forgotten?.push(nodeName),
    client: (_definition, call) =>
      new Proxy(
        {},
        {
          get: (_target, method) => () => {
            calls.push(`${call.record}:${String(method)}`);
            if ((control.failNext ?? 0) > 0) {
              control.failNext! -= 1;
              return Promise.reject(
                new ChaosplaneError('daemon', 'daemon on node node-1: UNAVAILABLE: refused'),
              );
            }
            return Promise.resolve({});
          },
        },
      ) as never,
  };
}

/** The plugin's daemon call (the stand-in answers any method with any request). */
const inject = (ctx: ImplContext) =>
  (ctx.daemon(FaultDaemon) as unknown as { inject(request: object): Promise<unknown> }).inject({});

const recordsOf = (obj: ChaosObject | undefined) => obj?.status?.experiment?.containerRecords ?? [];
const counts = (obj: ChaosObject | undefined) =>
  Object.fromEntries(
    recordsOf(obj).map(r => [r.id, [r.phase, r.injectedCount, r.recoveredCount, r.inFlight]]),
  );

async function allInjected(name: string, count: number): Promise<ChaosObject> {
  return eventually(
    async () => {
      const obj = await cluster.get(name);
      const records = recordsOf(obj);
      return records.length === count && records.every(r => r.phase === PHASE_INJECTED) && obj;
    },
    { what: `${name}: every record Injected`, intervalMs: 20, timeoutMs: 8_000 },
  );
}

async function reasonsOf(name: string): Promise<{ reason: string; message: string }[]> {
  const events = await cluster.client.request<{ items: { reason: string; message: string }[] }>(
    'GET',
    '/api/v1/namespaces/default/events',
    { query: { fieldSelector: `involvedObject.name=${name}` } },
  );
  return events.items;
}

describe('a node whose daemon is replaced by another instance', () => {
  it('re-applies the running records applied through it, and only those', async () => {
    await putSlice({ 'node-1': { uid: 'pod-a', ready: true }, 'node-2': { uid: 'pod-c', ready: true } });
    const daemonCalls: string[] = [];
    const impl = createRecordingImpl({
      // Applies call the daemon, except those of the object that keeps its faults elsewhere.
      apply: async ctx => {
        if (ctx.obj.metadata.name !== 'api-only') await inject(ctx);
      },
    });
    const moved = new Map<string, string>();
    running = runEngine(cluster, impl, {
      daemons: standInDaemons(daemonCalls),
      selectors: placedSelectors(moved),
      daemonEndpoints: { namespace: 'default' },
    });
    await cluster.create('running', { count: 3 });
    await cluster.create('one-shot', { count: 1, oneShot: true });
    await cluster.create('api-only', { count: 1 });
    await cluster.create('paused', { count: 1 });
    for (const [name, count] of Object.entries({
      running: 3,
      'one-shot': 1,
      'api-only': 1,
      paused: 1,
    }))
      await allInjected(name, count);
    await cluster.annotate('paused', { 'experiment.chaos-mesh.org/pause': 'true' });
    await eventually(async () => recordsOf(await cluster.get('paused'))[0]?.phase === PHASE_NOT_INJECTED, {
      what: 'paused: recovered',
      timeoutMs: 8_000,
    });
    // A target now elsewhere (a StatefulSet pod recreated on another node) is left alone.
    moved.set('default/target-1', 'node-3');
    const appliesBefore = impl.calls.filter(c => c.op === 'apply').length;
    const daemonCallsBefore = daemonCalls.length;

    await putSlice({ 'node-1': { uid: 'pod-b', ready: true }, 'node-2': { uid: 'pod-c', ready: true } });

    const running1 = await eventually(
      async () => {
        const obj = await cluster.get('running');
        const target0 = recordsOf(obj).find(r => r.id === 'default/target-0');
        return target0?.injectedCount === 2 && target0.inFlight === undefined && obj;
      },
      { what: "running: node-1's record applied again", intervalMs: 20, timeoutMs: 8_000 },
    );
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(counts(await cluster.get('running'))).toEqual({
      'default/target-0': [PHASE_INJECTED, 2, 0, undefined],
      'default/target-1': [PHASE_INJECTED, 1, 0, undefined], // now on node-3: left alone, marker cleared
      'default/target-2': [PHASE_INJECTED, 1, 0, undefined], // node-2's daemon is the same pod
    });
    expect(running1).toBeDefined();
    for (const name of ['one-shot', 'api-only'])
      expect(recordsOf(await cluster.get(name)).map(r => r.injectedCount)).toEqual([1]);
    expect(recordsOf(await cluster.get('paused')).map(r => [r.phase, r.injectedCount])).toEqual([
      [PHASE_NOT_INJECTED, 1],
    ]);
    // Only running's target-0 called apply again (its second cycle), and its daemon with it.
    const reapplied = impl.calls.filter(c => c.op === 'apply').slice(appliesBefore);
    expect(reapplied.map(c => [c.id, c.cycle, c.phaseSeen])).toEqual([
      ['default/target-0', 1, PHASE_INJECTED],
    ]);
    expect(daemonCalls.slice(daemonCallsBefore)).toEqual(['default/target-0:inject']);

    const events = await eventually(
      async () => {
        const found = (await reasonsOf('running')).filter(e => e.reason === 'Reinjected');
        return found.length > 0 && found;
      },
      { what: 'a Reinjected Event' },
    );
    expect(events.map(e => e.message)).toEqual([
      'the chaos daemon on node node-1 was replaced (instance pod-a → pod-b): 1 injected record applied again',
    ]);
    for (const name of ['one-shot', 'api-only', 'paused'])
      expect((await reasonsOf(name)).map(e => e.reason)).not.toContain('Reinjected');
  }, 30_000);

  it('waits while the node has no ready daemon, and re-applies once the new one is ready (through a failed first try)', async () => {
    await putSlice({ 'node-1': { uid: 'pod-d', ready: true } });
    const impl = createRecordingImpl({
      apply: async ctx => void (await inject(ctx)),
    });
    const control: { failNext?: number; forgotten: string[] } = { forgotten: [] };
    running = runEngine(cluster, impl, {
      daemons: standInDaemons([], control),
      selectors: placedSelectors(new Map()),
      daemonEndpoints: { namespace: 'default' },
    });
    await cluster.create('gap', { count: 1 });
    await allInjected('gap', 1);
    await putSlice({ 'node-1': { uid: 'pod-d', ready: false } });
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(recordsOf(await cluster.get('gap')).map(r => r.injectedCount)).toEqual([1]);
    // The first call after the replacement fails (the old address), the retry lands.
    control.failNext = 1;
    await putSlice({ 'node-1': { uid: 'pod-e', ready: true } });
    await eventually(async () => recordsOf(await cluster.get('gap'))[0]?.injectedCount === 2, {
      what: 'gap: applied again on the new daemon',
      intervalMs: 20,
      timeoutMs: 8_000,
    });
    // The pool was told twice to forget node-1's address: as it went, and as the new one came.
    expect(control.forgotten).toEqual(['node-1', 'node-1']);
    const reinjected = await eventually(
      async () => {
        const found = (await reasonsOf('gap')).filter(e => e.reason === 'Reinjected');
        return found.length > 0 && found;
      },
      { what: 'a Reinjected Event after the retry', timeoutMs: 8_000 },
    );
    expect(reinjected.map(e => e.message)).toEqual([
      'the chaos daemon on node node-1 was replaced (instance pod-d → pod-e): 1 injected record applied again',
    ]);
    // Deleting afterwards recovers it once, and nothing is applied again on the way.
    await cluster.remove('gap');
    await eventually(async () => (await cluster.get('gap')) === undefined, { what: 'gap: deleted' });
    expect(impl.calls.map(c => `${c.op}#${c.cycle}`)).toEqual(['apply#0', 'apply#1', 'apply#1', 'recover#0']);
  }, 30_000);
});

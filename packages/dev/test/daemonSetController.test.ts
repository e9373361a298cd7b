// SPDX-License-Identifier: Apache-2.0
// The DaemonSet controller and the scheduler against a real kube-emulator (in this process): one
// pod per node that should run it (nodeSelector, taints and tolerations, the default tolerations
// of daemon pods, a cordoned node), pinned by node affinity and bound by the scheduler as 1.32
// does; a deleted daemon pod is replaced; a new template rolls out node by node with its
// ControllerRevisions. A stand-in kubelet (support/controllerCluster.ts) marks bound pods Ready.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/dev';
import type { Pod } from '@chaosplane/sdk';
import { startControllerCluster, type ControllerCluster } from './support/controllerCluster.js';
import { isReady, list, livePods, observePods } from './support/workloads.js';

const DAEMON_SETS = '/apis/apps/v1/namespaces/default/daemonsets';

interface DaemonSetStatus {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberReady: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberMisscheduled: number;
  observedGeneration?: number;
}

let cluster: ControllerCluster;
beforeAll(async () => {
  cluster = await startControllerCluster();
  await cluster.addNode('worker-1', { labels: { role: 'worker' } });
  await cluster.addNode('worker-2', { labels: { role: 'worker' } });
  await cluster.addNode('edge', { labels: { role: 'edge' } });
  await cluster.addNode('tainted', {
    labels: { role: 'worker' },
    taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
  });
  await cluster.addNode('cordoned', { labels: { role: 'worker' }, unschedulable: true });
});
afterAll(() => cluster.stop());

function daemonSet(name: string, extra: { tolerations?: object[]; image?: string } = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { role: 'worker' },
          ...(extra.tolerations ? { tolerations: extra.tolerations } : {}),
          containers: [{ name: 'agent', image: extra.image ?? 'busybox:1.36', command: ['sleep', '3600'] }],
        },
      },
    },
  };
}

async function status(name: string): Promise<DaemonSetStatus & { generation: number }> {
  const ds = await cluster.kube.request<{ metadata: { generation: number }; status: DaemonSetStatus }>(
    'GET',
    `${DAEMON_SETS}/${name}`,
  );
  return { ...ds.status, generation: ds.metadata.generation };
}

const nodesOf = (pods: Pod[]) => pods.map(p => p.spec?.nodeName).sort();

describe('DaemonSet controller', () => {
  it('runs one pod per node its selector and taints allow, cordoned nodes included, pinned by node affinity', async () => {
    await cluster.kube.request('POST', DAEMON_SETS, { body: daemonSet('agent') });
    const pods = await eventually(
      async () => {
        const live = await livePods(cluster.kube, 'app=agent');
        return live.length === 3 && live.every(p => p.status?.phase === 'Running') ? live : undefined;
      },
      { what: 'three agent pods running' },
    );
    // Daemon pods tolerate node.kubernetes.io/unschedulable; a NoSchedule taint keeps them off.
    expect(nodesOf(pods)).toEqual(['cordoned', 'worker-1', 'worker-2']);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(/^agent-[a-z0-9]{5}$/);
      const terms = (pod.spec as any).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
        .nodeSelectorTerms;
      expect(terms).toEqual([
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [pod.spec?.nodeName] }] },
      ]);
      expect((pod.spec as any).tolerations).toEqual(
        expect.arrayContaining([
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
          { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
        ]),
      );
      expect(pod.metadata.labels).toMatchObject({ app: 'agent', 'pod-template-generation': '1' });
      expect(pod.metadata.labels?.['controller-revision-hash']).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    }
    const s = await eventually(async () => {
      const current = await status('agent');
      return current.numberReady === 3 && current.observedGeneration === current.generation
        ? current
        : undefined;
    });
    expect(s).toMatchObject({
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      numberReady: 3,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
      numberMisscheduled: 0,
    });
  });

  it('places pods on a tainted node the template tolerates, and replaces a deleted daemon pod', async () => {
    await cluster.kube.request('POST', DAEMON_SETS, {
      body: daemonSet('gpu', {
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      }),
    });
    const pods = await eventually(async () => {
      const live = await livePods(cluster.kube, 'app=gpu');
      return live.length === 4 && live.every(p => p.spec?.nodeName) ? live : undefined;
    });
    expect(nodesOf(pods)).toEqual(['cordoned', 'tainted', 'worker-1', 'worker-2']);
    const victim = pods.find(p => p.spec?.nodeName === 'worker-1')!;
    await cluster.kube.request('DELETE', `/api/v1/namespaces/default/pods/${victim.metadata.name}`);
    const replacement = await eventually(
      async () => {
        const live = await livePods(cluster.kube, 'app=gpu');
        return live.find(p => p.spec?.nodeName === 'worker-1' && p.metadata.name !== victim.metadata.name);
      },
      { what: 'a new daemon pod on worker-1' },
    );
    expect(replacement.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'DaemonSet',
      name: 'gpu',
      controller: true,
    });
  });

  it('rolls a new template out one node at a time and records ControllerRevisions', async () => {
    await eventually(async () => (await status('agent')).updatedNumberScheduled === 3);
    let fewestAvailable = Infinity;
    const stop = observePods(cluster.kube, 'app=agent', pods => {
      const ready = pods.filter(isReady);
      fewestAvailable = Math.min(fewestAvailable, ready.length);
    });
    try {
      await cluster.kube.request('PATCH', `${DAEMON_SETS}/agent`, {
        contentType: 'application/merge-patch+json',
        body: {
          spec: {
            template: {
              spec: { containers: [{ name: 'agent', image: 'busybox:1.37', command: ['sleep', '3600'] }] },
            },
          },
        },
      });
      await eventually(
        async () => {
          const s = await status('agent');
          const pods = await livePods(cluster.kube, 'app=agent');
          return (
            s.updatedNumberScheduled === 3 &&
            s.numberAvailable === 3 &&
            pods.length === 3 &&
            pods.every(p => p.spec?.containers[0]?.image === 'busybox:1.37')
          );
        },
        { what: 'every agent pod on the new template' },
      );
    } finally {
      stop();
    }
    // maxUnavailable 1 (the default): never more than one node without its agent.
    expect(fewestAvailable).toBeGreaterThanOrEqual(2);
    const revisions = await list<{
      metadata: { name: string; labels: Record<string, string> };
      revision: number;
      data: { spec: { template: { $patch: string } } };
    }>(cluster.kube, '/apis/apps/v1/namespaces/default/controllerrevisions', 'app=agent');
    expect(revisions.map(r => r.revision).sort()).toEqual([1, 2]);
    const current = revisions.find(r => r.revision === 2)!;
    expect(current.metadata.name).toBe(`agent-${current.metadata.labels['controller-revision-hash']}`);
    expect(current.data.spec.template.$patch).toBe('replace');
    const pods = await livePods(cluster.kube, 'app=agent');
    expect(new Set(pods.map(p => p.metadata.labels?.['controller-revision-hash']))).toEqual(
      new Set([current.metadata.labels['controller-revision-hash']]),
    );
  });
});

describe('scheduler', () => {
  const podWith = (name: string, spec: object): Pod => ({
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], ...spec },
  });

  it('binds to the node the selector names, and says in kube-scheduler’s words why nothing fits', async () => {
    await cluster.kube.request('POST', '/api/v1/namespaces/default/pods', {
      body: podWith('edge-only', { nodeSelector: { role: 'edge' } }),
    });
    await cluster.kube.request('POST', '/api/v1/namespaces/default/pods', {
      body: podWith('nowhere', { nodeSelector: { role: 'gpu' } }),
    });
    const bound = await eventually(async () => {
      const pod = await cluster.kube.request<Pod>('GET', '/api/v1/namespaces/default/pods/edge-only');
      return pod.spec?.nodeName;
    });
    expect(bound).toBe('edge');
    const condition = await eventually(async () => {
      const pod = await cluster.kube.request<Pod>('GET', '/api/v1/namespaces/default/pods/nowhere');
      return (pod.status as any)?.conditions?.find((c: { type: string }) => c.type === 'PodScheduled');
    });
    expect(condition).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message:
        "0/5 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.",
    });
    const events = await list<{ reason: string; message: string; involvedObject: { name: string } }>(
      cluster.kube,
      '/api/v1/namespaces/default/events',
    );
    expect(
      events.filter(e => e.involvedObject.name === 'edge-only').map(e => [e.reason, e.message]),
    ).toContainEqual(['Scheduled', 'Successfully assigned default/edge-only to edge']);
    expect(events.some(e => e.involvedObject.name === 'nowhere' && e.reason === 'FailedScheduling')).toBe(
      true,
    );
    // A node that fits appears: the pending pod is bound to it.
    await cluster.addNode('gpu-1', { labels: { role: 'gpu' } });
    await eventually(
      async () => {
        const pod = await cluster.kube.request<Pod>('GET', '/api/v1/namespaces/default/pods/nowhere');
        return pod.spec?.nodeName === 'gpu-1';
      },
      { what: 'the pending pod bound to the new node' },
    );
  });

  it('spreads a burst of pods over the nodes that fit', async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        cluster.kube.request('POST', '/api/v1/namespaces/default/pods', {
          body: {
            ...podWith(`burst-${i}`, { nodeSelector: { role: 'worker' } }),
            metadata: { name: `burst-${i}`, namespace: 'default', labels: { burst: 'yes' } },
          },
        }),
      ),
    );
    const pods = await eventually(async () => {
      const live = await livePods(cluster.kube, 'burst=yes');
      return live.every(p => p.spec?.nodeName) ? live : undefined;
    });
    const perNode = new Map<string, number>();
    for (const pod of pods) perNode.set(pod.spec!.nodeName!, (perNode.get(pod.spec!.nodeName!) ?? 0) + 1);
    // Two schedulable workers (tainted and cordoned ones do not fit), already running daemon pods alike.
    expect([...perNode.keys()].sort()).toEqual(['worker-1', 'worker-2']);
    expect(perNode.get('worker-1')).toBe(3);
  });
});

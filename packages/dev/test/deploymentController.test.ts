// SPDX-License-Identifier: Apache-2.0
// The Deployment and ReplicaSet controllers against a real kube-emulator (in this process): a
// Deployment makes a ReplicaSet named after its template's hash, which makes the pods; a new
// template rolls out within maxSurge/maxUnavailable (RollingUpdate) or after every old pod is
// gone (Recreate); a paused rollout is held until resumed; scaling, replacement of deleted and
// failed pods, adoption, revisions and the progress deadline. A stand-in kubelet (support/controllerCluster.ts) marks bound pods Ready;
// the system tier runs the real one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/dev';
import type { Pod } from '@chaosplane/sdk';
import { startControllerCluster, type ControllerCluster } from './support/controllerCluster.js';
import { deployment, isReady, list, livePods, observePods } from './support/workloads.js';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const REPLICA_SETS = '/apis/apps/v1/namespaces/default/replicasets';

interface Workload {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
    generation?: number;
  };
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: { containers: { image: string }[] } };
  };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

let cluster: ControllerCluster;
beforeAll(async () => {
  cluster = await startControllerCluster();
  await cluster.addNode('node-a');
  await cluster.addNode('node-b');
});
afterAll(() => cluster.stop());

/** Waits until the Deployment's rollout is done as `kubectl rollout status` decides it. */
async function rolledOut(name: string): Promise<Workload> {
  return eventually(
    async () => {
      const d = await cluster.kube.request<Workload>('GET', `${DEPLOYMENTS}/${name}`);
      const s = d.status ?? {};
      const want = d.spec.replicas ?? 1;
      return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
        (s.updatedReplicas ?? 0) === want &&
        (s.replicas ?? 0) === want &&
        (s.availableReplicas ?? 0) === want
        ? d
        : undefined;
    },
    { what: `deployment ${name} rolled out`, timeoutMs: 20_000 },
  );
}

describe('Deployment controller', () => {
  it('creates a ReplicaSet named after its template hash, which creates owned pods, and reports the rollout', async () => {
    await cluster.kube.request('POST', DEPLOYMENTS, { body: deployment('web', 3) });
    const d = await rolledOut('web');
    const [rs] = await list<Workload>(cluster.kube, REPLICA_SETS, 'app=web');
    const hash = rs!.metadata.labels!['pod-template-hash']!;
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(rs!.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec.template.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true }),
    ]);
    expect(rs!.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const pods = await livePods(cluster.kube, 'app=web');
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      expect(pod.metadata.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'ReplicaSet',
          name: rs!.metadata.name,
          uid: rs!.metadata.uid,
          controller: true,
        }),
      ]);
    }
    // Spread by the scheduler over both nodes.
    expect(new Set(pods.map(p => p.spec?.nodeName))).toEqual(new Set(['node-a', 'node-b']));
    expect(d.status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      updatedReplicas: 3,
    });
    expect(d.status!.conditions!.map(c => [c.type, c.status, c.reason, c.message])).toEqual(
      expect.arrayContaining([
        ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
        [
          'Progressing',
          'True',
          'NewReplicaSetAvailable',
          `ReplicaSet "${rs!.metadata.name}" has successfully progressed.`,
        ],
      ]),
    );
  });

  it('rolls a new template out without ever exceeding maxSurge or going below maxUnavailable', async () => {
    await cluster.kube.request('POST', DEPLOYMENTS, {
      body: deployment('roll', 4, {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
    });
    await rolledOut('roll');
    let most = 0;
    let fewestReady = Infinity;
    const stop = observePods(cluster.kube, 'app=roll', pods => {
      most = Math.max(most, pods.length);
      const ready = pods.filter(isReady);
      if (pods.length > 0) fewestReady = Math.min(fewestReady, ready.length);
    });
    try {
      await cluster.kube.request('PATCH', `${DEPLOYMENTS}/roll`, {
        contentType: 'application/merge-patch+json',
        body: {
          spec: {
            template: {
              spec: { containers: [{ name: 'main', image: 'busybox:1.37', command: ['sleep', '3600'] }] },
            },
          },
        },
      });
      const d = await rolledOut('roll');
      expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
      const pods = await eventually(async () => {
        const live = await livePods(cluster.kube, 'app=roll');
        return live.length === 4 && live.every(p => p.spec?.containers[0]?.image === 'busybox:1.37')
          ? live
          : undefined;
      });
      expect(pods).toHaveLength(4);
    } finally {
      stop();
    }
    expect(most).toBe(5);
    expect(fewestReady).toBeGreaterThanOrEqual(4);
    const sets = await list<Workload>(cluster.kube, REPLICA_SETS, 'app=roll');
    expect(
      sets
        .map(rs => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], rs.spec.replicas])
        .sort(),
    ).toEqual([
      ['1', 0],
      ['2', 4],
    ]);
    const events = await list<{ reason: string; message: string; involvedObject: { name: string } }>(
      cluster.kube,
      '/api/v1/namespaces/default/events',
    );
    const scaling = events.filter(e => e.involvedObject.name === 'roll' && e.reason === 'ScalingReplicaSet');
    expect(scaling.map(e => e.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Scaled down replica set roll-\w+ from 4 to 3$/)]),
    );

    // A rollback as `kubectl rollout undo` sends it: a JSON patch replacing the template with
    // revision 1's, carrying the null creationTimestamp Go's serializer writes. Revision 1's
    // ReplicaSet comes back as revision 3.
    const first = sets.find(rs => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1')!;
    const { 'pod-template-hash': _hash, ...labels } = first.spec.template.metadata.labels;
    await cluster.kube.request('PATCH', `${DEPLOYMENTS}/roll`, {
      contentType: 'application/json-patch+json',
      body: [
        {
          op: 'replace',
          path: '/spec/template',
          value: { ...first.spec.template, metadata: { labels, creationTimestamp: null } },
        },
      ],
    });
    const undone = await rolledOut('roll');
    expect(undone.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const after = await list<Workload>(cluster.kube, REPLICA_SETS, 'app=roll');
    expect(after.map(rs => [rs.metadata.name, rs.spec.replicas]).sort()).toEqual(
      [
        [first.metadata.name, 4],
        [sets.find(rs => rs !== first)!.metadata.name, 0],
      ].sort(),
    );
    expect(after.find(rs => rs.metadata.name === first.metadata.name)!.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
  });

  it('holds a paused rollout (scaling still applies) and rolls it out once resumed, as kubectl rollout pause/resume', async () => {
    await cluster.kube.request('POST', DEPLOYMENTS, { body: deployment('held', 2) });
    await rolledOut('held');
    const patch = (body: object) =>
      cluster.kube.request('PATCH', `${DEPLOYMENTS}/held`, {
        contentType: 'application/merge-patch+json',
        body,
      });
    await patch({ spec: { paused: true } });
    const pausedReason = async () =>
      (await cluster.kube.request<Workload>('GET', `${DEPLOYMENTS}/held`)).status?.conditions?.find(
        c => c.type === 'Progressing',
      )?.reason;
    await eventually(async () => (await pausedReason()) === 'DeploymentPaused', {
      what: 'the Progressing condition says DeploymentPaused',
    });
    await patch({
      spec: {
        replicas: 3,
        template: {
          spec: { containers: [{ name: 'main', image: 'busybox:1.37', command: ['sleep', '3600'] }] },
        },
      },
    });
    // Scaled (the old template's ReplicaSet takes the third replica), but no new ReplicaSet.
    const held = await eventually(async () => {
      const live = await livePods(cluster.kube, 'app=held');
      return live.length === 3 && live.every(isReady) ? live : undefined;
    });
    expect(held.map(p => p.spec?.containers[0]?.image)).not.toContain('busybox:1.37');
    expect(await list<Workload>(cluster.kube, REPLICA_SETS, 'app=held')).toHaveLength(1);

    await patch({ spec: { paused: null } });
    await rolledOut('held');
    await eventually(async () => (await pausedReason()) !== 'DeploymentPaused', {
      what: 'the Progressing condition says resumed',
    });
    const rolled = await eventually(async () => {
      const live = await livePods(cluster.kube, 'app=held');
      return live.length === 3 && live.every(p => p.spec?.containers[0]?.image === 'busybox:1.37')
        ? live
        : undefined;
    });
    expect(rolled).toHaveLength(3);
    expect(await list<Workload>(cluster.kube, REPLICA_SETS, 'app=held')).toHaveLength(2);
  });

  it('Recreate: the new pods start only once every old pod is gone', async () => {
    await cluster.kube.request('POST', DEPLOYMENTS, {
      body: deployment('again', 2, { strategy: { type: 'Recreate' } }),
    });
    await rolledOut('again');
    let mixed = false;
    const stop = observePods(cluster.kube, 'app=again', pods => {
      if (new Set(pods.map(p => p.metadata.labels?.['pod-template-hash'])).size > 1) mixed = true;
    });
    try {
      await cluster.kube.request('PATCH', `${DEPLOYMENTS}/again`, {
        contentType: 'application/merge-patch+json',
        body: { spec: { template: { metadata: { annotations: { restartedAt: 'now' } } } } },
      });
      await eventually(async () => {
        const d = await rolledOut('again');
        return d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '2';
      });
    } finally {
      stop();
    }
    expect(mixed).toBe(false);
  });

  it('scales, replaces deleted and failed pods, deletes extra ones, and adopts a matching orphan', async () => {
    await cluster.kube.request('POST', DEPLOYMENTS, { body: deployment('keep', 2) });
    await rolledOut('keep');
    await cluster.kube.request('PATCH', `${DEPLOYMENTS}/keep`, {
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 4 } },
    });
    await eventually(async () => (await livePods(cluster.kube, 'app=keep')).length === 4, {
      what: 'four pods',
    });
    const [victim, failing] = await livePods(cluster.kube, 'app=keep');
    await cluster.kube.request('DELETE', `/api/v1/namespaces/default/pods/${victim!.metadata.name}`);
    await cluster.setPhase('default', failing!.metadata.name!, 'Failed');
    const replaced = await eventually(
      async () => {
        const pods = await livePods(cluster.kube, 'app=keep');
        const active = pods.filter(p => p.status?.phase !== 'Failed');
        return active.length === 4 && !active.some(p => p.metadata.name === victim!.metadata.name)
          ? pods
          : undefined;
      },
      { what: 'the deleted and the failed pod replaced' },
    );
    // The failed pod is left for inspection, as the ReplicaSet controller leaves it.
    expect(replaced.find(p => p.metadata.name === failing!.metadata.name)?.status?.phase).toBe('Failed');
    const [rs] = await list<Workload>(cluster.kube, REPLICA_SETS, 'app=keep');
    const orphan: Pod = {
      metadata: { name: 'keep-orphan', namespace: 'default', labels: { ...rs!.spec.selector.matchLabels } },
      spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
    };
    await cluster.kube.request('POST', '/api/v1/namespaces/default/pods', { body: orphan });
    await eventually(
      async () => {
        const pods = (await livePods(cluster.kube, 'app=keep')).filter(p => p.status?.phase !== 'Failed');
        const adopted = pods.every(p => p.metadata.ownerReferences?.[0]?.uid === rs!.metadata.uid);
        return adopted && pods.length === 4;
      },
      { what: 'the orphan adopted and one pod too many deleted' },
    );
    await cluster.kube.request('PATCH', `${DEPLOYMENTS}/keep`, {
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 1 } },
    });
    const d = await eventually(async () => {
      const out = await rolledOut('keep');
      return out.spec.replicas === 1 ? out : undefined;
    });
    expect(d.status).toMatchObject({ replicas: 1, availableReplicas: 1 });
  });

  it('reports ProgressDeadlineExceeded when pods never become ready', async () => {
    await cluster.addNode('node-stuck', { labels: { stuck: 'yes' }, ready: false });
    const body = deployment('stuck', 1, { progressDeadlineSeconds: 1 });
    (body.spec.template.spec as Record<string, unknown>).nodeSelector = { stuck: 'yes' };
    await cluster.kube.request('POST', DEPLOYMENTS, { body });
    const condition = await eventually(
      async () => {
        const d = await cluster.kube.request<Workload>('GET', `${DEPLOYMENTS}/stuck`);
        return d.status?.conditions?.find(
          c => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
        );
      },
      { what: 'the progress deadline passed', timeoutMs: 10_000 },
    );
    expect(condition.status).toBe('False');
    expect(condition.message).toMatch(/^ReplicaSet "stuck-\w+" has timed out progressing\.$/);
  });
});

// SPDX-License-Identifier: Apache-2.0
// A synthetic cluster for the selection benchmark: 10,000 pods in 100 namespaces on 50 nodes,
// shaped like real pods (labels, annotations, containers, status) so memory numbers mean something.

export interface BenchCluster {
  namespaces: Record<string, any>[];
  nodes: Record<string, any>[];
  pods: Record<string, any>[];
}

const APPS = ['web', 'api', 'db', 'cache'];
const PHASES = [
  'Running',
  'Running',
  'Running',
  'Running',
  'Running',
  'Running',
  'Running',
  'Running',
  'Succeeded',
  'Pending',
];

/** Builds the cluster; deterministic, so runs compare. */
export function makeCluster(namespaceCount = 100, podsPerNamespace = 100, nodeCount = 50): BenchCluster {
  const nodes = Array.from({ length: nodeCount }, (_, index) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `node-${index}`,
      labels: {
        'kubernetes.io/hostname': `node-${index}`,
        zone: `zone-${index % 3}`,
        pool: index % 2 ? 'general' : 'memory',
      },
    },
  }));
  const namespaces = Array.from({ length: namespaceCount }, (_, index) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: `ns-${index}`,
      ...(index % 2 === 0 ? { annotations: { 'chaos-mesh.org/inject': 'enabled' } } : {}),
    },
  }));
  const pods: Record<string, any>[] = [];
  for (let n = 0; n < namespaceCount; n++) {
    for (let p = 0; p < podsPerNamespace; p++) {
      const i = n * podsPerNamespace + p;
      const app = APPS[p % APPS.length];
      pods.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${app}-${p}-${(i * 2654435761) % 99991}`,
          namespace: `ns-${n}`,
          uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          resourceVersion: String(1000 + i),
          creationTimestamp: '2026-11-27T10:00:00Z',
          labels: {
            app,
            tier: p % 3 === 0 ? 'front' : 'back',
            'pod-template-hash': `h${(i * 7919) % 100000}`,
            'app.kubernetes.io/part-of': 'shop',
          },
          annotations: {
            'prometheus.io/scrape': p % 2 ? 'true' : 'false',
            'team.example.com/owner': `team-${n % 7}`,
          },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-rs`, uid: 'x', controller: true },
          ],
        },
        spec: {
          nodeName: `node-${i % nodeCount}`,
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          serviceAccountName: app,
          containers: [
            {
              name: app,
              image: `registry.example.com/${app}:1.2.3`,
              ports: [{ containerPort: 8080 }],
              resources: { requests: { cpu: '100m' } },
            },
            { name: 'sidecar', image: 'registry.example.com/proxy:2.0.0' },
          ],
        },
        status: {
          phase: PHASES[i % PHASES.length],
          podIP: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          hostIP: `192.168.0.${i % nodeCount}`,
          containerStatuses: [
            {
              name: app,
              containerID: `containerd://${i.toString(16).padStart(64, '0')}`,
              ready: true,
              restartCount: 0,
            },
          ],
        },
      });
    }
  }
  return { namespaces, nodes, pods };
}

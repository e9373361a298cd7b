// SPDX-License-Identifier: Apache-2.0
// One small cluster, written as Kubernetes objects, that the table-driven tests select from:
// in memory (unit tests) and through kube-emulator (cache and direct LIST).

export interface PodFixture {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeName?: string;
  restartPolicy?: string;
  schedulerName?: string;
  serviceAccountName?: string;
  phase: string;
  podIP?: string;
  nominatedNodeName?: string;
  terminating?: boolean;
  containers?: string[];
}

export const NAMESPACES: { name: string; annotations?: Record<string, string> }[] = [
  { name: 'app', annotations: { 'chaos-mesh.org/inject': 'enabled' } },
  { name: 'other' },
  { name: 'kube-system', annotations: { 'chaos-mesh.org/inject': 'enabled' } },
  { name: 'ops', annotations: { 'chaos-mesh.org/inject': 'enabled' } },
];

export const NODES: { name: string; labels: Record<string, string> }[] = [
  { name: 'node-a', labels: { zone: 'a', disk: 'ssd' } },
  { name: 'node-b', labels: { zone: 'b' } },
  { name: 'node-c', labels: { zone: 'a' } },
];

const defaults = {
  restartPolicy: 'Always',
  schedulerName: 'default-scheduler',
  serviceAccountName: 'default',
};

export const PODS: PodFixture[] = [
  {
    ...defaults,
    namespace: 'app',
    name: 'web-1',
    labels: { app: 'web', tier: 'front' },
    annotations: { team: 'blue' },
    nodeName: 'node-a',
    serviceAccountName: 'web',
    phase: 'Running',
    podIP: '10.0.0.1',
    containers: ['nginx', 'sidecar'],
  },
  {
    ...defaults,
    namespace: 'app',
    name: 'web-2',
    labels: { app: 'web', tier: 'front' },
    annotations: { team: 'red' },
    nodeName: 'node-b',
    serviceAccountName: 'web',
    phase: 'Running',
    podIP: '10.0.0.2',
    containers: ['nginx'],
  },
  {
    ...defaults,
    namespace: 'app',
    name: 'api-1',
    labels: { app: 'api', tier: 'back' },
    annotations: { team: 'blue' },
    nodeName: 'node-c',
    serviceAccountName: 'api',
    phase: 'Running',
    podIP: '10.0.0.3',
    containers: ['api', 'sidecar'],
  },
  {
    ...defaults,
    namespace: 'app',
    name: 'api-2',
    labels: { app: 'api' },
    nodeName: 'node-a',
    restartPolicy: 'OnFailure',
    schedulerName: 'custom',
    phase: 'Running',
    podIP: '10.0.0.4',
    nominatedNodeName: 'node-b',
    containers: ['api'],
  },
  {
    ...defaults,
    namespace: 'app',
    name: 'job-1',
    labels: { app: 'job' },
    nodeName: 'node-b',
    restartPolicy: 'Never',
    phase: 'Succeeded',
    containers: ['job'],
  },
  {
    ...defaults,
    namespace: 'app',
    name: 'job-2',
    labels: { app: 'job' },
    nodeName: 'node-b',
    restartPolicy: 'Never',
    phase: 'Failed',
    containers: ['job'],
  },
  {
    ...defaults,
    namespace: 'app',
    name: 'pending-1',
    labels: { app: 'web' },
    phase: 'Pending',
    nominatedNodeName: 'node-c',
    containers: ['nginx'],
  },
  {
    ...defaults,
    namespace: 'app',
    name: 'dying-1',
    labels: { app: 'web', tier: 'front' },
    nodeName: 'node-a',
    phase: 'Running',
    podIP: '10.0.0.9',
    terminating: true,
    containers: ['nginx'],
  },
  {
    ...defaults,
    namespace: 'other',
    name: 'web-3',
    labels: { app: 'web' },
    nodeName: 'node-a',
    phase: 'Running',
    podIP: '10.0.1.1',
    containers: ['nginx'],
  },
  {
    ...defaults,
    namespace: 'kube-system',
    name: 'dns-1',
    labels: { app: 'dns' },
    nodeName: 'node-a',
    phase: 'Running',
    podIP: '10.0.2.1',
    containers: ['coredns'],
  },
  {
    ...defaults,
    namespace: 'ops',
    name: 'operator-1',
    labels: { app: 'chaosplane' },
    nodeName: 'node-b',
    phase: 'Running',
    podIP: '10.0.3.1',
    containers: ['operator'],
  },
];

/** The pod as a Kubernetes object (without status when `withStatus` is false). */
export function podObject(pod: PodFixture, withStatus = true): Record<string, any> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      ...(pod.labels ? { labels: pod.labels } : {}),
      ...(pod.annotations ? { annotations: pod.annotations } : {}),
      ...(pod.terminating ? { finalizers: ['test.chaosplane.io/hold'] } : {}),
    },
    spec: {
      containers: (pod.containers ?? ['main']).map(name => ({ name, image: 'busybox' })),
      ...(pod.nodeName ? { nodeName: pod.nodeName } : {}),
      ...(pod.restartPolicy ? { restartPolicy: pod.restartPolicy } : {}),
      ...(pod.schedulerName ? { schedulerName: pod.schedulerName } : {}),
      ...(pod.serviceAccountName ? { serviceAccountName: pod.serviceAccountName } : {}),
    },
    ...(withStatus ? { status: podStatus(pod) } : {}),
  };
}

export function podStatus(pod: PodFixture): Record<string, any> {
  return {
    phase: pod.phase,
    ...(pod.podIP ? { podIP: pod.podIP } : {}),
    ...(pod.nominatedNodeName ? { nominatedNodeName: pod.nominatedNodeName } : {}),
  };
}

/** The pod object as seen after deletion was requested (for in-memory tests). */
export function podAsStored(pod: PodFixture): Record<string, any> {
  const object = podObject(pod);
  if (pod.terminating) object.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  return object;
}

export function namespaceObject(namespace: (typeof NAMESPACES)[number]): Record<string, any> {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace.name,
      ...(namespace.annotations ? { annotations: namespace.annotations } : {}),
    },
  };
}

export function nodeObject(node: (typeof NODES)[number]): Record<string, any> {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: node.name, labels: node.labels } };
}

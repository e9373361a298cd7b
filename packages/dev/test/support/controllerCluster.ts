// SPDX-License-Identifier: Apache-2.0
// The fast tier's cluster for the dev controllers: a real kube-emulator in this process, the
// controllers on it, and nodes whose pods a stand-in kubelet marks Running and Ready (with a pod
// IP) once bound: the real kubelet needs containerd and root, so the system tier runs that one.
// `ready: false` nodes leave their pods Pending, as a kubelet that cannot start them would.
import {
  createKubeConnection,
  loadKubeConfig,
  runReflector,
  createListWatch,
  type KubeConnection,
} from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { createSilentLogger } from '@chaosplane/service';
import { startDevControllers, type DevControllerName, type DevControllers } from '@chaosplane/dev';
import type { Pod } from '@chaosplane/sdk';

/** A running test cluster. */
export interface ControllerCluster {
  emulator: KubeEmulator;
  kube: KubeConnection;
  controllers: DevControllers;
  /** Nodes whose pods become Ready; others stay Pending. */
  readyNodes: Set<string>;
  /** Adds a node (labels, taints, unschedulable) whose pods the stand-in kubelet runs. */
  addNode(
    name: string,
    spec?: { labels?: Record<string, string>; taints?: object[]; unschedulable?: boolean; ready?: boolean },
  ): Promise<void>;
  /** Writes a pod's phase (Failed, for one) as its kubelet would. */
  setPhase(namespace: string, name: string, phase: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the emulator, the controllers and the stand-in kubelet. */
export async function startControllerCluster(
  controllers?: readonly DevControllerName[],
): Promise<ControllerCluster> {
  const emulator = await startKubeEmulator({});
  const kube = createKubeConnection(loadKubeConfig(emulator.kubeconfigPath));
  const stop = new AbortController();
  const log = createSilentLogger();
  const started = await startDevControllers({
    kube,
    log,
    signal: stop.signal,
    ...(controllers ? { controllers } : {}),
  });
  const readyNodes = new Set<string>();
  let ip = 1;
  const markRunning = async (pod: Pod) => {
    const node = pod.spec?.nodeName;
    if (!node || !readyNodes.has(node) || pod.status?.phase !== 'Pending' || pod.metadata.deletionTimestamp)
      return;
    const now = new Date().toISOString();
    const podIP = `10.244.0.${ip++}`;
    await kube
      .request('PUT', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`, {
        body: {
          ...pod,
          status: {
            ...pod.status,
            phase: 'Running',
            podIP,
            podIPs: [{ ip: podIP }],
            hostIP: '127.0.0.1',
            conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(type => ({
              type,
              status: 'True',
              lastTransitionTime: now,
            })),
          },
        },
      })
      .catch(() => undefined);
  };
  const kubelet = runReflector<Pod>(
    {
      source: createListWatch<Pod>(kube, '/api/v1/pods'),
      onEvent: event => {
        if (event.type === 'listed') event.items.forEach(p => void markRunning(p));
        else if (event.type !== 'deleted') void markRunning(event.object);
      },
    },
    stop.signal,
  );
  return {
    emulator,
    kube,
    controllers: started,
    readyNodes,
    async addNode(name, spec = {}) {
      if (spec.ready !== false) readyNodes.add(name);
      await kube.request('POST', '/api/v1/nodes', {
        body: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(spec.labels ?? {}) } },
          spec: {
            ...(spec.taints ? { taints: spec.taints } : {}),
            ...(spec.unschedulable ? { unschedulable: true } : {}),
          },
        },
      });
    },
    async setPhase(namespace, name, phase) {
      const pod = await kube.request<Pod>('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
      await kube.request('PUT', `/api/v1/namespaces/${namespace}/pods/${name}/status`, {
        body: { ...pod, status: { ...pod.status, phase, conditions: [] } },
      });
    },
    async stop() {
      await started.stop();
      stop.abort();
      await kubelet;
      kube.close();
      await emulator.stop();
    },
  };
}

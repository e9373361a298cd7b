// SPDX-License-Identifier: Apache-2.0
// Loads the fixture cluster (support/cluster.ts) into a real kube-emulator through the API:
// pods are created, then their status written through the status subresource (the API server
// ignores status on create), and "terminating" pods get a finalizer and a DELETE.
import * as k8s from '@kubernetes/client-node';
import { createKubeConnection, type KubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator, type KubeEmulatorOptions } from '@chaosplane/kube-emulator';
import {
  NAMESPACES,
  NODES,
  PODS,
  namespaceObject,
  nodeObject,
  podObject,
  podStatus,
  type PodFixture,
} from './cluster.js';

export interface EmulatorCluster {
  emulator: KubeEmulator;
  kubeConfig: k8s.KubeConfig;
  /** The kube layer's connection to the emulator, what the cache and selectors read through. */
  connection: KubeConnection;
  core: k8s.CoreV1Api;
  stop(): Promise<void>;
}

/** Starts an emulator on 127.0.0.1:0 with an empty cluster. */
export async function startEmulator(options: KubeEmulatorOptions = {}): Promise<EmulatorCluster> {
  const emulator = await startKubeEmulator(options);
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromString(emulator.kubeConfig);
  const connection = createKubeConnection(kubeConfig);
  return {
    emulator,
    kubeConfig,
    connection,
    core: kubeConfig.makeApiClient(k8s.CoreV1Api),
    stop: async () => {
      connection.close();
      await emulator.stop();
    },
  };
}

/** Creates a namespace, or sets the annotations of one that exists (kube-system is built in). */
export async function ensureNamespace(core: k8s.CoreV1Api, body: Record<string, any>): Promise<void> {
  try {
    await core.createNamespace({ body });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
    const existing = await core.readNamespace({ name: body.metadata.name });
    existing.metadata = {
      ...existing.metadata,
      annotations: { ...existing.metadata?.annotations, ...body.metadata.annotations },
    };
    await core.replaceNamespace({ name: body.metadata.name, body: existing });
  }
}

/** Creates a pod with its status, as the kubelet would have reported it. */
export async function createPod(core: k8s.CoreV1Api, pod: PodFixture): Promise<void> {
  const created = await core.createNamespacedPod({
    namespace: pod.namespace,
    body: podObject(pod, false) as k8s.V1Pod,
  });
  await core.replaceNamespacedPodStatus({
    namespace: pod.namespace,
    name: pod.name,
    body: { ...created, status: podStatus(pod) },
  });
  if (pod.terminating) {
    // The finalizer keeps the pod, now with a deletionTimestamp: "terminating".
    await core.deleteNamespacedPod({ namespace: pod.namespace, name: pod.name });
  }
}

/** Starts an emulator holding the fixture cluster. */
export async function startFixtureCluster(): Promise<EmulatorCluster> {
  const cluster = await startEmulator();
  try {
    for (const namespace of NAMESPACES) await ensureNamespace(cluster.core, namespaceObject(namespace));
    for (const node of NODES) await cluster.core.createNode({ body: nodeObject(node) as k8s.V1Node });
    for (const pod of PODS) await createPod(cluster.core, pod);
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

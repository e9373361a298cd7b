// SPDX-License-Identifier: Apache-2.0
// The kube-emulator with the test kind's CRD, and small helpers the tests use to act as a user.
import { KubeConfig } from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { createKubeConnection, kubeStatusCode, resourcePath, type KubeConnection } from '@chaosplane/kube';
import type { ChaosObject } from '@chaosplane/sdk';
import { generateCrd } from '../../../src/crd/generateCrd.js';
import { testKind } from './testKind.js';

export interface TestCluster {
  emulator: KubeEmulator;
  kubeConfig: KubeConfig;
  client: KubeConnection;
  create(
    name: string,
    spec: Record<string, unknown>,
    annotations?: Record<string, string>,
  ): Promise<ChaosObject>;
  get(name: string): Promise<ChaosObject | undefined>;
  remove(name: string): Promise<void>;
  annotate(name: string, annotations: Record<string, string | null>): Promise<void>;
  createPod(name: string, labels: Record<string, string>): Promise<void>;
  deletePod(name: string): Promise<void>;
  podExists(name: string, signal?: AbortSignal): Promise<boolean>;
  listPods(labels: Record<string, string>, signal?: AbortSignal): Promise<string[]>;
  stop(): Promise<void>;
}

/** Retries a test-side request through injected faults (the engine is what is under test). */
async function retrying<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const status = kubeStatusCode(error);
      if (attempt >= 20 || !(status === 409 || status === 429 || (status !== undefined && status >= 500)))
        throw error;
      await new Promise(resolve => setTimeout(resolve, 20 * attempt));
    }
  }
}

/**
 * Starts an emulator (optionally on a data dir, and on a clock shared with the engine) and
 * installs the test kind's CRD.
 */
export async function startTestCluster(
  options: { dataDir?: string; now?: () => number } = {},
): Promise<TestCluster> {
  const emulator = await startKubeEmulator({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(emulator.kubeConfig);
  const client = createKubeConnection(kubeConfig);
  await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    body: generateCrd(testKind),
  });
  const path = (name: string) => resourcePath(testKind, 'default', name);
  return {
    emulator,
    kubeConfig,
    client,
    create: (name, spec, annotations) =>
      retrying(() =>
        client.request<ChaosObject>('POST', resourcePath(testKind, 'default'), {
          body: {
            apiVersion: testKind.apiVersion,
            kind: testKind.kind,
            metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
            spec,
          },
        }),
      ),
    get: name =>
      retrying(async () => {
        try {
          return await client.request<ChaosObject>('GET', path(name));
        } catch (error) {
          if (kubeStatusCode(error) === 404) return undefined;
          throw error;
        }
      }),
    remove: name =>
      retrying(async () => {
        try {
          await client.request('DELETE', path(name));
        } catch (error) {
          if (kubeStatusCode(error) !== 404) throw error;
        }
      }),
    annotate: (name, annotations) =>
      retrying(async () => {
        await client.request('PATCH', path(name), {
          body: { metadata: { annotations } },
          contentType: 'application/merge-patch+json',
        });
      }),
    createPod: async (name, labels) => {
      await client.request('POST', '/api/v1/namespaces/default/pods', {
        body: { metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      });
    },
    deletePod: async name => {
      await client.request('DELETE', `/api/v1/namespaces/default/pods/${name}`, {
        query: { gracePeriodSeconds: 0 },
      });
    },
    podExists: async (name, signal) => {
      try {
        await client.request('GET', `/api/v1/namespaces/default/pods/${name}`, signal ? { signal } : {});
        return true;
      } catch (error) {
        if (kubeStatusCode(error) === 404) return false;
        throw error;
      }
    },
    listPods: async (labels, signal) => {
      const selector = Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const list = await client.request<{ items: { metadata: { name: string } }[] }>(
        'GET',
        '/api/v1/namespaces/default/pods',
        { query: { labelSelector: selector }, ...(signal ? { signal } : {}) },
      );
      return list.items.map(pod => pod.metadata.name).sort();
    },
    async stop() {
      client.close();
      await emulator.stop();
    },
  };
}

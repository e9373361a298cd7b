// SPDX-License-Identifier: Apache-2.0
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

const clients = new WeakMap<KubeConfig, CoreV1Api>();

/** One CoreV1Api per KubeConfig: the operator hands the same config to every call. */
export function coreApiFor(kube: KubeConfig): CoreV1Api {
  let api = clients.get(kube);
  if (api === undefined) {
    api = kube.makeApiClient(CoreV1Api);
    clients.set(kube, api);
  }
  return api;
}

/** The HTTP status of a client-node failure, if it has one. */
export function statusCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

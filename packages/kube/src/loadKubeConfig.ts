// SPDX-License-Identifier: Apache-2.0
import { KubeConfig } from '@kubernetes/client-node';
import { ChaosplaneError } from '@chaosplane/sdk';

/**
 * Loads a kubeconfig from a path, or by client-node's default rules (KUBECONFIG, in-cluster
 * ServiceAccount, ~/.kube/config). Credentials (exec plugins, token files) are applied per
 * request by {@link createKubeConnection}, so rotation keeps working.
 * @throws ChaosplaneError of kind `invalid` when it cannot be read or names no cluster
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kube = new KubeConfig();
  try {
    if (path !== undefined) kube.loadFromFile(path);
    else kube.loadFromDefault();
  } catch (error) {
    throw new ChaosplaneError(
      'invalid',
      `cannot load kubeconfig ${path ?? '(default rules)'}: ${(error as Error).message}`,
      { field: 'kubeconfig', cause: error },
    );
  }
  if (kube.getCurrentCluster() === null) {
    throw new ChaosplaneError('invalid', `kubeconfig ${path ?? '(default rules)'} has no current cluster`, {
      field: 'kubeconfig',
    });
  }
  return kube;
}

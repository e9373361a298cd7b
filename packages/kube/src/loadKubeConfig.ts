// SPDX-License-Identifier: Apache-2.0
import { KubeConfig } from '@kubernetes/client-node';
import { ChaosplaneError } from '@chaosplane/sdk';

// What client-node's default rules make up when they find nothing: an anonymous
// http://localhost:8080 (kubectl's old insecure port), which no cluster serves any more.
const MADE_UP_SERVER = 'http://localhost:8080';

/** Whether `kube` is the made-up fallback rather than a configuration found somewhere. */
function isMadeUpFallback(kube: KubeConfig): boolean {
  const [cluster, ...otherClusters] = kube.getClusters();
  const [user, ...otherUsers] = kube.getUsers();
  return (
    otherClusters.length === 0 &&
    otherUsers.length === 0 &&
    cluster?.name === 'cluster' &&
    cluster.server === MADE_UP_SERVER &&
    user?.name === 'user' &&
    user.token === undefined
  );
}

/**
 * Loads a kubeconfig from a path, or by client-node's default rules (KUBECONFIG, in-cluster
 * ServiceAccount, ~/.kube/config). Credentials (exec plugins, token files) are applied per
 * request by {@link createKubeConnection}, so rotation keeps working.
 * @throws ChaosplaneError of kind `invalid` when it cannot be read, names no cluster, or the
 * default rules found no configuration at all
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
  if (path === undefined && isMadeUpFallback(kube)) {
    throw new ChaosplaneError(
      'invalid',
      'no kubeconfig found: KUBECONFIG is not set, ~/.kube/config does not exist, and this is not a pod ' +
        'with a ServiceAccount token (/var/run/secrets/kubernetes.io/serviceaccount/token); pass --kubeconfig',
      { field: 'kubeconfig' },
    );
  }
  if (kube.getCurrentCluster() === null) {
    throw new ChaosplaneError('invalid', `kubeconfig ${path ?? '(default rules)'} has no current cluster`, {
      field: 'kubeconfig',
    });
  }
  return kube;
}

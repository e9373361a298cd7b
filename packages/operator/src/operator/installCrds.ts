// SPDX-License-Identifier: Apache-2.0
// `--install-crds`: create each plugin's CRD, or update it in place when it already exists.
// The CRD goes out as raw JSON: client-node's typed ApiextensionsV1Api would pass it through
// its models and silently drop `enum`, `x-kubernetes-validations` and
// `x-kubernetes-preserve-unknown-fields`.
import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeClient, generateCrd, isNotFound, type ChaosKind, type Logger } from '@chaosplane/core';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** Creates or upgrades the CRD of every kind; returns the names written. */
export async function installCrds(
  kube: KubeConfig,
  kinds: readonly ChaosKind[],
  log: Logger,
): Promise<string[]> {
  const client = createKubeClient(kube, { maxSockets: 2 });
  const names: string[] = [];
  try {
    for (const kind of kinds) {
      const crd = generateCrd(kind);
      const name = crd.metadata.name;
      try {
        const existing = await client.request<{ metadata: { resourceVersion: string } }>(
          'GET',
          `${CRDS}/${name}`,
        );
        await client.request('PUT', `${CRDS}/${name}`, {
          body: { ...crd, metadata: { ...crd.metadata, resourceVersion: existing.metadata.resourceVersion } },
        });
        log.info('CRD upgraded', { crd: name });
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await client.request('POST', CRDS, { body: crd });
        log.info('CRD installed', { crd: name });
      }
      names.push(name);
    }
  } finally {
    client.close();
  }
  return names;
}

// SPDX-License-Identifier: Apache-2.0
// `--install-crds`: create each plugin's CRD, or update it in place when it already exists.
import {
  ApiException,
  ApiextensionsV1Api,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { generateCrd, type ChaosKind, type Logger } from '@chaosplane/core';

/** Creates or upgrades the CRD of every kind; returns the names written. */
export async function installCrds(
  kube: KubeConfig,
  kinds: readonly ChaosKind[],
  log: Logger,
): Promise<string[]> {
  const api = kube.makeApiClient(ApiextensionsV1Api);
  const names: string[] = [];
  for (const kind of kinds) {
    const body = generateCrd(kind) as unknown as V1CustomResourceDefinition;
    const name = body.metadata!.name!;
    try {
      const existing = await api.readCustomResourceDefinition({ name });
      body.metadata!.resourceVersion = existing.metadata?.resourceVersion;
      await api.replaceCustomResourceDefinition({ name, body });
      log.info('CRD upgraded', { crd: name });
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 404)) throw error;
      await api.createCustomResourceDefinition({ body });
      log.info('CRD installed', { crd: name });
    }
    names.push(name);
  }
  return names;
}

// SPDX-License-Identifier: Apache-2.0
// Applying YAML manifests over the kube layer: create, or replace what exists (kubectl apply's
// outcome for these simple objects). Kinds are resolved through API discovery, as kubectl does.
import { readFile } from 'node:fs/promises';
import { createResourceDiscovery, resourcePath } from '@chaosplane/kube';
import { parseManifests, type ManifestObject } from '@chaosplane/operator';
import { ChaosplaneError, type KubeClient } from '@chaosplane/sdk';

/** Creates each object, or replaces it when it already exists. */
export async function applyManifests(kube: KubeClient, objects: readonly ManifestObject[]): Promise<void> {
  const resourceFor = createResourceDiscovery(kube);
  for (const obj of objects) {
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      throw new ChaosplaneError('invalid', 'a manifest object needs apiVersion, kind and metadata.name', {
        field: 'metadata.name',
      });
    }
    const type = await resourceFor(obj.apiVersion, obj.kind);
    const namespace = (type.namespaced ?? true) ? (obj.metadata.namespace ?? 'default') : undefined;
    const body = namespace === undefined ? obj : { ...obj, metadata: { ...obj.metadata, namespace } };
    try {
      await kube.request('POST', resourcePath(type, namespace), { body });
    } catch (error) {
      if (!ChaosplaneError.isKind(error, 'conflict')) throw error;
      // Pods and chaos specs are immutable: what exists is what the manifest asked for.
      if (obj.kind === 'Pod' || obj.kind === 'Namespace') continue;
      const path = resourcePath(type, namespace, obj.metadata.name);
      const existing = await kube.request<{ metadata: { resourceVersion: string } }>('GET', path);
      await kube.request('PUT', path, {
        body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata.resourceVersion } },
      });
    }
  }
}

/** Reads and applies a manifest file. */
export async function applyManifestFile(kube: KubeClient, file: string): Promise<ManifestObject[]> {
  const objects = parseManifests(await readFile(file, 'utf8'));
  await applyManifests(kube, objects);
  return objects;
}

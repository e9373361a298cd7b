// SPDX-License-Identifier: Apache-2.0
// Applying YAML manifests with client-node: create, or replace what exists (kubectl apply's
// outcome for these simple objects).
import { readFile } from 'node:fs/promises';
import { KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

/** Parses every non-empty document of a YAML stream. */
export function parseManifests(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map(doc => doc.toJSON() as KubernetesObject | null)
    .filter((obj): obj is KubernetesObject => obj !== null && typeof obj === 'object');
}

/** Creates each object, or replaces it when it already exists. */
export async function applyManifests(kube: KubeConfig, objects: readonly KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kube);
  for (const obj of objects) {
    try {
      await api.create(obj);
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
      const existing = await api.read({
        apiVersion: obj.apiVersion!,
        kind: obj.kind!,
        metadata: { name: obj.metadata!.name!, namespace: obj.metadata?.namespace ?? 'default' },
      });
      // Pods and chaos specs are immutable: what exists is what the manifest asked for.
      if (obj.kind === 'Pod' || obj.kind === 'Namespace') continue;
      await api.replace({
        ...obj,
        metadata: { ...obj.metadata, resourceVersion: existing.metadata?.resourceVersion },
      });
    }
  }
}

/** Reads and applies a manifest file. */
export async function applyManifestFile(kube: KubeConfig, file: string): Promise<KubernetesObject[]> {
  const objects = parseManifests(await readFile(file, 'utf8'));
  await applyManifests(kube, objects);
  return objects;
}

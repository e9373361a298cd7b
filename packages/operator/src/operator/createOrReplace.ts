// SPDX-License-Identifier: Apache-2.0
// Create or replace, as `kubectl apply` does for objects the operator owns outright (its CRDs,
// its admission policy). Raw JSON: client-node's typed models would drop fields they do not know.
import { ChaosplaneError, type KubeClient } from '@chaosplane/sdk';

/**
 * Creates `obj` at `collection`, or replaces the one of the same name (its resourceVersion read
 * first, so the replace is an update of what is there).
 */
export async function createOrReplace(
  client: KubeClient,
  collection: string,
  obj: { metadata: { name: string } },
): Promise<'created' | 'replaced'> {
  const url = `${collection}/${obj.metadata.name}`;
  const existing = await client
    .request<{ metadata: { resourceVersion: string } }>('GET', url)
    .catch((error: unknown) => {
      if (ChaosplaneError.isKind(error, 'not-found')) return undefined;
      throw error;
    });
  if (existing === undefined) {
    await client.request('POST', collection, { body: obj });
    return 'created';
  }
  const metadata = { ...obj.metadata, resourceVersion: existing.metadata.resourceVersion };
  await client.request('PUT', url, { body: { ...obj, metadata } });
  return 'replaced';
}

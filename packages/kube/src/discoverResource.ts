// SPDX-License-Identifier: Apache-2.0
// Finds the resource (plural, scope) of a kind through API discovery, as kubectl does before it
// applies a manifest.
import { ChaosplaneError, type KubeClient } from '@chaosplane/sdk';
import type { ResourceType } from './resourcePath.js';

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** Resolves `apiVersion` + `kind` to its resource type; the answers are cached per group version. */
export function createResourceDiscovery(
  kube: KubeClient,
): (apiVersion: string, kind: string, signal?: AbortSignal) => Promise<ResourceType> {
  const lists = new Map<string, Promise<ApiResourceList>>();
  return async (apiVersion, kind, signal) => {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
    let list = lists.get(path);
    if (list === undefined) {
      list = kube.request<ApiResourceList>('GET', path, signal ? { signal } : {});
      lists.set(path, list);
      list.catch(() => lists.delete(path));
    }
    const resource = (await list).resources.find(r => r.kind === kind && !r.name.includes('/'));
    if (resource === undefined) {
      throw new ChaosplaneError('not-found', `no matches for kind "${kind}" in version "${apiVersion}"`, {
        field: 'kind',
      });
    }
    return { group: group!, version: version!, plural: resource.name, namespaced: resource.namespaced };
  };
}

// SPDX-License-Identifier: Apache-2.0

/** A resource type as its API path needs it: group (`''` for core), version, plural. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  /** Namespaced (the default) or cluster-scoped. */
  namespaced?: boolean;
}

/**
 * The API path of a collection (`name` undefined) or of one object: `/api/v1/namespaces/ns/pods/x`,
 * `/apis/chaos-mesh.org/v1alpha1/podchaos` (every namespace when `namespace` is undefined).
 */
export function resourcePath(type: ResourceType, namespace?: string, name?: string): string {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const ns =
    (type.namespaced ?? true) && namespace !== undefined
      ? `/namespaces/${encodeURIComponent(namespace)}`
      : '';
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${base}${ns}/${type.plural}${object}`;
}

/** core/v1 Pods. */
export const PODS: ResourceType = { group: '', version: 'v1', plural: 'pods' };

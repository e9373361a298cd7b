// SPDX-License-Identifier: Apache-2.0
/** The set of served resource types and the discovery documents that describe them. */
import { ALL_VERBS, type ResourceType, resourceKey, storageKeyOf } from '../types.js';
import { builtinResourceTypes } from './builtin.js';
import { compareKubeVersions } from '../crd/crd.js';

/** Registry of served resources. */
export interface ResourceRegistry {
  /** Finds the type serving `group/version/plural`. */
  lookup(group: string, version: string, plural: string): ResourceType | undefined;
  /** The type registered under a storage key. */
  byKey(key: string): ResourceType | undefined;
  /** Finds the type of a group + kind (any served version). */
  byKind(group: string, kind: string): ResourceType | undefined;
  /** Adds or replaces a CRD-served type. */
  register(type: ResourceType): void;
  /** Removes a type. */
  unregister(group: string, plural: string): void;
  all(): ResourceType[];
  /** The storage key of a type (shared storage for events.k8s.io Events). */
  storageKey(type: ResourceType): string;
  /** `/api` */
  apiVersions(): object;
  /** `/apis` */
  apiGroupList(): object;
  /** `/apis/GROUP` or undefined */
  apiGroup(group: string): object | undefined;
  /** `/api/v1` or `/apis/GROUP/VERSION`, or undefined */
  resourceList(group: string, version: string): object | undefined;
  /** A counter bumped on every change, for cache headers and OpenAPI hashes. */
  readonly generation: number;
}

/** Served versions of each named group, preferred first (the core group is not one). */
function groupsOf(types: Iterable<ResourceType>): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const t of types) {
    if (t.group === '') continue;
    let set = out.get(t.group);
    if (!set) out.set(t.group, (set = new Set()));
    for (const v of t.versions) set.add(v);
  }
  return new Map([...out].map(([g, s]) => [g, [...s].sort(compareKubeVersions)]));
}

function groupDoc(group: string, versions: string[]): object {
  return {
    name: group,
    versions: versions.map(v => ({ groupVersion: `${group}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${group}/${versions[0]}`, version: versions[0] },
  };
}

/** The APIResource entries of one type in one version: itself, `pods/binding`, `deployments/scale`, `/status`. */
function apiResources(t: ResourceType, version: string): object[] {
  const resources: object[] = [
    {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs ?? ALL_VERBS,
      ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length > 0 ? { categories: t.categories } : {}),
      storageVersionHash: Buffer.from(`${t.group}/${t.storageVersion}/${t.kind}`)
        .toString('base64')
        .slice(0, 11),
    },
  ];
  if (t.group === '' && t.plural === 'serviceaccounts') {
    resources.push({
      name: 'serviceaccounts/token',
      singularName: '',
      namespaced: true,
      group: 'authentication.k8s.io',
      version: 'v1',
      kind: 'TokenRequest',
      verbs: ['create'],
    });
  }
  if (t.group === '' && t.plural === 'pods') {
    resources.push({
      name: 'pods/binding',
      singularName: '',
      namespaced: true,
      kind: 'Binding',
      verbs: ['create'],
    });
  }
  if (t.group === 'apps' && t.plural === 'deployments') {
    resources.push({
      name: 'deployments/scale',
      singularName: '',
      namespaced: true,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    });
  }
  const statusServed = t.crd ? t.crd.versions[version]?.subresources.status : t.hasStatus;
  if (statusServed) {
    resources.push({
      name: `${t.plural}/status`,
      singularName: '',
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: ['get', 'patch', 'update'],
    });
  }
  return resources;
}

/** `/api/v1` or `/apis/GROUP/VERSION`, or undefined when nothing is served there. */
function resourceListDoc(types: Iterable<ResourceType>, group: string, version: string): object | undefined {
  const served = [...types].filter(t => t.group === group && t.versions.includes(version));
  if (served.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: served.flatMap(t => apiResources(t, version)),
  };
}

/** Creates the registry with the built-in kinds. */
export function createResourceRegistry(): ResourceRegistry {
  const types = new Map<string, ResourceType>();
  let generation = 1;
  for (const t of builtinResourceTypes()) types.set(resourceKey(t.group, t.plural), t);
  return {
    get generation() {
      return generation;
    },
    lookup(group, version, plural) {
      const t = types.get(resourceKey(group, plural));
      return t && t.versions.includes(version) ? t : undefined;
    },
    byKey(key) {
      return types.get(key);
    },
    byKind(group, kind) {
      for (const t of types.values()) if (t.group === group && t.kind === kind) return t;
      return undefined;
    },
    register(type) {
      types.set(resourceKey(type.group, type.plural), type);
      generation++;
    },
    unregister(group, plural) {
      types.delete(resourceKey(group, plural));
      generation++;
    },
    all() {
      return [...types.values()];
    },
    storageKey: storageKeyOf,
    apiVersions() {
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
      };
    },
    apiGroupList() {
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groupsOf(types.values())].map(([g, vs]) => groupDoc(g, vs)),
      };
    },
    apiGroup(group) {
      const vs = groupsOf(types.values()).get(group);
      return vs ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group, vs) } : undefined;
    },
    resourceList(group, version) {
      return resourceListDoc(types.values(), group, version);
    },
  };
}

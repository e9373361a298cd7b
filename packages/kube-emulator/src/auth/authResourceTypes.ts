// SPDX-License-Identifier: Apache-2.0
/**
 * The create-only resources of authentication.k8s.io and authorization.k8s.io, described for
 * discovery (so `kubectl api-resources` lists them and clients find them) and for the verb check
 * (anything but `create` is a 405). They are answered by authEndpoints.ts, never stored.
 */
import { type ResourceType } from '../types.js';

function review(group: string, kind: string, namespaced = false): ResourceType {
  return {
    group,
    versions: ['v1'],
    storageVersion: 'v1',
    kind,
    listKind: `${kind}List`,
    plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    shortNames: [],
    categories: [],
    namespaced,
    hasStatus: false,
    hasGeneration: false,
    selectableFields: [],
    strategicMerge: false,
    allowUnconditionalUpdate: true,
    nameRule: 'subdomain',
    verbs: ['create'],
  };
}

/** The review kinds. */
export function authResourceTypes(): ResourceType[] {
  return [
    review('authentication.k8s.io', 'SelfSubjectReview'),
    review('authentication.k8s.io', 'TokenReview'),
    review('authorization.k8s.io', 'LocalSubjectAccessReview', true),
    review('authorization.k8s.io', 'SelfSubjectAccessReview'),
    review('authorization.k8s.io', 'SelfSubjectRulesReview'),
    review('authorization.k8s.io', 'SubjectAccessReview'),
  ];
}

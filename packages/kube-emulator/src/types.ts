// SPDX-License-Identifier: Apache-2.0
/** Shared shapes: stored objects and the description of a served resource. */

/** `metadata` of a stored object (only the fields the emulator reads are typed). */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

/** An ownerReference entry. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** The verbs of the Kubernetes API. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** All verbs, in discovery order. */
export const ALL_VERBS: Verb[] = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/** Converts a stored object to the form a served version shows, and back. */
export interface VersionConverter {
  /** From storage form to the served version's form (returns a new object). */
  fromStorage(obj: KubeObject): KubeObject;
  /** From a served version's form to storage form (returns a new object). */
  toStorage(obj: KubeObject): KubeObject;
}

/**
 * One served resource: a group/plural with one storage version and one or more served
 * versions. Built-in kinds and CRD-defined kinds share this description.
 */
export interface ResourceType {
  group: string;
  /** Served versions, preferred first. */
  versions: string[];
  storageVersion: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  /** Whether a `/status` subresource exists (status is then written only through it). */
  hasStatus: boolean;
  /** Whether `metadata.generation` is maintained. */
  hasGeneration: boolean;
  /** Fields (besides metadata.name/namespace) allowed in field selectors. */
  selectableFields: string[];
  /** Storage key of another resource whose objects this one serves (events.k8s.io Events). */
  storageOf?: string;
  /** Per-version conversion from storage; absent means only apiVersion changes. */
  converters?: Record<string, VersionConverter>;
  /** Set for CRD-served kinds. */
  crd?: CrdInfo;
  /** Built-in kinds: whether strategic merge patch applies (list strategies: patch/strategicMergePatch.ts). */
  strategicMerge: boolean;
  /** Whether an update without metadata.resourceVersion is allowed. */
  allowUnconditionalUpdate: boolean;
  /** Key into the name-validation rules: DNS-1123 subdomain, label, or path segment. */
  nameRule: 'subdomain' | 'label' | 'path';
  /** The verbs served, when not all of them (the create-only review kinds). */
  verbs?: Verb[];
}

/** What a CRD contributes beyond the common description. */
export interface CrdInfo {
  /** The CRD's name (`plural.group`). */
  name: string;
  /** Per version: structural schema (may be undefined) and printer columns. */
  versions: Record<
    string,
    {
      schema: JsonObject | undefined;
      printerColumns: PrinterColumn[];
      subresources: { status: boolean; scale: boolean };
    }
  >;
  preserveUnknownFields: boolean;
}

/** A CRD additionalPrinterColumn. */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** `group/plural`, the storage key of a resource type. */
export function resourceKey(group: string, plural: string): string {
  return group === '' ? plural : `${plural}.${group}`;
}

/** The `apiVersion` string of a group and version. */
export function apiVersionOf(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** Whether a JSON value is an object (not null, not an array). */
export function isMap(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The storage key of a type: its own `group/plural` key, or that of the resource it serves. */
export function storageKeyOf(type: ResourceType): string {
  return type.storageOf ?? resourceKey(type.group, type.plural);
}

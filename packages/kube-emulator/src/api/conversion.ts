// SPDX-License-Identifier: Apache-2.0
/** Conversion between the storage form of an object and the form a served version shows. */
import { type KubeObject, type ResourceType, apiVersionOf } from '../types.js';

/** Storage form → served version. Returns the same object when nothing changes. */
export function toServed(type: ResourceType, version: string, obj: KubeObject): KubeObject {
  const converter = type.converters?.[version];
  if (converter) return converter.fromStorage(obj);
  const apiVersion = apiVersionOf(type.group, version);
  if (obj.apiVersion === apiVersion && obj.kind === type.kind) return obj;
  return { apiVersion, kind: type.kind, ...withoutTypeMeta(obj) } as KubeObject;
}

/** Served version → storage form (a new object). */
export function toStorage(type: ResourceType, version: string, obj: KubeObject): KubeObject {
  const converter = type.converters?.[version];
  if (converter) return converter.toStorage(obj);
  return {
    apiVersion: apiVersionOf(type.group, type.storageVersion),
    kind: type.kind,
    ...withoutTypeMeta(obj),
  } as KubeObject;
}

/** Whether served objects of this version are byte-identical to storage (cached JSON usable). */
export function isIdentity(type: ResourceType, version: string): boolean {
  return !type.converters?.[version] && version === type.storageVersion;
}

function withoutTypeMeta(obj: KubeObject): Omit<KubeObject, 'apiVersion' | 'kind'> {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

// SPDX-License-Identifier: Apache-2.0
/**
 * CustomResourceDefinitions as the API core stores them: a stored CRD serves its resource, a
 * removed one stops serving it (dropping its objects and ending its watches), and a CRD may not
 * take a built-in resource's name or change its scope.
 */
import { crdAcceptedStatus, crdResourceType } from '../crd/crd.js';
import { invalid } from '../errors.js';
import { type ResourceRegistry } from '../resources/resourceRegistry.js';
import { type ObjectStore } from '../store/objectStore.js';
import { type WatchHub } from '../store/watchHub.js';
import { type JsonObject, type KubeObject, type ResourceType, isMap, storageKeyOf } from '../types.js';

/** The storage key of CustomResourceDefinitions. */
export const CRD_KEY = 'customresourcedefinitions.apiextensions.k8s.io';

/** Whether `type` is CustomResourceDefinitions itself, whose objects serve new resources. */
export function isCrdType(type: ResourceType): boolean {
  return storageKeyOf(type) === CRD_KEY;
}

/** Registers the resource type a stored CRD serves. */
export function serveCrd(registry: ResourceRegistry, obj: KubeObject): void {
  registry.register(crdResourceType(obj));
}

/** Stops serving a removed CRD's resource: its objects are dropped and its watches end. */
export async function unserveCrd(
  registry: ResourceRegistry,
  store: ObjectStore,
  hub: WatchHub,
  obj: KubeObject,
): Promise<void> {
  const spec = obj.spec as JsonObject;
  const names = spec.names as JsonObject;
  registry.unregister(String(spec.group), String(names.plural));
  const key = `${String(names.plural)}.${String(spec.group)}`;
  await store.dropTable(key);
  // Watches of a resource that is no longer served end, as in the apiserver.
  hub.endAll(key);
}

/** Refuses a CRD that names a built-in resource, or an update that changes its scope. */
export function checkCrdConflicts(registry: ResourceRegistry, obj: KubeObject, existing?: KubeObject): void {
  const spec = obj.spec as JsonObject;
  const names = spec.names as JsonObject;
  const other = registry.byKey(`${String(names.plural)}.${String(spec.group)}`);
  if (other && !other.crd) {
    throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', obj.metadata.name!, [
      {
        field: 'spec.names.plural',
        type: 'FieldValueInvalid',
        detail: `Invalid value: ${JSON.stringify(names.plural)}: conflicts with a built-in resource`,
      },
    ]);
  }
  if (existing) {
    const oldSpec = existing.spec as JsonObject;
    if (oldSpec.scope !== spec.scope) {
      throw invalid('CustomResourceDefinition', 'apiextensions.k8s.io', obj.metadata.name!, [
        {
          field: 'spec.scope',
          type: 'FieldValueInvalid',
          detail: `Invalid value: ${JSON.stringify(spec.scope)}: field is immutable`,
        },
      ]);
    }
  }
}

/** The status of an updated CRD: accepted names and stored versions, earlier conditions kept. */
export function crdStatusOnUpdate(next: KubeObject, existing: KubeObject, now: string): JsonObject {
  const status = crdAcceptedStatus(next, now);
  const previous = isMap(existing.status) ? existing.status : {};
  return { ...previous, ...status, conditions: previous.conditions ?? status.conditions };
}

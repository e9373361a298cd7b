// SPDX-License-Identifier: Apache-2.0
/**
 * What every verb of the API core shares: the registry, store and watch hub, the controllers'
 * hooks, and the steps of reading, writing and removing one stored object. Objects handed out
 * are copies; stored objects are never mutated.
 */
import { KubeEmulatorError, badRequest, notFound } from '../errors.js';
import { createIpAllocator } from '../resources/defaults.js';
import { type ResourceRegistry } from '../resources/resourceRegistry.js';
import { type ObjectStore, objectKey } from '../store/objectStore.js';
import { type WatchHub } from '../store/watchHub.js';
import { type KubeObject, type ResourceType } from '../types.js';
import { type CoreHooks, type Scope } from './apiTypes.js';
import { toServed } from './conversion.js';
import { isCrdType, serveCrd, unserveCrd } from './crdServing.js';
import { timestamp } from './objectMeta.js';

/** The shared state and steps of the API core's verbs. */
export interface CoreContext {
  readonly registry: ResourceRegistry;
  readonly store: ObjectStore;
  readonly hub: WatchHub;
  /** Service cluster IPs. */
  readonly ips: ReturnType<typeof createIpAllocator>;
  /** Now, as the server writes timestamps (seconds, `Z`), on the emulator's clock. */
  now(): string;
  /** The controllers' hooks (replaced by `setHooks`). */
  hooks: CoreHooks;
  storageKey(type: ResourceType): string;
  /** Whether `type` is CustomResourceDefinitions itself, whose objects serve new resources. */
  isCrdType(type: ResourceType): boolean;
  /** The request namespace of a namespaced kind (400 when missing); undefined for cluster kinds. */
  requireNamespace(scope: Scope): string | undefined;
  /** The stored object a request names (404 when absent). */
  getStored(scope: Scope, name: string): KubeObject;
  /** A copy of a stored object in the request's version. */
  served(scope: Scope, obj: KubeObject): KubeObject;
  /**
   * Stores an object and waits until it is durable (413 for one larger than etcd takes); tells
   * the controllers when it is being deleted.
   */
  write(type: ResourceType, obj: KubeObject): Promise<KubeObject>;
  /** Removes an object and waits until that is durable; a removed CRD stops serving. */
  removeStored(type: ResourceType, obj: KubeObject): Promise<KubeObject>;
  /** Registers the resource a stored CRD serves. */
  serveCrd(obj: KubeObject): void;
}

/** The largest request etcd takes by default (`--max-request-bytes`, 1.5 MiB). */
const MAX_STORED_BYTES = 1.5 * 1024 * 1024;

/**
 * Refuses an object etcd would refuse to store. The apiserver passes etcd's error on as a 500
 * (`etcdserver: request is too large`); the emulator answers 413 with the same words, as it
 * answers every request it refuses with a 4xx. Dry runs never reach storage and pass.
 */
function checkStorable(obj: KubeObject): void {
  const text = JSON.stringify(obj);
  // UTF-8 takes at most 3 bytes per UTF-16 unit: short texts need no byte count.
  if (text.length * 3 <= MAX_STORED_BYTES || Buffer.byteLength(text) <= MAX_STORED_BYTES) return;
  throw new KubeEmulatorError('RequestEntityTooLarge', 'etcdserver: request is too large');
}

/** Creates the context of one API core. */
export function createCoreContext(
  registry: ResourceRegistry,
  store: ObjectStore,
  hub: WatchHub,
  clock: () => number = Date.now,
): CoreContext {
  const storageKey = (type: ResourceType): string => registry.storageKey(type);
  const ctx: CoreContext = {
    registry,
    store,
    hub,
    ips: createIpAllocator(),
    now: () => timestamp(clock()),
    hooks: { onRemoved: () => undefined, onDeleting: () => undefined },
    storageKey,
    isCrdType,
    requireNamespace(scope) {
      if (!scope.type.namespaced) return undefined;
      if (!scope.namespace)
        throw badRequest('the server could not find the requested resource: a namespace is required');
      return scope.namespace;
    },
    getStored(scope, name) {
      const namespace = ctx.requireNamespace(scope);
      const entry = store.get(storageKey(scope.type), objectKey(namespace, name));
      if (!entry) throw notFound(scope.type.group, scope.type.plural, name);
      return entry.obj;
    },
    served(scope, obj) {
      return structuredClone(toServed(scope.type, scope.version, obj));
    },
    async write(type, obj) {
      checkStorable(obj);
      const { entry, durable } = store.put(storageKey(type), obj);
      await durable;
      if (obj.metadata.deletionTimestamp) ctx.hooks.onDeleting(type, entry.obj);
      ctx.hooks.onWritten?.(type, entry.obj);
      return entry.obj;
    },
    async removeStored(type, obj) {
      const removed = store.remove(storageKey(type), objectKey(obj.metadata.namespace, obj.metadata.name!));
      if (!removed) return obj;
      await removed.durable;
      if (ctx.isCrdType(type)) await unserveCrd(registry, store, hub, removed.obj);
      ctx.hooks.onRemoved(type, removed.obj);
      return removed.obj;
    },
    serveCrd: obj => serveCrd(registry, obj),
  };
  return ctx;
}

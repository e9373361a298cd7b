// SPDX-License-Identifier: Apache-2.0
/**
 * The semantics of the Kubernetes API, independent of HTTP: create, get, list, update, patch,
 * delete and watch with resourceVersions, conflicts, generation, status subresources,
 * finalizers, deletionTimestamp, dry runs, and validation. Objects handed out are copies;
 * stored objects are never mutated. Each verb lives in its own module; this one puts them
 * together on one shared {@link CoreContext}.
 */
import { INITIAL_NAMESPACES } from '../resources/builtin.js';
import { type ResourceRegistry } from '../resources/resourceRegistry.js';
import { type ObjectStore } from '../store/objectStore.js';
import { type WatchHub } from '../store/watchHub.js';
import { type KubeObject, type ResourceType } from '../types.js';
import {
  type CoreHooks,
  type DeleteOptions,
  type ListOptions,
  type ListResult,
  type PatchType,
  type Scope,
  type WatchEventOut,
  type WatchOptions,
  type WriteOptions,
} from './apiTypes.js';
import { bindPod } from './bindPod.js';
import { type CoreContext, createCoreContext } from './coreContext.js';
import { CRD_KEY } from './crdServing.js';
import { createObject } from './createObject.js';
import { deleteItems, deleteObject, systemDelete } from './deleteObject.js';
import { createListWatch, listItems } from './listWatch.js';
import { patchObject } from './patchObject.js';
import { patchScale, scaleOf, writeScale } from './scale.js';
import { systemUpdate, updateObject } from './updateObject.js';

/** The API core. */
export interface ApiCore {
  readonly registry: ResourceRegistry;
  readonly store: ObjectStore;
  get(scope: Scope, name: string): KubeObject;
  list(scope: Scope, options: ListOptions): ListResult;
  create(scope: Scope, body: unknown, options: WriteOptions): Promise<KubeObject>;
  update(
    scope: Scope,
    name: string,
    body: unknown,
    options: WriteOptions,
    subresource?: string,
  ): Promise<KubeObject>;
  patch(
    scope: Scope,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options: WriteOptions,
    subresource?: string,
  ): Promise<KubeObject>;
  /** Returns the object as it is after the call (deleted, or marked for deletion) and whether it is gone. */
  delete(scope: Scope, name: string, options: DeleteOptions): Promise<{ obj: KubeObject; gone: boolean }>;
  deleteCollection(scope: Scope, list: ListOptions, options: DeleteOptions): Promise<KubeObject[]>;
  /**
   * Starts a watch. `send` receives events; `close` ends the stream. Returns a stop function.
   * Throws for bad options.
   */
  watch(scope: Scope, options: WatchOptions, send: (e: WatchEventOut) => void, close: () => void): () => void;
  /** The `scale` subresource (Deployments): the Scale, and writes of it. */
  getScale(scope: Scope, name: string): KubeObject;
  updateScale(scope: Scope, name: string, body: unknown, options: WriteOptions): Promise<KubeObject>;
  patchScale(
    scope: Scope,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options: WriteOptions,
  ): Promise<KubeObject>;
  /** `POST pods/NAME/binding`: assigns a pod to a node, as the scheduler does. */
  bind(scope: Scope, name: string, body: unknown, options: WriteOptions): Promise<void>;
  /** Writes a stored object back with changes made by a controller (no validation, no RV check). */
  systemUpdate(type: ResourceType, obj: KubeObject): Promise<void>;
  /** Removes an object for a controller, honouring finalizers. */
  systemDelete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    policy?: DeleteOptions['propagationPolicy'],
  ): Promise<void>;
  /** Creates the initial namespaces and restores CRD types after a load. */
  bootstrap(): Promise<void>;
  /** Registers a CRD's resource type from its stored object (used on restore). */
  serveCrd(obj: KubeObject): void;
  setHooks(hooks: CoreHooks): void;
  /** Interval for watch bookmarks. */
  bookmarkIntervalMs: number;
}

/** Serves the stored CRDs' resources, then creates the namespaces every cluster starts with. */
async function bootstrap(ctx: CoreContext): Promise<void> {
  for (const e of ctx.store.list(CRD_KEY)) ctx.serveCrd(e.obj);
  const nsType = ctx.registry.lookup('', 'v1', 'namespaces')!;
  for (const name of INITIAL_NAMESPACES) {
    if (!ctx.store.get('namespaces', name)) {
      await createObject(ctx, { type: nsType, version: 'v1' }, { metadata: { name } }, {});
    }
  }
}

/** Creates the API core. */
export function createApiCore(
  registry: ResourceRegistry,
  store: ObjectStore,
  hub: WatchHub,
  clock?: () => number,
): ApiCore {
  const ctx = createCoreContext(registry, store, hub, clock);
  const { list, watch } = createListWatch({
    registry,
    store,
    hub,
    bookmarkIntervalMs: () => api.bookmarkIntervalMs,
  });
  const api: ApiCore = {
    registry,
    store,
    bookmarkIntervalMs: 60_000,
    setHooks(h) {
      ctx.hooks = h;
    },
    get: (scope, name) => ctx.served(scope, ctx.getStored(scope, name)),
    list,
    create: (scope, body, options) => createObject(ctx, scope, body, options),
    update: (scope, name, body, options, subresource) =>
      updateObject(ctx, scope, name, body, options, subresource),
    patch: (scope, name, patchType, patch, options, subresource) =>
      patchObject(ctx, scope, name, patchType, patch, options, subresource),
    delete: (scope, name, options) => deleteObject(ctx, scope, name, options),
    bind: (scope, name, body, options) => bindPod(ctx, scope, name, body, options),
    getScale: (scope, name) => scaleOf(ctx.served(scope, ctx.getStored(scope, name))),
    updateScale: (scope, name, body, options) => writeScale(ctx, scope, name, body, options),
    patchScale: (scope, name, patchType, patch, options) =>
      patchScale(ctx, scope, name, patchType, patch, options),
    async deleteCollection(scope, listOptions, options) {
      const result = list(scope, { ...listOptions, limit: undefined, continue: undefined });
      return deleteItems(ctx, scope, listItems(result), options);
    },
    watch,
    systemUpdate: (type, obj) => systemUpdate(ctx, type, obj),
    systemDelete: (type, namespace, name, policy) => systemDelete(ctx, type, namespace, name, policy),
    serveCrd: obj => ctx.serveCrd(obj),
    bootstrap: () => bootstrap(ctx),
  };
  return api;
}

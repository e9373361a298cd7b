// SPDX-License-Identifier: Apache-2.0
// The writes the orchestration controllers make, each remembered in its cache (read-your-writes):
// create (AlreadyExists means a previous attempt made it: the same deterministic name), replace
// with optimistic concurrency and re-apply on a conflict, merge-patch, and delete.
import { isConflict, isNotFound, resourcePath, type KubeConnection } from '@chaosplane/kube';
import type { KubeObject } from '../api/objects.js';
import type { ResourceCache } from './resourceCache.js';

/** Writes through one connection. */
export interface KubeWrites {
  /** Creates `obj`; resolves to it, or undefined when an object of that name already exists. */
  create<T extends KubeObject>(cache: ResourceCache<T>, obj: T, signal: AbortSignal): Promise<T | undefined>;
  /**
   * Replaces the newest copy of `key` with `mutate(copy)` (the main resource, or `/status`); on
   * a conflict re-reads and mutates again. `mutate` returns undefined when nothing is to change.
   * Resolves to the written object, or undefined (gone, or nothing changed).
   */
  update<T extends KubeObject>(
    cache: ResourceCache<T>,
    key: string,
    target: 'object' | 'status',
    mutate: (fresh: T) => T | undefined,
    signal: AbortSignal,
  ): Promise<T | undefined>;
  /** Merge-patches `obj`. */
  patch<T extends KubeObject>(
    cache: ResourceCache<T>,
    obj: T,
    patch: object,
    signal: AbortSignal,
  ): Promise<void>;
  /** Deletes `obj` (gone already is fine). */
  remove(cache: ResourceCache, obj: KubeObject, signal: AbortSignal): Promise<void>;
}

const pathOf = (cache: ResourceCache, obj: KubeObject) =>
  resourcePath(cache.type, obj.metadata.namespace, obj.metadata.name ?? '');

/** Creates {@link KubeWrites} over `kube`. */
export function createKubeWrites(kube: KubeConnection): KubeWrites {
  return {
    async create(cache, obj, signal) {
      try {
        const created = await kube.request<typeof obj>(
          'POST',
          resourcePath(cache.type, obj.metadata.namespace),
          {
            body: obj,
            signal,
          },
        );
        cache.remember(created);
        return created;
      } catch (error) {
        if (isConflict(error)) return undefined;
        throw error;
      }
    },
    async update(cache, key, target, mutate, signal) {
      let current = cache.get(key);
      for (let attempt = 0; current && attempt < 8; attempt += 1) {
        const next = mutate(structuredClone(current));
        if (!next) return undefined;
        const path = pathOf(cache, current) + (target === 'status' ? '/status' : '');
        try {
          const written = await kube.request<typeof next>('PUT', path, { body: next, signal });
          cache.remember(written);
          return written;
        } catch (error) {
          if (isNotFound(error)) return undefined;
          if (!isConflict(error)) throw error;
          current = await kube
            .request<typeof next>('GET', pathOf(cache, current), { signal })
            .catch((e: unknown) => {
              if (isNotFound(e)) return undefined;
              throw e;
            });
          if (current) cache.remember(current);
        }
      }
      return undefined;
    },
    async patch(cache, obj, patch, signal) {
      try {
        const written = await kube.request<typeof obj>('PATCH', pathOf(cache, obj), {
          body: patch,
          contentType: 'application/merge-patch+json',
          signal,
        });
        cache.remember(written);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
    async remove(cache, obj, signal) {
      try {
        await kube.request('DELETE', pathOf(cache, obj), { signal });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}

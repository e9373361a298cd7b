// SPDX-License-Identifier: Apache-2.0
// List and watch of one collection: what a reflector runs on. Over HTTPS for real collections;
// tests may hand a reflector any other implementation.
import type { KubeConnection, WatchEvent } from './createKubeConnection.js';

/** A full list: every item and the collection's resourceVersion to watch from. */
export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

/** List and watch of one resource collection. */
export interface ListWatch<T> {
  /** Lists every object (all pages). */
  list(signal: AbortSignal): Promise<ListResult<T>>;
  /**
   * Watches from `resourceVersion`; resolves when the server closes the stream and rejects on
   * errors (a 410 as an HTTP answer rejects with status 410; as a watch `ERROR` event it is
   * passed to `onEvent`).
   */
  watch(resourceVersion: string, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void>;
}

/** Options of {@link createListWatch}. */
export interface ListWatchOptions {
  /** Query parameters of both the list and the watch (a label or field selector). */
  query?: Record<string, string>;
  /** Objects per page; 500 by default. Pages keep a large collection from arriving as one answer. */
  pageSize?: number;
  /** Server-side watch timeout in seconds; 300 by default (the reflector re-watches after it). */
  watchTimeoutSeconds?: number;
}

/** The {@link ListWatch} of the collection at `path` (`/api/v1/pods`, `/apis/g/v/ns/x/plural`). */
export function createListWatch<T>(
  connection: KubeConnection,
  path: string,
  options: ListWatchOptions = {},
): ListWatch<T> {
  const query = options.query ?? {};
  const pageSize = options.pageSize ?? 500;
  return {
    async list(signal) {
      // An expired continue token (410) rejects, and the reflector lists again from the start.
      const items: T[] = [];
      let next: string | undefined;
      let resourceVersion = '';
      do {
        const page = await connection.request<{
          items?: T[];
          metadata?: { resourceVersion?: string; continue?: string };
        }>('GET', path, { signal, query: { ...query, limit: pageSize, continue: next } });
        items.push(...(page.items ?? []));
        resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
        next = page.metadata?.continue || undefined;
      } while (next);
      return { items, resourceVersion };
    },
    watch(resourceVersion, onEvent, signal) {
      return connection.watch<T>(
        path,
        {
          ...query,
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: options.watchTimeoutSeconds ?? 300,
        },
        onEvent,
        signal,
      );
    },
  };
}

// SPDX-License-Identifier: Apache-2.0
/**
 * Reads of collections: list (selectors, limit/continue, 410 for expired tokens) and watch
 * (from a resourceVersion or with initial events, selector transitions turned into
 * ADDED/DELETED, bookmarks, 410 Gone for versions older than the history).
 */
import { KubeEmulatorError, badRequest } from '../errors.js';
import { type ResourceRegistry } from '../resources/resourceRegistry.js';
import { type FieldRequirement, matchFields, parseFieldSelector } from '../selectors/fields.js';
import { type LabelSelector, matchLabels, parseLabelSelector } from '../selectors/labels.js';
import { type ObjectStore, objectKey } from '../store/objectStore.js';
import { type ChangeEvent, type WatchHub } from '../store/watchHub.js';
import { type KubeObject, apiVersionOf } from '../types.js';
import {
  type ListOptions,
  type ListResult,
  type Scope,
  type WatchEventOut,
  type WatchOptions,
} from './apiCore.js';
import { isIdentity, toServed } from './conversion.js';

/** What list and watch need from the core. */
export interface ListWatchDeps {
  registry: ResourceRegistry;
  store: ObjectStore;
  hub: WatchHub;
  bookmarkIntervalMs: () => number;
}

/** List and watch over a store. */
export interface ListWatch {
  list: (scope: Scope, options: ListOptions) => ListResult;
  watch: (
    scope: Scope,
    options: WatchOptions,
    send: (e: WatchEventOut) => void,
    close: () => void,
  ) => () => void;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      rv?: unknown;
      start?: unknown;
    };
    if (typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') throw new Error('shape');
    return { rv: parsed.rv, start: parsed.start };
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data at input byte 0');
  }
}

function parseRv(value: string, what = 'resourceVersion'): number {
  if (!/^\d+$/.test(value)) throw badRequest(`invalid ${what}: ${value}`);
  return Number(value);
}

/** Creates list and watch. */
export function createListWatch(deps: ListWatchDeps): ListWatch {
  const { registry, store, hub } = deps;

  function storageKey(scope: Scope): string {
    return registry.storageKey(scope.type);
  }

  function served(scope: Scope, obj: KubeObject): KubeObject {
    return structuredClone(toServed(scope.type, scope.version, obj));
  }

  function selectors(
    scope: Scope,
    options: ListOptions,
  ): { labels: LabelSelector; fields: FieldRequirement[] } {
    return {
      labels: parseLabelSelector(options.labelSelector ?? ''),
      fields: parseFieldSelector(options.fieldSelector ?? '', scope.type.selectableFields),
    };
  }

  function matches(
    scope: Scope,
    sel: { labels: LabelSelector; fields: FieldRequirement[] },
    stored: KubeObject,
  ): boolean {
    if (scope.namespace && scope.type.namespaced && stored.metadata.namespace !== scope.namespace)
      return false;
    if (sel.labels.length > 0 && !matchLabels(sel.labels, stored.metadata.labels)) return false;
    if (sel.fields.length > 0 && !matchFields(sel.fields, toServed(scope.type, scope.version, stored)))
      return false;
    return true;
  }

  function list(scope: Scope, options: ListOptions): ListResult {
    const type = scope.type;
    const sel = selectors(scope, options);
    if (options.resourceVersion !== undefined && options.resourceVersion !== '')
      parseRv(options.resourceVersion);
    let listRv = store.resourceVersion;
    let start = '';
    if (options.continue) {
      const token = decodeContinue(options.continue);
      if (token.rv < hub.oldestWatchableRv) {
        throw new KubeEmulatorError(
          'Expired',
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      listRv = token.rv;
      start = token.start;
    }
    const limit = options.limit !== undefined && options.limit > 0 ? options.limit : Infinity;
    const entries = store.list(storageKey(scope), type.namespaced ? scope.namespace : undefined);
    const identity = isIdentity(type, scope.version);
    const items: KubeObject[] = [];
    const json: string[] = [];
    let lastKey = '';
    let more = false;
    let remaining = 0;
    for (const e of entries) {
      const key = objectKey(e.obj.metadata.namespace, e.obj.metadata.name!);
      if (start !== '' && key <= start) continue;
      if (!matches(scope, sel, e.obj)) continue;
      if (items.length + json.length >= limit) {
        more = true;
        remaining++;
        continue;
      }
      if (identity) json.push(e.json);
      else items.push(structuredClone(toServed(type, scope.version, e.obj)));
      lastKey = key;
    }
    const result: ListResult = { resourceVersion: String(listRv), items };
    if (identity) result.json = json;
    if (more) {
      result.continue = encodeContinue(listRv, lastKey);
      if (sel.labels.length === 0 && sel.fields.length === 0) result.remainingItemCount = remaining;
    }
    return result;
  }

  function watch(
    scope: Scope,
    options: WatchOptions,
    send: (e: WatchEventOut) => void,
    close: () => void,
  ): () => void {
    const type = scope.type;
    const sel = selectors(scope, options);
    const rvParam = options.resourceVersion ?? '';
    const initial = rvParam === '' || rvParam === '0' || options.sendInitialEvents === true;
    let fromRv = rvParam === '' || rvParam === '0' ? store.resourceVersion : parseRv(rvParam);
    const key = storageKey(scope);
    let lastSentRv = fromRv;
    let stopped = false;
    if (initial) {
      fromRv = store.resourceVersion;
      lastSentRv = fromRv;
      for (const e of store.list(key, type.namespaced ? scope.namespace : undefined)) {
        if (matches(scope, sel, e.obj)) send({ type: 'ADDED', object: served(scope, e.obj) });
      }
      if (options.sendInitialEvents === true && options.allowWatchBookmarks) {
        send({
          type: 'BOOKMARK',
          object: {
            kind: type.kind,
            apiVersion: apiVersionOf(type.group, scope.version),
            metadata: {
              resourceVersion: String(fromRv),
              annotations: { 'k8s.io/initial-events-end': 'true' },
            },
          },
        });
      }
    }
    const deliver = (event: ChangeEvent): void => {
      if (stopped || event.rv <= fromRv) return;
      const nowMatches =
        event.type !== 'DELETED' ? matches(scope, sel, event.obj) : matches(scope, sel, event.obj);
      const wasMatching = event.prev ? matches(scope, sel, event.prev) : false;
      let outType: WatchEventOut['type'] | undefined;
      if (event.type === 'ADDED') outType = nowMatches ? 'ADDED' : undefined;
      else if (event.type === 'DELETED') outType = nowMatches ? 'DELETED' : undefined;
      else if (nowMatches && wasMatching) outType = 'MODIFIED';
      else if (nowMatches) outType = 'ADDED';
      else if (wasMatching) outType = 'DELETED';
      lastSentRv = event.rv;
      if (outType) send({ type: outType, object: served(scope, event.obj) });
    };
    const unsubscribe = hub.subscribe({ storageKey: key, deliver, end: close }, fromRv);
    if (!unsubscribe) {
      send({
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `too old resource version: ${fromRv} (${hub.oldestWatchableRv})`,
          reason: 'Expired',
          code: 410,
        },
      });
      close();
      return () => undefined;
    }
    let bookmarkTimer: NodeJS.Timeout | undefined;
    if (options.allowWatchBookmarks) {
      bookmarkTimer = setInterval(() => {
        const rv = Math.max(lastSentRv, hub.lastPublishedRv);
        lastSentRv = rv;
        send({
          type: 'BOOKMARK',
          object: {
            kind: type.kind,
            apiVersion: apiVersionOf(type.group, scope.version),
            metadata: { resourceVersion: String(rv) },
          },
        });
      }, deps.bookmarkIntervalMs());
      bookmarkTimer.unref();
    }
    return () => {
      stopped = true;
      if (bookmarkTimer) clearInterval(bookmarkTimer);
      unsubscribe();
    };
  }

  return { list, watch };
}

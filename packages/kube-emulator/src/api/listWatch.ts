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
} from './apiTypes.js';
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

/** Parsed label and field selectors of one request. */
interface Selection {
  labels: LabelSelector;
  fields: FieldRequirement[];
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

/** The items of a list result as objects (parsing the cached JSON text where that was used). */
export function listItems(result: ListResult): KubeObject[] {
  return result.json ? result.json.map(j => JSON.parse(j) as KubeObject) : result.items;
}

function served(scope: Scope, obj: KubeObject): KubeObject {
  return structuredClone(toServed(scope.type, scope.version, obj));
}

function selectors(scope: Scope, options: ListOptions): Selection {
  return {
    labels: parseLabelSelector(options.labelSelector ?? ''),
    fields: parseFieldSelector(options.fieldSelector ?? '', scope.type.selectableFields),
  };
}

function matches(scope: Scope, sel: Selection, stored: KubeObject): boolean {
  if (scope.namespace && scope.type.namespaced && stored.metadata.namespace !== scope.namespace) return false;
  if (sel.labels.length > 0 && !matchLabels(sel.labels, stored.metadata.labels)) return false;
  if (sel.fields.length > 0 && !matchFields(sel.fields, toServed(scope.type, scope.version, stored)))
    return false;
  return true;
}

/** The stored entries a request's scope reads: one namespace, or all of them. */
function entriesOf(deps: ListWatchDeps, scope: Scope): ReturnType<ObjectStore['list']> {
  return deps.store.list(
    deps.registry.storageKey(scope.type),
    scope.type.namespaced ? scope.namespace : undefined,
  );
}

/** Where a list page starts: after a continue token's key, at its resourceVersion (410 once expired). */
function pageStart(deps: ListWatchDeps, options: ListOptions): { listRv: number; start: string } {
  if (!options.continue) return { listRv: deps.store.resourceVersion, start: '' };
  const token = decodeContinue(options.continue);
  if (token.rv < deps.hub.oldestWatchableRv) {
    throw new KubeEmulatorError(
      'Expired',
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    );
  }
  return { listRv: token.rv, start: token.start };
}

/** One page of matching objects after `start`, and how many more match beyond `limit`. */
function collectPage(
  deps: ListWatchDeps,
  scope: Scope,
  sel: Selection,
  start: string,
  limit: number,
): { items: KubeObject[]; json: string[] | undefined; lastKey: string; remaining: number } {
  const identity = isIdentity(scope.type, scope.version);
  const items: KubeObject[] = [];
  const json: string[] = [];
  let lastKey = '';
  let remaining = 0;
  for (const e of entriesOf(deps, scope)) {
    const key = objectKey(e.obj.metadata.namespace, e.obj.metadata.name!);
    if ((start !== '' && key <= start) || !matches(scope, sel, e.obj)) continue;
    if (items.length + json.length >= limit) {
      remaining++;
      continue;
    }
    if (identity) json.push(e.json);
    else items.push(served(scope, e.obj));
    lastKey = key;
  }
  return { items, json: identity ? json : undefined, lastKey, remaining };
}

function list(deps: ListWatchDeps, scope: Scope, options: ListOptions): ListResult {
  const sel = selectors(scope, options);
  if (options.resourceVersion !== undefined && options.resourceVersion !== '')
    parseRv(options.resourceVersion);
  const { listRv, start } = pageStart(deps, options);
  const limit = options.limit !== undefined && options.limit > 0 ? options.limit : Infinity;
  const page = collectPage(deps, scope, sel, start, limit);
  const result: ListResult = { resourceVersion: String(listRv), items: page.items };
  if (page.json) result.json = page.json;
  if (page.remaining > 0) {
    result.continue = encodeContinue(listRv, page.lastKey);
    if (sel.labels.length === 0 && sel.fields.length === 0) result.remainingItemCount = page.remaining;
  }
  return result;
}

/** A BOOKMARK event at a resourceVersion, with optional annotations. */
function bookmark(scope: Scope, rv: number, annotations?: Record<string, string>): WatchEventOut {
  return {
    type: 'BOOKMARK',
    object: {
      kind: scope.type.kind,
      apiVersion: apiVersionOf(scope.type.group, scope.version),
      metadata: { resourceVersion: String(rv), ...(annotations ? { annotations } : {}) },
    },
  };
}

/** The 410 Gone a watch from a resourceVersion older than the history gets. */
function expired(fromRv: number, oldest: number): WatchEventOut {
  return {
    type: 'ERROR',
    object: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `too old resource version: ${fromRv} (${oldest})`,
      reason: 'Expired',
      code: 410,
    },
  };
}

/**
 * What a watcher sees of a change: an object that starts matching the selectors is ADDED, one
 * that stops matching is DELETED, as in the apiserver's watch cache.
 */
function seenAs(
  event: ChangeEvent,
  nowMatches: boolean,
  wasMatching: boolean,
): WatchEventOut['type'] | undefined {
  if (event.type === 'ADDED') return nowMatches ? 'ADDED' : undefined;
  if (event.type === 'DELETED') return nowMatches ? 'DELETED' : undefined;
  if (nowMatches && wasMatching) return 'MODIFIED';
  if (nowMatches) return 'ADDED';
  if (wasMatching) return 'DELETED';
  return undefined;
}

/** Sends the current matching objects as ADDED (and, with sendInitialEvents, the end bookmark at `rv`). */
function sendInitialEvents(
  deps: ListWatchDeps,
  scope: Scope,
  sel: Selection,
  options: WatchOptions,
  rv: number,
  send: (e: WatchEventOut) => void,
): void {
  for (const e of entriesOf(deps, scope)) {
    if (matches(scope, sel, e.obj)) send({ type: 'ADDED', object: served(scope, e.obj) });
  }
  if (options.sendInitialEvents === true && options.allowWatchBookmarks) {
    send(bookmark(scope, rv, { 'k8s.io/initial-events-end': 'true' }));
  }
}

function watch(
  deps: ListWatchDeps,
  scope: Scope,
  options: WatchOptions,
  send: (e: WatchEventOut) => void,
  close: () => void,
): () => void {
  const { store, hub } = deps;
  const sel = selectors(scope, options);
  const rvParam = options.resourceVersion ?? '';
  const fromCurrent = rvParam === '' || rvParam === '0';
  let fromRv = fromCurrent ? store.resourceVersion : parseRv(rvParam);
  if (fromCurrent || options.sendInitialEvents === true) {
    fromRv = store.resourceVersion;
    sendInitialEvents(deps, scope, sel, options, fromRv, send);
  }
  let lastSentRv = fromRv;
  let stopped = false;
  const deliver = (event: ChangeEvent): void => {
    if (stopped || event.rv <= fromRv) return;
    const nowMatches = matches(scope, sel, event.obj);
    const wasMatching = event.prev ? matches(scope, sel, event.prev) : false;
    const type = seenAs(event, nowMatches, wasMatching);
    lastSentRv = event.rv;
    if (type) send({ type, object: served(scope, event.obj) });
  };
  const unsubscribe = hub.subscribe(
    { storageKey: deps.registry.storageKey(scope.type), deliver, end: close },
    fromRv,
  );
  if (!unsubscribe) {
    send(expired(fromRv, hub.oldestWatchableRv));
    close();
    return () => undefined;
  }
  let bookmarkTimer: NodeJS.Timeout | undefined;
  if (options.allowWatchBookmarks) {
    bookmarkTimer = setInterval(() => {
      lastSentRv = Math.max(lastSentRv, hub.lastPublishedRv);
      send(bookmark(scope, lastSentRv));
    }, deps.bookmarkIntervalMs());
    bookmarkTimer.unref();
  }
  return () => {
    stopped = true;
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    unsubscribe();
  };
}

/** Creates list and watch. */
export function createListWatch(deps: ListWatchDeps): ListWatch {
  return {
    list: (scope, options) => list(deps, scope, options),
    watch: (scope, options, send, close) => watch(deps, scope, options, send, close),
  };
}

// SPDX-License-Identifier: Apache-2.0
/**
 * Watch streams: one JSON event per line (as Table rows when asked for), bookmarks, the
 * `timeoutSeconds` end, fault-injected disconnects, and a clean end when the client goes.
 */
import { type ServerResponse } from 'node:http';
import { type ApiCore } from '../api/apiCore.js';
import { type Scope, type WatchEventOut, type WatchOptions } from '../api/apiTypes.js';
import { type FaultInjector, type FaultRequest } from '../faultInjector.js';
import { type KubeObject } from '../types.js';
import { boolParam, intParam, stringParam } from './queryParams.js';
import { type Negotiated } from './response.js';
import { toTable } from './table.js';

/** What serving a watch needs from the handler. */
export interface WatchDeps {
  api: ApiCore;
  faults: FaultInjector;
  /** Close functions of the open watches (the handler ends them all at shutdown). */
  watches: Set<() => void>;
}

/** The watch options of a request's query. */
function watchOptionsOf(q: URLSearchParams): WatchOptions {
  return {
    labelSelector: stringParam(q, 'labelSelector'),
    fieldSelector: stringParam(q, 'fieldSelector'),
    resourceVersion: stringParam(q, 'resourceVersion'),
    allowWatchBookmarks: boolParam(q, 'allowWatchBookmarks'),
    sendInitialEvents: boolParam(q, 'sendInitialEvents'),
  };
}

/** Encodes events as lines; with a Table, objects become rows (column definitions in the first). */
function eventEncoder(scope: Scope, q: URLSearchParams, neg: Negotiated): (event: WatchEventOut) => string {
  let first = true;
  return event => {
    let object: unknown = event.object;
    if (neg.table && (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED')) {
      object = toTable(
        scope.type,
        scope.version,
        [event.object as KubeObject],
        undefined,
        stringParam(q, 'includeObject'),
        first,
      );
      first = false;
    }
    return JSON.stringify({ type: event.type, object }) + '\n';
  };
}

/** Ends the stream after `timeoutSeconds` (a positive number). */
function endAfter(res: ServerResponse, timeoutSeconds: number | undefined, close: () => void): void {
  if (timeoutSeconds === undefined || timeoutSeconds <= 0) return;
  const t = setTimeout(close, timeoutSeconds * 1000);
  t.unref();
  res.on('close', () => clearTimeout(t));
}

/**
 * Serves a watch. Events the core sends before the stream starts (initial events, a 410) are
 * held back and written once the headers are out; errors in the options are thrown before that.
 */
export function serveWatch(
  deps: WatchDeps,
  res: ServerResponse,
  scope: Scope,
  q: URLSearchParams,
  neg: Negotiated,
  faultReq: FaultRequest,
): void {
  const timeoutSeconds = intParam(q, 'timeoutSeconds');
  const encode = eventEncoder(scope, q, neg);
  const pending: WatchEventOut[] = [];
  const state: {
    closed: boolean;
    started: boolean;
    stop: () => void;
    tracker?: { onEvent(): void; untrack(): void };
  } = { closed: false, started: false, stop: () => undefined };
  const close = (): void => {
    if (state.closed) return;
    state.closed = true;
    state.stop();
    state.tracker?.untrack();
    deps.watches.delete(close);
    if (state.started && !res.writableEnded) res.end();
  };
  const emit = (event: WatchEventOut): void => {
    res.write(encode(event));
    if (event.type !== 'BOOKMARK') state.tracker?.onEvent();
  };
  const write = (event: WatchEventOut): void => {
    if (!state.started) pending.push(event);
    else if (!state.closed) emit(event);
  };
  // Validation errors (bad selectors, bad resourceVersion) are answered before the stream starts.
  state.stop = deps.api.watch(scope, watchOptionsOf(q), write, close);
  if (state.closed && pending.length === 0) return;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  state.started = true;
  for (const e of pending.splice(0)) emit(e);
  if (state.closed) {
    res.end();
    return;
  }
  state.tracker = deps.faults.trackWatch(faultReq, close);
  deps.watches.add(close);
  endAfter(res, timeoutSeconds, close);
  res.on('close', close);
  res.on('error', close);
}

// SPDX-License-Identifier: Apache-2.0
// List + watch with the robustness client-node 1.4's informer lacks: relist on 410 Gone,
// reconnect with jittered exponential back-off after any error, a watchdog that relists when
// a watch goes silent (no event and no bookmark for `watchdogMs`), and a clean stop.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../logging/createLogger.js';
import type { ListWatchApi } from '../kube/ChaosApi.js';
import type { WatchEvent } from '../kube/createKubeClient.js';
import { kubeStatusCode } from '../kube/kubeErrors.js';

/** The objects an informer keeps: anything with metadata. */
export interface InformedObject {
  metadata: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
}

/** A cache of one collection kept current by list + watch. */
export interface Informer<T extends InformedObject> {
  /** The object under `namespace/name` (or `name` when cluster-scoped). */
  get(key: string): T | undefined;
  /** Every key. */
  keys(): string[];
  /** Every object. */
  list(): T[];
  /** Resolves after the first successful list. */
  synced(): Promise<void>;
  /** Starts listing and watching until `signal` aborts; resolves once stopped. */
  run(signal: AbortSignal): Promise<void>;
}

/** Options of {@link createInformer}. */
export interface InformerOptions<T> {
  /** List and watch of the collection. */
  api: ListWatchApi<T>;
  /** Called for every change: the key and the new object (undefined when deleted). */
  onChange: (key: string, obj: T | undefined, previous: T | undefined) => void;
  /** Relist when no watch event or bookmark arrived for this long (ms); default 5 minutes. */
  watchdogMs?: number;
  /** First reconnect delay (ms); default 500. */
  backoffBaseMs?: number;
  /** Reconnect delay cap (ms); default 30 s. */
  backoffMaxMs?: number;
  /** Called after each reconnect or relist (for metrics). */
  onRestart?: (why: 'error' | 'gone' | 'silent' | 'closed') => void;
  /** Logger. */
  log?: Logger;
}

/** The store key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function keyOf(obj: InformedObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
}

class GoneError extends Error {}
class SilentError extends Error {}

/** Creates an {@link Informer}. */
export function createInformer<T extends InformedObject>(options: InformerOptions<T>): Informer<T> {
  const store = new Map<string, T>();
  const watchdogMs = options.watchdogMs ?? 5 * 60_000;
  const baseMs = options.backoffBaseMs ?? 500;
  const maxMs = options.backoffMaxMs ?? 30_000;
  let markSynced: () => void = () => {};
  const syncedPromise = new Promise<void>(resolve => (markSynced = resolve));

  const replaceAll = (items: T[]) => {
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const previous = store.get(key);
      store.set(key, item);
      if (previous?.metadata.resourceVersion !== item.metadata.resourceVersion)
        options.onChange(key, item, previous);
    }
    for (const [key, previous] of [...store]) {
      if (!seen.has(key)) {
        store.delete(key);
        options.onChange(key, undefined, previous);
      }
    }
  };

  /** Watches from `rv` until the stream ends or fails; returns the last resourceVersion seen. */
  const watchOnce = async (rv: string, signal: AbortSignal): Promise<string> => {
    const controller = new AbortController();
    const abort = () => controller.abort();
    signal.addEventListener('abort', abort, { once: true });
    let lastSeen = Date.now();
    let silent = false;
    const watchdog = setInterval(
      () => {
        if (Date.now() - lastSeen > watchdogMs) {
          silent = true;
          controller.abort();
        }
      },
      Math.max(50, Math.min(watchdogMs / 4, 5_000)),
    );
    let current = rv;
    let gone = false;
    const onEvent = (event: WatchEvent<T>) => {
      lastSeen = Date.now();
      if (event.type === 'ERROR') {
        const status = event.object as unknown as { code?: number };
        if (status.code === 410) gone = true;
        controller.abort();
        return;
      }
      const obj = event.object;
      if (obj.metadata.resourceVersion) current = obj.metadata.resourceVersion;
      if (event.type === 'BOOKMARK') return;
      const key = keyOf(obj);
      const previous = store.get(key);
      if (event.type === 'DELETED') {
        store.delete(key);
        options.onChange(key, undefined, previous);
      } else {
        store.set(key, obj);
        options.onChange(key, obj, previous);
      }
    };
    try {
      await options.api.watch(rv, onEvent, controller.signal);
    } catch (error) {
      if (signal.aborted) return current;
      if (gone || kubeStatusCode(error) === 410) throw new GoneError();
      if (silent) throw new SilentError();
      throw error;
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener('abort', abort);
    }
    if (gone) throw new GoneError();
    if (silent) throw new SilentError();
    return current;
  };

  const run = async (signal: AbortSignal) => {
    let failures = 0;
    let quickCloses = 0;
    let rv: string | undefined;
    while (!signal.aborted) {
      try {
        if (rv === undefined) {
          const listed = await options.api.list(signal);
          replaceAll(listed.items);
          rv = listed.resourceVersion;
          markSynced();
          failures = 0;
        }
        const began = Date.now();
        rv = await watchOnce(rv, signal);
        // A clean close (server timeout) resumes from the last version without a relist. A
        // server that keeps closing watches at once gets the back-off, not a hot loop.
        if (signal.aborted) break;
        options.onRestart?.('closed');
        if (Date.now() - began > 1_000) {
          quickCloses = 0;
          continue;
        }
        quickCloses += 1;
        const delay = Math.min(maxMs, baseMs * 2 ** Math.min(quickCloses - 1, 16));
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          break;
        }
        continue;
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof GoneError) {
          rv = undefined;
          options.onRestart?.('gone');
          continue;
        }
        if (error instanceof SilentError) {
          options.log?.warn('watch went silent; relisting', { watchdogMs });
          rv = undefined;
          options.onRestart?.('silent');
          continue;
        }
        failures += 1;
        options.onRestart?.('error');
        // Relist after repeated failures: the version may be too old by the time we are back.
        if (failures > 3) rv = undefined;
        const delay = Math.min(maxMs, baseMs * 2 ** (failures - 1));
        const jittered = delay / 2 + Math.random() * (delay / 2);
        options.log?.warn('list/watch failed; retrying', {
          error: error instanceof Error ? error.message : String(error),
          delayMs: Math.round(jittered),
        });
        try {
          await sleep(jittered, undefined, { signal });
        } catch {
          break;
        }
      }
    }
  };

  return {
    get: key => store.get(key),
    keys: () => [...store.keys()],
    list: () => [...store.values()],
    synced: () => syncedPromise,
    run,
  };
}

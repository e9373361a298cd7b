// SPDX-License-Identifier: Apache-2.0
// A list+watch loop for one resource (client-go's reflector): list, then watch from the list's
// resourceVersion; re-watch from the last version seen when a watch ends cleanly; re-list on
// 410 Gone, on errors (with exponential back-off) and when the watch goes quiet for too long.
// client-node 1.4's informer does not restart after errors and reports its own stop as an
// AbortError, so this loop owns both (reference: typescript-stack-and-style.md §3(d)).
import type { Watch } from '@kubernetes/client-node';
import type { KubeObjectLike } from '../model/records.js';

/** One page of a LIST. */
export interface ListPage {
  items: KubeObjectLike[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

/** What the loop needs for one resource. */
export interface ReflectorOptions {
  /** For logs: `pods`, `namespaces`, `nodes`. */
  readonly resource: string;
  /** Lists one page (`limit`/`continue` pagination). */
  list(continueToken: string | undefined): Promise<ListPage>;
  /** The watch path, e.g. `/api/v1/pods`. */
  readonly watchPath: string;
  /** Extra watch query parameters (a field selector in namespace-scoped mode). */
  readonly watchQuery?: Readonly<Record<string, string>>;
  readonly watch: Watch;
  /** A full list arrived: replace the store's contents. */
  replace(items: KubeObjectLike[]): void;
  upsert(item: KubeObjectLike): void;
  remove(item: KubeObjectLike): void;
  /** Called after every successful list. */
  onListed(): void;
  /** Called for every failure the loop recovers from. */
  onError(error: unknown): void;
  /** Back-off after an error: first delay, doubled up to the maximum. */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** Re-list when no watch event (bookmarks included) arrived for this long. */
  readonly staleAfterMs: number;
  /** Server-side watch timeout; the loop re-watches when the server closes it. */
  readonly watchTimeoutSeconds: number;
}

type WatchEnd = 'closed' | 'relist';

class WatchStatusError extends Error {
  constructor(
    message: string,
    public readonly code: number | undefined,
  ) {
    super(message);
    this.name = 'WatchStatusError';
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function listAll(
  options: ReflectorOptions,
): Promise<{ items: KubeObjectLike[]; resourceVersion: string }> {
  const items: KubeObjectLike[] = [];
  let continueToken: string | undefined;
  let resourceVersion = '';
  do {
    const page = await options.list(continueToken);
    items.push(...page.items);
    resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    continueToken = page.metadata?._continue || undefined;
  } while (continueToken !== undefined);
  return { items, resourceVersion };
}

/**
 * Lists everything and replaces the store; returns the list's resourceVersion (undefined when
 * stopped meanwhile). A function of its own so the listed objects are garbage as soon as it
 * returns: a local of the loop below would stay alive through the whole watch that follows
 * (a suspended async function keeps its scope), pinning every full object of the last LIST.
 */
async function listAndReplace(options: ReflectorOptions, signal: AbortSignal): Promise<string | undefined> {
  const listed = await listAll(options);
  if (signal.aborted) return undefined;
  options.replace(listed.items);
  return listed.resourceVersion;
}

/** Runs one watch until it ends; resolves how the loop should go on, rejects on errors. */
function watchOnce(
  options: ReflectorOptions,
  resourceVersion: string,
  signal: AbortSignal,
  onVersion: (version: string) => void,
): Promise<WatchEnd> {
  return new Promise<WatchEnd>((resolve, reject) => {
    let settled = false;
    let controller: AbortController | undefined;
    let watchdog: NodeJS.Timeout | undefined;
    const finish = (outcome: WatchEnd | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      signal.removeEventListener('abort', onAbort);
      controller?.abort();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const armWatchdog = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => finish('relist'), options.staleAfterMs);
      watchdog.unref();
    };
    const onAbort = (): void => finish('closed');
    signal.addEventListener('abort', onAbort, { once: true });
    armWatchdog();
    const query = {
      ...options.watchQuery,
      resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(options.watchTimeoutSeconds),
    };
    options.watch
      .watch(
        options.watchPath,
        query,
        (type: string, object: KubeObjectLike & { code?: number; message?: string }) => {
          if (settled) return;
          armWatchdog();
          const version = (object?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
          switch (type) {
            case 'ADDED':
            case 'MODIFIED':
              options.upsert(object);
              break;
            case 'DELETED':
              options.remove(object);
              break;
            case 'BOOKMARK':
              break;
            case 'ERROR':
              // 410 Gone: our version is too old; anything else is a failure to back off from.
              if (object?.code === 410) return finish('relist');
              return finish(
                new WatchStatusError(`watch error: ${object?.message ?? 'unknown'}`, object?.code),
              );
            default:
              return;
          }
          if (version !== undefined && version !== '') onVersion(version);
        },
        (error: unknown) => {
          if (error === null || error === undefined) return finish('closed');
          if (signal.aborted) return finish('closed');
          const code = (error as { statusCode?: number }).statusCode;
          if (code === 410) return finish('relist');
          finish(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
      )
      .then(
        started => {
          controller = started;
          if (settled) started.abort();
        },
        (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
      );
  });
}

/**
 * Runs the list+watch loop until `signal` aborts. Errors never end the loop; they are reported
 * through `onError` and retried with back-off.
 */
export async function runReflector(options: ReflectorOptions, signal: AbortSignal): Promise<void> {
  let backoff = options.backoffInitialMs;
  let needList = true;
  let resourceVersion = '';
  while (!signal.aborted) {
    const startedAt = Date.now();
    try {
      if (needList) {
        const listedVersion = await listAndReplace(options, signal);
        if (listedVersion === undefined) return;
        resourceVersion = listedVersion;
        needList = false;
        options.onListed();
      }
      const end = await watchOnce(options, resourceVersion, signal, version => {
        resourceVersion = version;
      });
      if (end === 'relist') needList = true;
      if (Date.now() - startedAt > 1000) {
        backoff = options.backoffInitialMs;
      } else if (!signal.aborted) {
        // A watch that ends at once (a server that does not hold watches open) must not spin.
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, options.backoffMaxMs);
      }
    } catch (error) {
      if (signal.aborted) return;
      options.onError(error);
      needList = true;
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, options.backoffMaxMs);
    }
  }
}

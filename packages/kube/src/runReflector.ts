// SPDX-License-Identifier: Apache-2.0
// List + watch of one collection with the robustness client-node 1.4's informer lacks (client-go's
// reflector): relist on 410 Gone, reconnect with jittered exponential back-off after any error,
// a watchdog that relists when a watch goes silent (no event and no bookmark for `watchdogMs`),
// a back-off for servers that close watches at once, and a clean stop. Every change reaches
// the caller as one typed event; the caller keeps whatever store it wants.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@chaosplane/sdk';
import type { WatchEvent } from './createKubeConnection.js';
import { kubeStatusCode } from './kubeErrors.js';
import type { ListWatch } from './listWatch.js';

/** One change a reflector reports. */
export type ReflectorEvent<T> =
  /** A full list arrived: it replaces everything known before (first sync, or a relist). */
  { type: 'listed'; items: T[] } | { type: 'added' | 'modified' | 'deleted'; object: T };

/** Why a reflector reconnected or relisted. */
export type RestartCause = 'error' | 'gone' | 'silent' | 'closed';

/** Options of {@link runReflector}. */
export interface ReflectorOptions<T> {
  /** The collection. */
  source: ListWatch<T>;
  /** Called for every change, in order. */
  onEvent(event: ReflectorEvent<T>): void;
  /** Relist when no watch event or bookmark arrived for this long (ms); 5 minutes by default. */
  watchdogMs?: number;
  /** First reconnect delay (ms); 500 by default. */
  backoffBaseMs?: number;
  /** Reconnect delay cap (ms); 30 s by default. */
  backoffMaxMs?: number;
  /** Called after each reconnect or relist (metrics), with the error for `error`. */
  onRestart?(cause: RestartCause, error?: unknown): void;
  /** Where recovered failures are logged. */
  log?: Pick<Logger, 'warn'>;
  /** Names the collection in log lines (`pods`). */
  resource?: string;
}

class GoneError extends Error {}
class SilentError extends Error {}

/**
 * Lists and reports the items, then returns the list's resourceVersion. A function of its own
 * so the listed objects are garbage once the caller has them: a local of the loop below would
 * stay alive through the whole watch that follows (a suspended async function keeps its
 * registers), pinning every full object of the last LIST.
 */
async function listAndReport<T>(options: ReflectorOptions<T>, signal: AbortSignal): Promise<string> {
  const listed = await options.source.list(signal);
  options.onEvent({ type: 'listed', items: listed.items });
  return listed.resourceVersion;
}

/** Watches from `rv` until the stream ends or fails; returns the last resourceVersion seen. */
async function watchOnce<T extends { metadata?: { resourceVersion?: string } }>(
  options: ReflectorOptions<T>,
  rv: string,
  signal: AbortSignal,
): Promise<string> {
  const watchdogMs = options.watchdogMs ?? 5 * 60_000;
  const controller = new AbortController();
  const abort = () => controller.abort();
  // A stop that came while the list was answered never fires 'abort' again: pass it on now.
  if (signal.aborted) controller.abort();
  else signal.addEventListener('abort', abort, { once: true });
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
      if ((event.object as { code?: number }).code === 410) gone = true;
      controller.abort();
      return;
    }
    const version = event.object.metadata?.resourceVersion;
    if (version) current = version;
    if (event.type === 'BOOKMARK') return;
    const type = event.type === 'ADDED' ? 'added' : event.type === 'MODIFIED' ? 'modified' : 'deleted';
    options.onEvent({ type, object: event.object });
  };
  try {
    await options.source.watch(rv, onEvent, controller.signal);
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
}

/** Where the list+watch loop stands between two rounds. */
interface LoopState {
  /** The version to watch from; undefined when a (re)list is due. */
  rv: string | undefined;
  /** Failures since the last successful list. */
  failures: number;
  /** Watches in a row that the server closed within a second. */
  quickCloses: number;
  /** First back-off delay (ms). */
  baseMs: number;
  /** Back-off cap (ms). */
  maxMs: number;
}

/**
 * Runs the list+watch loop until `signal` aborts. Errors never end it: they are reported
 * through `onRestart`, logged, and retried with back-off.
 */
export async function runReflector<T extends { metadata?: { resourceVersion?: string } }>(
  options: ReflectorOptions<T>,
  signal: AbortSignal,
): Promise<void> {
  const loop: LoopState = {
    rv: undefined,
    failures: 0,
    quickCloses: 0,
    baseMs: options.backoffBaseMs ?? 500,
    maxMs: options.backoffMaxMs ?? 30_000,
  };
  while (!signal.aborted) {
    try {
      await listAndWatch(options, loop, signal);
    } catch (error) {
      if (signal.aborted) break;
      await recover(options, loop, error, signal);
    }
  }
}

/** Sleeps `ms`, or until `signal` aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // Stopped.
  }
}

/** One round: lists if due, then watches until the stream ends (backing off if it ended at once). */
async function listAndWatch<T extends { metadata?: { resourceVersion?: string } }>(
  options: ReflectorOptions<T>,
  loop: LoopState,
  signal: AbortSignal,
): Promise<void> {
  if (loop.rv === undefined) {
    loop.rv = await listAndReport(options, signal);
    loop.failures = 0;
  }
  const began = Date.now();
  loop.rv = await watchOnce(options, loop.rv, signal);
  if (signal.aborted) return;
  // A clean close (the server's timeout) resumes from the last version without a relist;
  // a server that keeps closing watches at once gets the back-off, not a hot loop.
  options.onRestart?.('closed');
  if (Date.now() - began > 1_000) {
    loop.quickCloses = 0;
    return;
  }
  loop.quickCloses += 1;
  await pause(Math.min(loop.maxMs, loop.baseMs * 2 ** Math.min(loop.quickCloses - 1, 16)), signal);
}

/**
 * After a failed round: relists at once when the version is gone or the watch went silent;
 * any other error is reported, logged and retried after a jittered back-off.
 */
async function recover<T>(
  options: ReflectorOptions<T>,
  loop: LoopState,
  error: unknown,
  signal: AbortSignal,
): Promise<void> {
  if (error instanceof GoneError) {
    loop.rv = undefined;
    options.onRestart?.('gone');
    return;
  }
  if (error instanceof SilentError) {
    options.log?.warn('watch went silent; relisting', {
      resource: options.resource,
      watchdogMs: options.watchdogMs,
    });
    loop.rv = undefined;
    options.onRestart?.('silent');
    return;
  }
  loop.failures += 1;
  options.onRestart?.('error', error);
  // Relist after repeated failures: the version may be too old by the time we are back.
  if (loop.failures > 3) loop.rv = undefined;
  const delay = Math.min(loop.maxMs, loop.baseMs * 2 ** (loop.failures - 1));
  const jittered = delay / 2 + Math.random() * (delay / 2);
  options.log?.warn('list/watch failed; retrying', {
    resource: options.resource,
    error: error instanceof Error ? error.message : String(error),
    delayMs: Math.round(jittered),
  });
  await pause(jittered, signal);
}

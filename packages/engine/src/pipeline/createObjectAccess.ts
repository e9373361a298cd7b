// SPDX-License-Identifier: Apache-2.0
// Reads through a read-your-writes cache and writes with optimistic concurrency.
//
// The informer lags behind our own writes: right after step 1 writes the finalizer, the
// informer may still hold the old object, and step 4 would then write with a stale
// resourceVersion (a 409) or, worse, decide from stale records. So every object we write is
// remembered; a read returns whichever of the informer's copy and ours is newer (by
// resourceVersion, which etcd and the emulator issue as increasing integers).
import { setTimeout as sleep } from 'node:timers/promises';
import { isConflict, isNotFound, kubeStatusCode } from '@chaosplane/kube';
import type { ChaosObject } from '@chaosplane/sdk';
import type { ChaosApi } from '../kube/ChaosApi.js';

/** Where a write goes. */
export type WriteTarget = 'object' | 'status';

/** Reads and writes of one kind's objects. */
export interface ObjectAccess {
  /** The newest known copy of `key`: the informer's or the last one we wrote. */
  latest(key: string): ChaosObject | undefined;
  /** Drops our copy of `key` (the object is gone). */
  forget(key: string): void;
  /** True when `resourceVersion` of `key` was produced by one of our own writes. */
  wroteVersion(key: string, resourceVersion: string | undefined): boolean;
  /**
   * Writes `mutate(current)` with `current`'s resourceVersion; on 409 re-reads and calls
   * `mutate` again on the fresh object (each step re-applies only its own field). `mutate`
   * returns undefined when nothing is left to change. Resolves to the newest object, or
   * undefined when the object no longer exists.
   */
  write(
    current: ChaosObject,
    target: WriteTarget,
    mutate: (fresh: ChaosObject) => ChaosObject | undefined,
    signal: AbortSignal,
  ): Promise<ChaosObject | undefined>;
}

/** Options of {@link createObjectAccess}. */
export interface ObjectAccessOptions {
  /** The API of the kind. */
  api: ChaosApi;
  /** The informer's copy of a key. */
  informed: (key: string) => ChaosObject | undefined;
  /** Conflict retries before a write gives up (default 8). */
  maxAttempts?: number;
  /** Most remembered objects (default 2,000); older entries are evicted first. */
  capacity?: number;
  /** Observes every write's outcome (metrics). */
  onWrite?: (target: WriteTarget, outcome: 'ok' | 'conflict' | 'error') => void;
}

/** Compares two resourceVersions; undefined when they are not comparable integers. */
export function compareResourceVersions(a: string | undefined, b: string | undefined): number | undefined {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  return x === y ? 0 : x > y ? 1 : -1;
}

const keyOfObject = (obj: ChaosObject) =>
  obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');

/** The copies an {@link ObjectAccess} keeps, with its options. */
interface AccessState {
  options: ObjectAccessOptions;
  /** The last object we wrote or re-read, by key (oldest first). */
  written: Map<string, ChaosObject>;
  /** The resourceVersions our own writes produced, by key (oldest key first). */
  ownVersions: Map<string, string[]>;
  capacity: number;
  maxAttempts: number;
}

/** Creates an {@link ObjectAccess}. */
export function createObjectAccess(options: ObjectAccessOptions): ObjectAccess {
  const state: AccessState = {
    options,
    written: new Map(),
    ownVersions: new Map(),
    capacity: options.capacity ?? 2_000,
    maxAttempts: options.maxAttempts ?? 8,
  };
  const { written, ownVersions } = state;

  const latest = (key: string) => {
    const informed = options.informed(key);
    const ours = written.get(key);
    if (!ours) return informed;
    if (!informed) return undefined; // deleted: the informer saw the DELETE after our write
    if (informed.metadata.uid !== ours.metadata.uid) {
      written.delete(key);
      return informed;
    }
    const order = compareResourceVersions(ours.metadata.resourceVersion, informed.metadata.resourceVersion);
    if (order === undefined || order <= 0) {
      written.delete(key); // the informer caught up
      return informed;
    }
    return ours;
  };

  return {
    latest,
    forget(key) {
      written.delete(key);
      ownVersions.delete(key);
    },
    wroteVersion(key, resourceVersion) {
      return resourceVersion !== undefined && (ownVersions.get(key)?.includes(resourceVersion) ?? false);
    },
    write: (current, target, mutate, signal) => writeObject(state, current, target, mutate, signal),
  };
}

/** Keeps `obj` as the newest copy of its key, evicting the oldest key beyond capacity. */
function remember(state: AccessState, obj: ChaosObject): void {
  const { written } = state;
  const key = keyOfObject(obj);
  written.delete(key);
  written.set(key, obj);
  if (written.size > state.capacity) written.delete(written.keys().next().value as string);
}

/** Notes the resourceVersion of `obj` as our own write (the last 32 per key). */
function rememberOwn(state: AccessState, obj: ChaosObject): void {
  const { ownVersions } = state;
  const key = keyOfObject(obj);
  const versions = ownVersions.get(key) ?? [];
  versions.push(obj.metadata.resourceVersion ?? '');
  if (versions.length > 32) versions.shift();
  ownVersions.delete(key);
  ownVersions.set(key, versions);
  if (ownVersions.size > state.capacity) ownVersions.delete(ownVersions.keys().next().value as string);
}

/** {@link ObjectAccess.write}: writes `mutate(current)`, re-reading and retrying on failure. */
async function writeObject(
  state: AccessState,
  current: ChaosObject,
  target: WriteTarget,
  mutate: (fresh: ChaosObject) => ChaosObject | undefined,
  signal: AbortSignal,
): Promise<ChaosObject | undefined> {
  const { options } = state;
  let base = current;
  for (let attempt = 1; ; attempt += 1) {
    const next = mutate(base);
    if (!next) return base;
    try {
      const result =
        target === 'status'
          ? await options.api.updateStatus(next, signal)
          : await options.api.update(next, signal);
      options.onWrite?.(target, 'ok');
      remember(state, result);
      rememberOwn(state, result);
      return result;
    } catch (error) {
      const fresh = await rereadAfterFailure(state, current, target, error, attempt, signal);
      if (!fresh) return undefined;
      base = fresh;
    }
  }
}

/**
 * After attempt number `attempt` to write `current` failed with `error`: throws it unless the
 * write may be retried, else backs off (not after a conflict) and re-reads the object.
 * Resolves to the fresh object, or undefined when the object is gone.
 */
async function rereadAfterFailure(
  state: AccessState,
  current: ChaosObject,
  target: WriteTarget,
  error: unknown,
  attempt: number,
  signal: AbortSignal,
): Promise<ChaosObject | undefined> {
  const { options } = state;
  if (isNotFound(error)) return undefined;
  const status = kubeStatusCode(error);
  const retriable = isConflict(error) || status === 429 || (status !== undefined && status >= 500);
  options.onWrite?.(target, isConflict(error) ? 'conflict' : 'error');
  if (!retriable || attempt >= state.maxAttempts || signal.aborted) throw error;
  if (!isConflict(error)) await sleep(Math.min(1_000, 10 * 2 ** attempt), undefined, { signal });
  // Re-read from the API server, not the informer: the informer may be just as stale.
  const fresh = await options.api.get(current.metadata.namespace ?? '', current.metadata.name ?? '', signal);
  if (!fresh || fresh.metadata.uid !== current.metadata.uid) return undefined;
  remember(state, fresh);
  return fresh;
}

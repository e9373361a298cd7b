// SPDX-License-Identifier: Apache-2.0
// Kubernetes' ControllerExpectations: after a controller creates or deletes pods it waits until
// its informer has seen every one of those changes before it counts pods again, so a reconcile
// that runs before the watch caught up never creates or deletes twice. Expectations expire
// after five minutes, so a lost event cannot stall a controller for good.

/** What one controller key waits to observe. */
interface Expected {
  adds: number;
  /** Keys (`namespace/name`) of pods whose deletion is awaited. */
  deletes: Set<string>;
  at: number;
}

/** Pending creations and deletions per controller key. */
export interface Expectations {
  /** Expects `adds` creations and the deletion of `deletes` for `key`. */
  expect(key: string, adds: number, deletes: readonly string[]): void;
  /** One creation by `key` was seen (or failed: it will never be seen). */
  creationObserved(key: string): void;
  /** The deletion of `podKey` by `key` was seen (or failed). */
  deletionObserved(key: string, podKey: string): void;
  /** True when `key` awaits nothing (or its expectations expired). */
  satisfied(key: string): boolean;
  /** Forgets `key` (its object is gone). */
  forget(key: string): void;
}

/** How long expectations hold before a controller acts again anyway (Kubernetes: 5 minutes). */
const EXPECTATIONS_TTL_MS = 5 * 60_000;

/** Creates an empty {@link Expectations}. */
export function createExpectations(now: () => number = Date.now): Expectations {
  const pending = new Map<string, Expected>();
  return {
    expect(key, adds, deletes) {
      pending.set(key, { adds, deletes: new Set(deletes), at: now() });
    },
    creationObserved(key) {
      const expected = pending.get(key);
      if (expected && expected.adds > 0) expected.adds -= 1;
    },
    deletionObserved(key, podKey) {
      pending.get(key)?.deletes.delete(podKey);
    },
    satisfied(key) {
      const expected = pending.get(key);
      if (!expected) return true;
      if ((expected.adds <= 0 && expected.deletes.size === 0) || now() - expected.at > EXPECTATIONS_TTL_MS) {
        pending.delete(key);
        return true;
      }
      return false;
    },
    forget(key) {
      pending.delete(key);
    },
  };
}

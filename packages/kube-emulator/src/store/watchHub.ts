// SPDX-License-Identifier: Apache-2.0
/**
 * The watch hub: a bounded history of committed changes plus the live subscribers. A watch
 * from a resourceVersion replays the history after it; one older than the history's start is
 * answered with 410 Gone, as an apiserver whose watch cache has moved on.
 */
import { type KubeObject } from '../types.js';
import { type PersistRecord } from './persistence.js';

/** One committed change. `obj` is the storage form; `prev` the object before a modification. */
export interface ChangeEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  storageKey: string;
  rv: number;
  obj: KubeObject;
  prev?: KubeObject;
}

/** A live subscriber. */
export interface Subscriber {
  storageKey: string;
  /** Receives each event after the subscriber's start version. */
  deliver(event: ChangeEvent): void;
  /** Ends the subscriber's stream (its resource stopped being served). */
  end?(): void;
}

/** The hub. */
export interface WatchHub {
  /** Publishes committed events, in resourceVersion order. */
  publish(event: ChangeEvent): void;
  /**
   * Subscribes from `fromRv` (exclusive). Returns undefined when `fromRv` is older than the
   * retained history (the caller answers 410 Gone).
   */
  subscribe(sub: Subscriber, fromRv: number): (() => void) | undefined;
  /** The oldest resourceVersion a watch may still start from. */
  readonly oldestWatchableRv: number;
  /** The resourceVersion of the last published event. */
  readonly lastPublishedRv: number;
  /** Number of live subscribers. */
  readonly subscriberCount: number;
  /** Ends every subscriber of a storage key (a deleted CRD's resource). */
  endAll(storageKey: string): void;
  /** Sets the baseline after loading persisted state: no history before `rv`. */
  reset(rv: number): void;
  /**
   * Rebuilds history after a restart from the snapshot state and the log records after it,
   * so watches from a resourceVersion seen before the restart resume instead of relisting.
   */
  replay(baseRv: number, base: Map<string, KubeObject>, log: PersistRecord[]): void;
}

function dropSubscriber(set: Set<Subscriber>, s: Subscriber): void {
  set.delete(s);
  try {
    s.end?.();
  } catch {
    // already ended
  }
}

/** A ring of the last `capacity` events; `oldest` is the version a watch may still start from. */
function createHistory(capacity: number): {
  readonly oldest: number;
  reset(rv: number): void;
  push(event: ChangeEvent): void;
  after(fromRv: number, storageKey: string): Generator<ChangeEvent>;
} {
  const ring: ChangeEvent[] = new Array<ChangeEvent>(capacity);
  let start = 0;
  let size = 0;
  let oldest = 0;
  return {
    get oldest() {
      return oldest;
    },
    reset(rv) {
      oldest = rv;
      size = 0;
      start = 0;
    },
    push(event) {
      if (capacity === 0) {
        oldest = event.rv;
      } else if (size === capacity) {
        // A full ring: every slot holds an event.
        oldest = ring[start]!.rv;
        ring[start] = event;
        start = (start + 1) % capacity;
      } else {
        ring[(start + size) % capacity] = event;
        size++;
      }
    },
    *after(fromRv, storageKey) {
      for (let i = 0; i < size; i++) {
        // The `size` slots from `start` on hold events.
        const e = ring[(start + i) % capacity]!;
        if (e.rv > fromRv && e.storageKey === storageKey) yield e;
      }
    },
  };
}

/** The change events a replayed log record stands for, given the objects before it. */
function replayedEvent(r: PersistRecord, prev: KubeObject | undefined): ChangeEvent | undefined {
  if (r.t === 'put') {
    return prev
      ? { type: 'MODIFIED', storageKey: r.s, rv: r.rv, obj: r.o, prev }
      : { type: 'ADDED', storageKey: r.s, rv: r.rv, obj: r.o };
  }
  if (!prev) return undefined;
  return {
    type: 'DELETED',
    storageKey: r.s,
    rv: r.rv,
    obj: { ...prev, metadata: { ...prev.metadata, resourceVersion: String(r.rv) } },
  };
}

/** Creates a hub that keeps `capacity` events of history. */
export function createWatchHub(capacity: number): WatchHub {
  const history = createHistory(capacity);
  let last = 0;
  const subscribers = new Map<string, Set<Subscriber>>();

  const hub: WatchHub = {
    get oldestWatchableRv() {
      return history.oldest;
    },
    get lastPublishedRv() {
      return last;
    },
    get subscriberCount() {
      let n = 0;
      for (const s of subscribers.values()) n += s.size;
      return n;
    },
    reset(rv: number) {
      history.reset(rv);
      last = rv;
    },
    publish(event: ChangeEvent) {
      history.push(event);
      last = event.rv;
      const subs = subscribers.get(event.storageKey);
      if (!subs) return;
      for (const s of [...subs]) {
        try {
          s.deliver(event);
        } catch {
          // One broken subscriber must not stop the others (or fail the write that published).
          dropSubscriber(subs, s);
        }
      }
    },
    endAll(storageKey: string) {
      const subs = subscribers.get(storageKey);
      if (!subs) return;
      subscribers.delete(storageKey);
      for (const s of [...subs]) s.end?.();
    },
    replay(baseRv, base, log) {
      hub.reset(baseRv);
      const current = new Map(base);
      for (const r of log) {
        const key = `${r.s}|${r.k}`;
        const event = replayedEvent(r, current.get(key));
        if (!event) continue;
        hub.publish(event);
        if (r.t === 'put') current.set(key, r.o);
        else current.delete(key);
      }
    },
    subscribe(sub: Subscriber, fromRv: number) {
      if (fromRv < history.oldest) return undefined;
      for (const e of history.after(fromRv, sub.storageKey)) sub.deliver(e);
      let set = subscribers.get(sub.storageKey);
      if (!set) subscribers.set(sub.storageKey, (set = new Set()));
      set.add(sub);
      return () => {
        set.delete(sub);
      };
    },
  };
  return hub;
}

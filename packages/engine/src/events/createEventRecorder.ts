// SPDX-License-Identifier: Apache-2.0
// Kubernetes Events for chaos objects, rate-limited per object: a token bucket per object
// (burst, refill per second) so a 10,000-record experiment cannot flood the API server, with
// dropped events counted. A repeat of an identical event (same object, type, reason and
// message) within 10 minutes is counted on the first one (`count`, `lastTimestamp`), as
// client-go's event correlator does, instead of becoming a new object. Events are written in
// the background and never block reconciling.
import { randomBytes } from 'node:crypto';
import { ChaosplaneError, type ChaosObject, type Logger } from '@chaosplane/sdk';
import type { EventApi, KubeEvent } from '../kube/CoreApi.js';

/** The reasons the engine emits. */
export type ChaosEventReason =
  | 'Applied'
  | 'Recovered'
  | 'Failed'
  | 'Paused'
  | 'Started'
  | 'TimeUp'
  | 'Deleted'
  | 'FinalizerInited'
  | 'FinalizerRemoved'
  | 'Reinjected';

/** An engine reason, or a plugin's own. */
export type EventReason = ChaosEventReason | (string & {});

/** What an Event is about: any object with apiVersion, kind and metadata (a chaos object, a Schedule). */
export type EventSubject = Pick<ChaosObject, 'apiVersion' | 'kind' | 'metadata'>;

/** Emits Events about chaos objects (and the orchestration objects over them). */
export interface EventRecorder {
  /**
   * Queues one event; drops it when the object's budget is spent. `reason` is one of the
   * engine's {@link ChaosEventReason}s, or a plugin's own (through `ImplContext.events`).
   */
  emit(obj: EventSubject, type: 'Normal' | 'Warning', reason: EventReason, message: string): void;
  /** Resolves when every queued event has been written (or failed). */
  flush(): Promise<void>;
}

/** Options of {@link createEventRecorder}. */
export interface EventRecorderOptions {
  /** Where events go; undefined records nothing (counts only). */
  api?: EventApi;
  /** `source.component`; default `chaosplane-controller`. */
  component?: string;
  /** `reportingInstance` (pod name / identity). */
  instance?: string;
  /** Events an object may emit at once; default 25. */
  burst?: number;
  /** Events per second an object regains; default 1. */
  perSecond?: number;
  /** Called per emitted or dropped event (metrics). */
  onEmit?: (reason: EventReason, outcome: 'sent' | 'dropped' | 'failed') => void;
  /** Logger. */
  log?: Logger;
  /** Cancels pending writes. */
  signal?: AbortSignal;
  /** How long a repeat is counted on the first event (ms); 10 minutes, as client-go. */
  aggregationWindowMs?: number;
}

/** An event already written, whose repeats are counted on it. */
interface Aggregate {
  namespace: string;
  name: string;
  count: number;
  lastSeen: number;
  /** The writes of this event, one after the other: a repeat never overtakes its create. */
  writes: Promise<void>;
}

/** Identical events share an aggregate: client-go keys them the same way (without the count). */
const aggregateKey = (obj: EventSubject, type: string, reason: string, message: string) =>
  JSON.stringify([
    obj.kind,
    obj.metadata.namespace,
    obj.metadata.name,
    obj.metadata.uid,
    type,
    reason,
    message,
  ]);
/** Aggregates kept, oldest dropped first (client-go's cache size). */
const MAX_AGGREGATES = 4096;

/** What the recorder's writes share. */
interface RecorderState {
  options: EventRecorderOptions;
  signal: AbortSignal;
  /** Writes not settled yet, for {@link EventRecorder.flush}. */
  pending: Set<Promise<void>>;
  aggregates: Map<string, Aggregate>;
}

/** Creates an {@link EventRecorder}. */
export function createEventRecorder(options: EventRecorderOptions = {}): EventRecorder {
  const take = createEventBudget(options.burst ?? 25, options.perSecond ?? 1);
  const windowMs = options.aggregationWindowMs ?? 600_000;
  const component = options.component ?? 'chaosplane-controller';
  const state: RecorderState = {
    options,
    signal: options.signal ?? new AbortController().signal,
    pending: new Set(),
    aggregates: new Map(),
  };

  return {
    emit(obj, type, reason, message) {
      const uid = obj.metadata.uid ?? `${obj.metadata.namespace}/${obj.metadata.name}`;
      if (!take(uid)) {
        options.onEmit?.(reason, 'dropped');
        return;
      }
      const api = options.api;
      if (!api) {
        options.onEmit?.(reason, 'sent');
        return;
      }
      const event = eventFor(obj, type, reason, message, component, options.instance ?? component);
      const key = aggregateKey(obj, type, reason, message);
      const known = state.aggregates.get(key);
      if (known !== undefined && Date.now() - known.lastSeen < windowMs) {
        void track(state, repeat(api, known, event, state.signal), reason);
        return;
      }
      void track(state, createAggregate(state, api, key, event), reason);
    },
    async flush() {
      while (state.pending.size > 0) await Promise.allSettled([...state.pending]);
    },
  };
}

/**
 * A token bucket per object (`burst` tokens, `perSecond` regained): the function it returns
 * takes one token of object `uid`, false when none is left.
 */
function createEventBudget(burst: number, perSecond: number): (uid: string) => boolean {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return uid => {
    const now = Date.now();
    const bucket = buckets.get(uid) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    buckets.set(uid, bucket);
    if (buckets.size > 10_000) buckets.delete(buckets.keys().next().value as string);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };
}

/** Reports the outcome of `write` through `onEmit` and keeps it pending until it settles. */
function track(state: RecorderState, write: Promise<void>, reason: EventReason): Promise<void> {
  const { options, signal, pending } = state;
  const settled = write
    .then(
      () => options.onEmit?.(reason, 'sent'),
      (error: unknown) => {
        options.onEmit?.(reason, 'failed');
        if (!signal.aborted)
          options.log?.debug('event not written', {
            reason,
            error: error instanceof Error ? error.message : error,
          });
      },
    )
    .finally(() => pending.delete(settled));
  pending.add(settled);
  return settled;
}

/** Creates `event` and makes it the aggregate of `key`, whose repeats are counted on it. */
function createAggregate(state: RecorderState, api: EventApi, key: string, event: KubeEvent): Promise<void> {
  const { aggregates } = state;
  const write = api.create(event, state.signal);
  const aggregate: Aggregate = {
    namespace: event.metadata.namespace,
    name: event.metadata.name,
    count: 1,
    lastSeen: Date.now(),
    // An event that could not be created is not repeated: the next one is created anew.
    writes: write.catch(() => void (aggregates.get(key) === aggregate && aggregates.delete(key))),
  };
  aggregates.delete(key);
  aggregates.set(key, aggregate);
  if (aggregates.size > MAX_AGGREGATES) aggregates.delete(aggregates.keys().next().value as string);
  return write;
}

/** Counts a repeat on its aggregate; an event that expired meanwhile is written again. */
function repeat(api: EventApi, aggregate: Aggregate, event: KubeEvent, signal: AbortSignal): Promise<void> {
  aggregate.count += 1;
  aggregate.lastSeen = Date.now();
  const count = aggregate.count;
  const lastTimestamp = new Date().toISOString();
  aggregate.writes = aggregate.writes.then(() =>
    api
      .repeat({ namespace: aggregate.namespace, name: aggregate.name, count, lastTimestamp }, signal)
      .catch((error: unknown) => {
        if (!ChaosplaneError.isKind(error, 'not-found')) throw error;
        return api.create(
          { ...event, metadata: { name: aggregate.name, namespace: aggregate.namespace } },
          signal,
        );
      }),
  );
  return aggregate.writes;
}

/** The Event about `obj`, reported by `component` from `instance`. */
function eventFor(
  obj: EventSubject,
  type: 'Normal' | 'Warning',
  reason: EventReason,
  message: string,
  component: string,
  instance: string,
): KubeEvent {
  const now = new Date().toISOString();
  const namespace = obj.metadata.namespace ?? 'default';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${obj.metadata.name ?? 'chaos'}.${Date.now().toString(16)}${randomBytes(4).toString('hex')}`,
      namespace,
    },
    involvedObject: {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata.name ?? '',
      namespace,
      ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
    },
    reason,
    message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
    type,
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component },
    reportingComponent: component,
    reportingInstance: instance,
  };
}

// SPDX-License-Identifier: Apache-2.0
// Kubernetes Events for chaos objects, rate-limited per object: a token bucket per object
// (burst, refill per second) so a 10,000-record experiment cannot flood the API server, with
// dropped events counted. Events are written in the background and never block reconciling.
import { randomBytes } from 'node:crypto';
import type { ChaosObject } from '../../api/ChaosObject.js';
import type { Logger } from '../../logging/createLogger.js';
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
  | 'FinalizerRemoved';

/** An engine reason, or a plugin's own. */
export type EventReason = ChaosEventReason | (string & {});

/** Emits Events about chaos objects. */
export interface EventRecorder {
  /**
   * Queues one event; drops it when the object's budget is spent. `reason` is one of the
   * engine's {@link ChaosEventReason}s, or a plugin's own (through `ImplContext.events`).
   */
  emit(obj: ChaosObject, type: 'Normal' | 'Warning', reason: EventReason, message: string): void;
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
}

/** Creates an {@link EventRecorder}. */
export function createEventRecorder(options: EventRecorderOptions = {}): EventRecorder {
  const burst = options.burst ?? 25;
  const perSecond = options.perSecond ?? 1;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const pending = new Set<Promise<void>>();
  const component = options.component ?? 'chaosplane-controller';
  const signal = options.signal ?? new AbortController().signal;

  const take = (uid: string) => {
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
      const now = new Date().toISOString();
      const namespace = obj.metadata.namespace ?? 'default';
      const event: KubeEvent = {
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
        reportingInstance: options.instance ?? component,
      };
      const write = api
        .create(event, signal)
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
        .finally(() => pending.delete(write));
      pending.add(write);
    },
    async flush() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

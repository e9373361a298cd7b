// SPDX-License-Identifier: Apache-2.0
// What every dev controller is given: the API server, the shared informers, an Event recorder
// under the controller's own component name (as `kubectl describe` shows them), a logger.
import { createEventApi, createEventRecorder, type EventRecorder } from '@chaosplane/engine';
import type { KubeConnection } from '@chaosplane/kube';
import type { ChaosObject, Logger } from '@chaosplane/sdk';
import type { SharedInformers } from './sharedInformers.js';
import type { StoredMeta } from './objects.js';

/** An object Events are about. */
export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: StoredMeta;
}

/** Events of one controller (source and reporting component: its name). */
export interface ControllerEvents {
  emit(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Resolves once every queued Event is written. */
  flush(): Promise<void>;
}

/** What a controller works with. */
export interface ControllerContext {
  kube: KubeConnection;
  informers: SharedInformers;
  log: Logger;
  /** Events under `component` (`deployment-controller`, `default-scheduler`…). */
  events(component: string): ControllerEvents;
}

/** Creates the context of the dev controllers; Events stop being written when `signal` aborts. */
export function createControllerContext(
  kube: KubeConnection,
  informers: SharedInformers,
  log: Logger,
  signal: AbortSignal,
): ControllerContext {
  const api = createEventApi(kube);
  const recorders = new Map<string, EventRecorder>();
  return {
    kube,
    informers,
    log,
    events(component) {
      let recorder = recorders.get(component);
      if (recorder === undefined) {
        recorder = createEventRecorder({ api, component, instance: component, log, signal });
        recorders.set(component, recorder);
      }
      const events = recorder;
      return {
        // The recorder reads apiVersion, kind and metadata only; a chaos object is its shape.
        emit: (target, type, reason, message) =>
          events.emit({ ...target, spec: undefined } as ChaosObject, type, reason, message),
        flush: () => events.flush(),
      };
    },
  };
}

// SPDX-License-Identifier: Apache-2.0
// One kind's controller: an informer feeding a work queue drained by N workers, each running
// the pipeline for one key at a time (the queue never hands one key to two workers).
import { createInformer, type Informer } from '@chaosplane/kube';
import { PHASE_INJECTED, type ChaosObject, type Logger } from '@chaosplane/sdk';
import {
  isRecordRecovered,
  type ChaosImplRegistration,
  type SelectorRegistry,
} from '@chaosplane/sdk/framework';
import type { Clock } from './clock/clock.js';
import type { DaemonInstances } from './daemons/createDaemonInstances.js';
import type { EventRecorder } from './events/createEventRecorder.js';
import type { ChaosApi } from './kube/ChaosApi.js';
import type { EngineMetrics } from './metrics/createEngineMetrics.js';
import { createObjectAccess, type ObjectAccess } from './pipeline/createObjectAccess.js';
import { createPipeline, type Pipeline } from './pipeline/createPipeline.js';
import type { ImplServices, RecordRunnerOptions } from './pipeline/runRecords.js';
import { createWorkQueue, type WorkQueue } from './queue/createWorkQueue.js';
import { createDefaultRateLimiter, type DefaultRateLimiterOptions } from './queue/rateLimiters.js';
import { isDeleted, isPaused } from './steps/desiredPhase.js';

/** Tunables of one kind's controller. */
export interface KindControllerOptions {
  /** Pipelines running at once (different objects), default 4. */
  workers: number;
  /** Retry limiter settings of the queue. */
  rateLimiter: DefaultRateLimiterOptions;
  /** Records runner settings. */
  records: RecordRunnerOptions;
  /** Informer watchdog (ms). */
  watchdogMs: number;
  /** Re-queue every object this often (ms); 0 disables. */
  resyncMs: number;
}

/** What a kind controller needs. */
export interface KindControllerDeps {
  registration: ChaosImplRegistration;
  api: ChaosApi;
  selectors: SelectorRegistry;
  events: EventRecorder;
  metrics: EngineMetrics | undefined;
  /** What implementations reach through their context: the API server, the daemons. */
  services: ImplServices;
  log: Logger;
  options: KindControllerOptions;
  /** True once a graceful stop began. */
  stopping: () => boolean;
  /** Aborted on a hard stop; handed to plugins. */
  implSignal: AbortSignal;
  /** The clock of durations (expiry requeues wait on it). */
  clock: Clock;
  /** The daemon instance of each node; records are re-applied when it changes. */
  daemonInstances?: DaemonInstances;
}

/** A running kind controller. */
export interface KindController {
  /** The informer (for status summaries and tests). */
  informer: Informer<ChaosObject>;
  /** Runs until `signal` aborts; in-flight pipelines finish before it resolves. */
  run(signal: AbortSignal): Promise<void>;
  /**
   * Queues the objects with records applied through the daemon of `nodeName` (its daemon was
   * replaced); their pipelines decide what to re-apply. Returns how many were queued.
   */
  requeueNode(nodeName: string): number;
}

/** The summary phase of one object, for the `chaosplane_experiments` gauge. */
export function experimentPhase(obj: ChaosObject): string {
  if (isDeleted(obj)) return 'Deleting';
  const records = obj.status?.experiment?.containerRecords ?? [];
  const desired = obj.status?.experiment?.desiredPhase;
  if (records.length === 0) return desired === 'Stop' ? 'Finished' : 'Selecting';
  if (desired === 'Stop') {
    if (records.every(isRecordRecovered)) return isPaused(obj) ? 'Paused' : 'Finished';
    return 'Recovering';
  }
  return records.every(r => r.phase === PHASE_INJECTED) ? 'Running' : 'Injecting';
}

/** Creates a {@link KindController}. */
export function createKindController(deps: KindControllerDeps): KindController {
  const kindName = deps.registration.kind.kind;
  const log = deps.log.child({ chaosKind: kindName });
  let queueDepth = () => 0;
  const queue = createWorkQueue<string>({
    rateLimiter: createDefaultRateLimiter(deps.options.rateLimiter),
    clock: deps.clock,
    onChange: () => deps.metrics?.queueDepth.set({ kind: kindName }, queueDepth()),
  });
  queueDepth = () => queue.depth();
  const pipelineRef: { forget(uid: string): void } = { forget() {} };
  /** Keys being reconciled → versions the informer saw meanwhile. */
  const processing = new Map<string, string[]>();
  const informer = createInformer<ChaosObject>({
    source: deps.api,
    resource: kindName,
    watchdogMs: deps.options.watchdogMs,
    log,
    onRestart: cause => deps.metrics?.watchRestarts.inc({ kind: kindName, cause }),
    onChange: (key, obj, previous) => {
      if (!obj) {
        objects.forget(key);
        if (previous?.metadata.uid) pipelineRef.forget(previous.metadata.uid);
      } else if (processing.has(key)) {
        // Decided when the pass ends: by then the pass knows every version it wrote itself,
        // even when a watch event arrives before the answer to the write.
        processing.get(key)!.push(obj.metadata.resourceVersion ?? '');
        return;
      } else if (objects.wroteVersion(key, obj.metadata.resourceVersion)) {
        // Our own write coming back: the pass that wrote it already continued from it (and
        // requeued itself if needed). Requeueing here would bypass back-offs (Chaos Mesh
        // filters these with predicates for the same reason).
        return;
      }
      queue.add(key);
    },
  });
  const objects = createObjectAccess({
    api: deps.api,
    informed: key => informer.get(key),
    onWrite: (target, outcome) => deps.metrics?.writes.inc({ kind: kindName, target, outcome }),
  });
  const pipeline = createPipeline({
    kind: deps.registration.kind,
    impl: deps.registration.impl,
    objects,
    selectors: deps.selectors,
    events: deps.events,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    services: deps.services,
    log,
    records: deps.options.records,
    stopping: deps.stopping,
    implSignal: deps.implSignal,
    now: deps.clock.now,
    ...(deps.daemonInstances ? { daemonInstances: deps.daemonInstances } : {}),
  });
  pipelineRef.forget = uid => pipeline.forget(uid);

  const workers: KindWorkers = { deps, kindName, log, queue, pipeline, objects, processing };

  return {
    informer,
    run: signal => runKindController(workers, informer, signal),
    requeueNode(nodeName) {
      let queued = 0;
      for (const key of informer.keys()) {
        const uid = informer.get(key)?.metadata.uid;
        if (uid === undefined || !pipeline.appliedOn(uid, nodeName)) continue;
        queue.add(key);
        queued += 1;
      }
      return queued;
    },
  };
}

/** What the workers of one kind controller share. */
interface KindWorkers {
  deps: KindControllerDeps;
  kindName: string;
  log: Logger;
  queue: WorkQueue<string>;
  pipeline: Pipeline;
  objects: ObjectAccess;
  /** Keys being reconciled → versions the informer saw meanwhile. */
  processing: Map<string, string[]>;
}

/**
 * Runs the informer, the resync and the workers until `signal` aborts; resolves once every
 * worker has finished its key and the informer has stopped.
 */
async function runKindController(
  workers: KindWorkers,
  informer: Informer<ChaosObject>,
  signal: AbortSignal,
): Promise<void> {
  const { deps, queue } = workers;
  const informerStop = new AbortController();
  const informerRun = informer.run(informerStop.signal);
  const resync =
    deps.options.resyncMs > 0
      ? setInterval(() => {
          for (const key of informer.keys()) queue.add(key);
        }, deps.options.resyncMs)
      : undefined;
  const running = Array.from({ length: deps.options.workers }, () => runWorker(workers));
  const onAbort = () => queue.shutDown();
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  await Promise.all(running);
  if (resync) clearInterval(resync);
  informerStop.abort();
  await informerRun;
}

/** Reconciles the queue's keys one at a time until the queue shuts down. */
async function runWorker(workers: KindWorkers): Promise<void> {
  const { deps, kindName, log, queue, pipeline, objects, processing } = workers;
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    processing.set(key, []);
    const end = deps.metrics?.reconcileSeconds.startTimer({ kind: kindName });
    try {
      const result = await pipeline.reconcile(key, deps.implSignal);
      if (result.retry) queue.addRateLimited(key);
      else queue.forget(key);
      if (result.requeueAt !== undefined) queue.addAt(key, result.requeueAt);
    } catch (error) {
      if (!deps.stopping()) {
        deps.metrics?.reconcileErrors.inc({ kind: kindName });
        log.warn('reconcile failed; retrying with back-off', {
          key,
          error: error instanceof Error ? error.message : String(error),
        });
        queue.addRateLimited(key);
      }
    } finally {
      end?.();
      const seen = processing.get(key) ?? [];
      processing.delete(key);
      if (seen.some(version => !objects.wroteVersion(key, version))) queue.add(key);
      queue.done(key);
    }
  }
}

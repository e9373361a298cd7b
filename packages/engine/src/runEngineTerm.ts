// SPDX-License-Identifier: Apache-2.0
// One term of the engine: every kind controller runs until the term's signal aborts, then
// stops gracefully (in-flight calls get the grace period) or at once when the lease was lost.
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from '@chaosplane/sdk';
import type { ChaosImplRegistration } from '@chaosplane/sdk/framework';
import { systemClock } from './clock/clock.js';
import type { EngineOptions } from './createEngine.js';
import {
  createKindController,
  type KindController,
  type KindControllerOptions,
} from './createKindController.js';
import { createDaemonInstances, type DaemonInstances } from './daemons/createDaemonInstances.js';
import { createEventRecorder, type EventRecorder } from './events/createEventRecorder.js';
import { createChaosApi, type ChaosApi } from './kube/ChaosApi.js';
import { createEventApi } from './kube/CoreApi.js';
import { LEADERSHIP_LOST } from './leader/createLeaderElector.js';
import type { EngineMetrics } from './metrics/createEngineMetrics.js';
import type { ImplServices } from './pipeline/runRecords.js';
import type { ExtensionContext, ExtensionRun } from './extensions/EngineExtension.js';

/** What the terms of one engine share. */
export interface EngineState {
  options: EngineOptions;
  log: Logger;
  metrics: EngineMetrics;
  services: ImplServices;
  /** The controllers of the running term (empty between terms). */
  current: Map<string, KindController>;
  /** True while this instance reconciles. */
  leading: boolean;
}

/**
 * Runs one term: every kind controller until `signal` aborts; then a graceful stop, cut short
 * when `leaseLost` aborts (another replica may be reconciling).
 */
export async function runEngineTerm(engine: EngineState, signal: AbortSignal, leaseLost?: AbortSignal) {
  const hard = new AbortController();
  // Every in-flight request listens on this signal; hundreds at once are expected.
  setMaxListeners(0, hard.signal);
  const graceful = new AbortController();
  const events = createTermEvents(engine, hard.signal);
  const controllers = new Map<string, KindController>();
  const daemons = createTermDaemonInstances(engine, controllers);
  for (const [kind, controller] of createTermControllers(
    engine,
    events,
    graceful.signal,
    hard.signal,
    daemons,
  ))
    controllers.set(kind, controller);
  engine.current = controllers;
  const daemonsStop = new AbortController();
  const daemonsRun = daemons?.run(daemonsStop.signal);
  const unwatch = watchTermStop(signal, leaseLost, graceful, hard, engine.options.shutdownGraceMs ?? 30_000);
  const recorders: EventRecorder[] = [events];
  try {
    const extensions = startExtensions(engine, graceful.signal, hard.signal, component => {
      const recorder = createTermEvents(engine, hard.signal, component);
      recorders.push(recorder);
      return recorder;
    });
    await Promise.all([
      ...[...controllers.values()].map(controller => controller.run(graceful.signal)),
      ...extensions.map(extension => extension.run(graceful.signal)),
    ]);
    await flushEvents(recorders, 2_000);
  } finally {
    unwatch();
    daemonsStop.abort();
    await daemonsRun;
    hard.abort();
    if (engine.current === controllers) engine.current = new Map();
  }
}

/**
 * The term's watch of the daemons' endpoints (with `options.daemonEndpoints`): a node whose
 * ready daemon becomes another instance has its objects requeued, to re-apply their records.
 */
function createTermDaemonInstances(
  engine: EngineState,
  controllers: ReadonlyMap<string, KindController>,
): DaemonInstances | undefined {
  const { options, log } = engine;
  if (!options.daemonEndpoints) return undefined;
  return createDaemonInstances(
    options.kube,
    options.daemonEndpoints,
    (node, previous, current) => {
      // The new instance is likely at a new address: the next call must not dial the old one.
      options.daemons?.forgetNode?.(node);
      // A node without a ready daemon has nothing to re-apply on yet; its new one will.
      if (current === undefined) {
        log.info('the chaos daemon of a node is not ready', { node, previousInstance: previous });
        return;
      }
      let queued = 0;
      for (const controller of controllers.values()) queued += controller.requeueNode(node);
      log.info('the chaos daemon of a node is another instance', {
        node,
        previousInstance: previous,
        instance: current,
        requeued: queued,
      });
    },
    log,
  );
}

/** The extensions' controllers of one term. */
function startExtensions(
  engine: EngineState,
  graceful: AbortSignal,
  hard: AbortSignal,
  events: (component: string) => EventRecorder,
): ExtensionRun[] {
  const { options } = engine;
  const context: ExtensionContext = {
    kube: options.kube,
    clock: options.clock ?? systemClock,
    log: engine.log,
    kinds: options.registrations.map(registration => registration.kind),
    namespace: options.namespace,
    events,
    stopping: () => graceful.aborted,
    signal: hard,
  };
  return (options.extensions ?? []).map(extension =>
    extension.start({ ...context, log: engine.log.child({ extension: extension.name }) }),
  );
}

/** The term's event recorder (as `component`), whose pending writes `signal` cancels. */
function createTermEvents(engine: EngineState, signal: AbortSignal, component?: string): EventRecorder {
  const { options, metrics, log } = engine;
  return createEventRecorder({
    ...(component !== undefined ? { component } : {}),
    api: options.apis?.events ?? createEventApi(options.kube),
    instance: options.leaderElection?.identity ?? `${hostname()}-${process.pid}`,
    burst: options.events?.burst ?? 25,
    perSecond: options.events?.perSecond ?? 1,
    onEmit: (reason, outcome) => metrics.events.inc({ reason, outcome }),
    log,
    signal,
  });
}

/**
 * One controller per registered kind, by kind name. The term is stopping once `graceful`
 * aborts; `hard` is the signal handed to implementations.
 */
function createTermControllers(
  engine: EngineState,
  events: EventRecorder,
  graceful: AbortSignal,
  hard: AbortSignal,
  daemonInstances: DaemonInstances | undefined,
): Map<string, KindController> {
  const { options } = engine;
  const controllers = new Map<string, KindController>();
  for (const registration of options.registrations) {
    controllers.set(
      registration.kind.kind,
      createKindController({
        registration,
        api: chaosApi(options, registration),
        selectors: options.selectors,
        events,
        metrics: engine.metrics,
        services: engine.services,
        log: engine.log,
        stopping: () => graceful.aborted,
        implSignal: hard,
        clock: options.clock ?? systemClock,
        options: kindControllerOptions(options),
        ...(daemonInstances ? { daemonInstances } : {}),
      }),
    );
  }
  return controllers;
}

/** The API of one kind's objects: the override of `options.apis`, else the API server's. */
function chaosApi(options: EngineOptions, registration: ChaosImplRegistration): ChaosApi {
  return (
    options.apis?.chaos?.(registration) ?? createChaosApi(options.kube, registration.kind, options.namespace)
  );
}

/** The kind controllers' tunables: the engine's options with their defaults. */
function kindControllerOptions(options: EngineOptions): KindControllerOptions {
  return {
    workers: options.workersPerKind ?? 4,
    rateLimiter: options.rateLimiter ?? {},
    watchdogMs: options.watchdogMs ?? 5 * 60_000,
    resyncMs: options.resyncMs ?? 10 * 60_000,
    records: {
      parallelism: options.recordParallelism ?? 16,
      flushIntervalMs: options.statusFlushIntervalMs ?? 200,
      maxRecordEvents: options.maxRecordEvents ?? 10,
      backoffBaseMs: options.recordBackoff?.baseMs ?? 200,
      backoffMaxMs: options.recordBackoff?.maxMs ?? 2 * 60_000,
    },
  };
}

/**
 * Aborts `graceful` when `signal` aborts and `hard` after `graceMs` (at once when leadership
 * was lost), or at once when `leaseLost` aborts. Returns the function that stops watching.
 */
function watchTermStop(
  signal: AbortSignal,
  leaseLost: AbortSignal | undefined,
  graceful: AbortController,
  hard: AbortController,
  graceMs: number,
): () => void {
  let graceTimer: NodeJS.Timeout | undefined;
  const onStop = () => {
    graceful.abort();
    // A lost lease means another replica may be reconciling already: stop at once (the
    // write-ahead markers keep interrupted calls safe). Otherwise in-flight calls get the
    // grace period, then their signal aborts.
    if (signal.reason === LEADERSHIP_LOST) hard.abort();
    else graceTimer = setTimeout(() => hard.abort(), graceMs);
  };
  if (signal.aborted) onStop();
  else signal.addEventListener('abort', onStop, { once: true });
  const onLeaseLost = () => hard.abort();
  if (leaseLost?.aborted) onLeaseLost();
  else leaseLost?.addEventListener('abort', onLeaseLost, { once: true });
  return () => {
    clearTimeout(graceTimer);
    signal.removeEventListener('abort', onStop);
    leaseLost?.removeEventListener('abort', onLeaseLost);
  };
}

/** Waits for the queued events to be written, `limitMs` at the most. */
async function flushEvents(recorders: readonly EventRecorder[], limitMs: number): Promise<void> {
  let flushTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(recorders.map(events => events.flush())),
    new Promise(resolve => (flushTimer = setTimeout(resolve, limitMs))),
  ]);
  clearTimeout(flushTimer);
}

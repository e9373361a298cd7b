// SPDX-License-Identifier: Apache-2.0
// The engine: one kind controller per registered chaos implementation, optionally behind a
// leader lease, with shared HTTPS access, Events and metrics. See docs/engine.md.
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Container } from 'inversify';
import type { Registry } from 'prom-client';
import type { KubeConnection } from '@chaosplane/kube';
import { ChaosplaneError, defineToken, type Logger } from '@chaosplane/sdk';
import {
  CHAOS_IMPL,
  DAEMON_CONNECTOR,
  LOGGER,
  SELECTOR_REGISTRY,
  type ChaosImplRegistration,
  type DaemonConnector,
  type SelectorRegistry,
} from '@chaosplane/sdk/framework';
import { createSilentLogger } from '@chaosplane/service';
import { createKindController, experimentPhase, type KindController } from './createKindController.js';
import { createEventRecorder } from './events/createEventRecorder.js';
import { createChaosApi, type ChaosApi } from './kube/ChaosApi.js';
import { createEventApi, createLeaseApi, type EventApi, type LeaseApi } from './kube/CoreApi.js';
import {
  createLeaderElector,
  LEADERSHIP_LOST,
  type LeaderElectionOptions,
} from './leader/createLeaderElector.js';
import { createEngineMetrics, type EngineMetrics } from './metrics/createEngineMetrics.js';
import type { ImplServices } from './pipeline/runRecords.js';
import { resolveToken } from './plugin/resolveToken.js';
import type { DefaultRateLimiterOptions } from './queue/rateLimiters.js';

/** Every knob of the engine; all but `kube`, `registrations` and `selectors` have defaults. */
export interface EngineOptions {
  /** Connection to the API server (its owner closes it). */
  kube: KubeConnection;
  /** Daemon clients behind `ctx.daemon`; calling it fails clearly when undefined. */
  daemons?: DaemonConnector;
  /** The chaos kinds and their implementations (the DI "impl" group). */
  registrations: readonly ChaosImplRegistration[];
  /** Target selection. */
  selectors: SelectorRegistry;
  /** Logger; silent by default. */
  log?: Logger;
  /** Registry for the metrics; a new one by default (see {@link Engine.metrics}). */
  metricsRegistry?: Registry;
  /** Pipelines running at once per kind (different objects); default 4. */
  workersPerKind?: number;
  /** Records applied/recovered at once per object; default 16. */
  recordParallelism?: number;
  /** Least time between status writes while records progress (ms); default 200. */
  statusFlushIntervalMs?: number;
  /** Events kept per record in `status.experiment.containerRecords[].events`; default 10. */
  maxRecordEvents?: number;
  /** Per-record back-off: first delay and cap (ms); defaults 200 ms and 2 minutes. */
  recordBackoff?: { baseMs?: number; maxMs?: number };
  /** Per-object retry back-off and global retry bucket; defaults 5 ms → 5 min, 10 qps / 100 burst. */
  rateLimiter?: DefaultRateLimiterOptions;
  /** Relist when a watch is silent for this long (ms); default 5 minutes. */
  watchdogMs?: number;
  /** Re-queue every object this often (ms); default 10 minutes; 0 disables. */
  resyncMs?: number;
  /** Kubernetes Events per object: burst and refill per second; defaults 25 and 1. */
  events?: { burst?: number; perSecond?: number };
  /**
   * Reconcile chaos objects of this namespace only (namespace-scoped mode); every namespace
   * when undefined.
   */
  namespace?: string;
  /** Leader election; off when undefined. */
  leaderElection?: LeaderElectionOptions;
  /** How long a graceful stop lets in-flight apply/recover calls finish (ms); default 30 s. */
  shutdownGraceMs?: number;
  /** Overrides of the API access (tests run the pipeline over in-memory fakes). */
  apis?: { chaos?: (registration: ChaosImplRegistration) => ChaosApi; events?: EventApi; leases?: LeaseApi };
}

/** A created engine. */
export interface Engine {
  /** The engine's metrics; serve `metrics.registry.metrics()` at /metrics. */
  metrics: EngineMetrics;
  /** True while this instance reconciles (always, without leader election). */
  isLeader(): boolean;
  /** The controllers of the current term (empty while not leading). */
  controllers(): ReadonlyMap<string, KindController>;
  /** Runs until `signal` aborts, then stops gracefully: in-flight records finish and are written. */
  run(signal: AbortSignal): Promise<void>;
}

/** Creates the engine. Nothing starts until {@link Engine.run}. */
export function createEngine(options: EngineOptions): Engine {
  if (options.registrations.length === 0) {
    throw new ChaosplaneError('invalid', 'the engine needs at least one chaos implementation', {
      field: 'registrations',
    });
  }
  const seen = new Set<string>();
  for (const { kind } of options.registrations) {
    const id = `${kind.apiVersion}/${kind.kind}`;
    if (seen.has(id))
      throw new ChaosplaneError('invalid', `kind ${id} is registered twice`, { field: 'registrations' });
    seen.add(id);
  }
  const log = options.log ?? createSilentLogger();
  const metrics = createEngineMetrics(options.metricsRegistry, function* experiments() {
    for (const [kind, controller] of current)
      for (const obj of controller.informer.list()) yield { kind, phase: experimentPhase(obj) };
  });
  const services: ImplServices = {
    kube: options.kube,
    ...(options.daemons ? { daemons: options.daemons } : {}),
  };
  const chaosApi = (registration: ChaosImplRegistration) =>
    options.apis?.chaos?.(registration) ?? createChaosApi(options.kube, registration.kind, options.namespace);
  let current = new Map<string, KindController>();
  let leading = options.leaderElection === undefined;

  /**
   * Runs one term: every kind controller until `signal` aborts; then a graceful stop, cut short
   * when `leaseLost` aborts (another replica may be reconciling).
   */
  const runTerm = async (signal: AbortSignal, leaseLost?: AbortSignal) => {
    const hard = new AbortController();
    // Every in-flight request listens on this signal; hundreds at once are expected.
    setMaxListeners(0, hard.signal);
    let stopping = false;
    const events = createEventRecorder({
      api: options.apis?.events ?? createEventApi(options.kube),
      instance: options.leaderElection?.identity ?? `${hostname()}-${process.pid}`,
      burst: options.events?.burst ?? 25,
      perSecond: options.events?.perSecond ?? 1,
      onEmit: (reason, outcome) => metrics.events.inc({ reason, outcome }),
      log,
      signal: hard.signal,
    });
    const controllers = new Map<string, KindController>();
    for (const registration of options.registrations) {
      controllers.set(
        registration.kind.kind,
        createKindController({
          registration,
          api: chaosApi(registration),
          selectors: options.selectors,
          events,
          metrics,
          services,
          log,
          stopping: () => stopping,
          implSignal: hard.signal,
          options: {
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
          },
        }),
      );
    }
    current = controllers;
    const graceful = new AbortController();
    const onStop = () => {
      stopping = true;
      graceful.abort();
      // A lost lease means another replica may be reconciling already: stop at once (the
      // write-ahead markers keep interrupted calls safe). Otherwise in-flight calls get the
      // grace period, then their signal aborts.
      if (signal.reason === LEADERSHIP_LOST) hard.abort();
      else graceTimer = setTimeout(() => hard.abort(), options.shutdownGraceMs ?? 30_000);
    };
    let graceTimer: NodeJS.Timeout | undefined;
    if (signal.aborted) onStop();
    else signal.addEventListener('abort', onStop, { once: true });
    const onLeaseLost = () => hard.abort();
    if (leaseLost?.aborted) onLeaseLost();
    else leaseLost?.addEventListener('abort', onLeaseLost, { once: true });
    try {
      await Promise.all([...controllers.values()].map(controller => controller.run(graceful.signal)));
      let flushTimer: NodeJS.Timeout | undefined;
      await Promise.race([events.flush(), new Promise(resolve => (flushTimer = setTimeout(resolve, 2_000)))]);
      clearTimeout(flushTimer);
    } finally {
      clearTimeout(graceTimer);
      signal.removeEventListener('abort', onStop);
      leaseLost?.removeEventListener('abort', onLeaseLost);
      hard.abort();
      if (current === controllers) current = new Map();
    }
  };

  return {
    metrics,
    isLeader: () => leading,
    controllers: () => current,
    // The connection is the caller's: it outlives the engine (the operator closes it).
    async run(signal) {
      if (!options.leaderElection) {
        metrics.leader.set(1);
        await runTerm(signal);
        return;
      }
      const terms: Promise<void>[] = [];
      const elector = createLeaderElector(options.leaderElection, {
        api: options.apis?.leases ?? createLeaseApi(options.kube),
        log,
        onStartedLeading: (termSignal, leaseLost) => {
          leading = true;
          metrics.leader.set(1);
          // A term starts only once the previous one has wound down: two terms never run
          // at once in one process.
          const previous = terms.at(-1) ?? Promise.resolve();
          const term = previous.then(
            () => runTerm(termSignal, leaseLost),
            () => runTerm(termSignal, leaseLost),
          );
          terms.push(term);
          // The elector keeps the lease until the term has wound down.
          return term;
        },
        onStoppedLeading: () => {
          leading = false;
          metrics.leader.set(0);
        },
      });
      await elector.run(signal);
      await Promise.all(terms);
    },
  };
}

/** Options of {@link startEngine}: the engine's, plus the signal that stops it. */
export interface StartEngineOptions extends EngineOptions {
  /** Stops the engine gracefully. */
  signal: AbortSignal;
}

/** A started engine and the promise of its end. */
export interface StartedEngine extends Engine {
  /** Resolves once the engine has stopped (after `signal` aborted). */
  done: Promise<void>;
}

/** Creates the engine and runs it in the background until `options.signal` aborts. */
export function startEngine(options: StartEngineOptions): StartedEngine {
  const engine = createEngine(options);
  const done = engine.run(options.signal);
  return { ...engine, done };
}

/**
 * Creates the engine from an inversify container: it multi-injects the `CHAOS_IMPL` group (every
 * plugin's registration) and takes `SELECTOR_REGISTRY` and, if bound, `DAEMON_CONNECTOR` and
 * `LOGGER`.
 */
export function createEngineFromContainer(
  container: Container,
  options: Omit<EngineOptions, 'registrations' | 'selectors' | 'daemons'>,
): Engine {
  // An empty group cannot be multi-injected; the engine's own check says what is missing.
  if (!container.isBound(CHAOS_IMPL))
    return createEngine({
      ...options,
      registrations: [],
      selectors: resolveToken(container, SELECTOR_REGISTRY),
    });
  const engine = defineToken<Engine>(`chaosplane.Engine.${++engines}`);
  container.bind(engine).toResolvedValue(
    (
      registrations: ChaosImplRegistration[],
      selectors: SelectorRegistry,
      daemons?: DaemonConnector,
      log?: Logger,
    ) =>
      createEngine({
        ...options,
        ...(log ? { log } : {}),
        ...(daemons ? { daemons } : {}),
        registrations,
        selectors,
      }),
    [
      { serviceIdentifier: CHAOS_IMPL, isMultiple: true },
      SELECTOR_REGISTRY,
      { serviceIdentifier: DAEMON_CONNECTOR, optional: true },
      { serviceIdentifier: LOGGER, optional: true },
    ],
  );
  return resolveToken(container, engine);
}

let engines = 0;

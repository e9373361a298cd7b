// SPDX-License-Identifier: Apache-2.0
// The engine: one kind controller per registered chaos implementation, optionally behind a
// leader lease, with shared HTTPS access, Events and metrics. See docs/engine.md.
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
import type { Clock } from './clock/clock.js';
import type { DaemonEndpointsOptions } from './daemons/createDaemonInstances.js';
import type { EngineExtension } from './extensions/EngineExtension.js';
import { experimentPhase, type KindController } from './createKindController.js';
import type { ChaosApi } from './kube/ChaosApi.js';
import { createLeaseApi, type EventApi, type LeaseApi } from './kube/CoreApi.js';
import { createLeaderElector, type LeaderElectionOptions } from './leader/createLeaderElector.js';
import { createEngineMetrics, type EngineMetrics } from './metrics/createEngineMetrics.js';
import { resolveToken } from './plugin/resolveToken.js';
import type { DefaultRateLimiterOptions } from './queue/rateLimiters.js';
import { runEngineTerm, type EngineState } from './runEngineTerm.js';

/** Every knob of the engine; all but `kube`, `registrations` and `selectors` have defaults. */
export interface EngineOptions {
  /** Connection to the API server (its owner closes it). */
  kube: KubeConnection;
  /** Daemon clients behind `ctx.daemon`; calling it fails clearly when undefined. */
  daemons?: DaemonConnector;
  /**
   * The daemon's headless Service, whose EndpointSlices the engine watches: when a node's ready
   * daemon becomes another pod, the records whose apply called the old one are applied again
   * (a daemon stopped gracefully recovers its faults before it exits). Off when undefined.
   */
  daemonEndpoints?: DaemonEndpointsOptions;
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
  /**
   * The clock of experiment time: durations, and the schedules and deadlines of extensions.
   * The system clock by default; tests hand a manual one (see createManualClock).
   */
  clock?: Clock;
  /**
   * Controllers over objects that are not chaos kinds (Schedule, Workflow, StatusCheck), run in
   * the same terms as the kind controllers: behind the same lease, on the same clock.
   */
  extensions?: readonly EngineExtension[];
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
  checkRegistrations(options.registrations);
  const log = options.log ?? createSilentLogger();
  const metrics = createEngineMetrics(options.metricsRegistry, function* experiments() {
    for (const [kind, controller] of engine.current)
      for (const obj of controller.informer.list()) yield { kind, phase: experimentPhase(obj) };
  });
  const engine: EngineState = {
    options,
    log,
    metrics,
    services: {
      kube: options.kube,
      ...(options.daemons ? { daemons: options.daemons } : {}),
    },
    current: new Map(),
    leading: options.leaderElection === undefined,
  };

  return {
    metrics,
    isLeader: () => engine.leading,
    controllers: () => engine.current,
    // The connection is the caller's: it outlives the engine (the operator closes it).
    async run(signal) {
      if (!options.leaderElection) {
        metrics.leader.set(1);
        await runEngineTerm(engine, signal);
        return;
      }
      await runAsLeader(engine, options.leaderElection, signal);
    },
  };
}

/** Throws unless there is at least one registration and no kind is registered twice. */
function checkRegistrations(registrations: readonly ChaosImplRegistration[]): void {
  if (registrations.length === 0) {
    throw new ChaosplaneError('invalid', 'the engine needs at least one chaos implementation', {
      field: 'registrations',
    });
  }
  const seen = new Set<string>();
  for (const { kind } of registrations) {
    const id = `${kind.apiVersion}/${kind.kind}`;
    if (seen.has(id))
      throw new ChaosplaneError('invalid', `kind ${id} is registered twice`, { field: 'registrations' });
    seen.add(id);
  }
}

/** Contends for the lease until `signal` aborts, running one term per won lease. */
async function runAsLeader(
  engine: EngineState,
  leaderElection: LeaderElectionOptions,
  signal: AbortSignal,
): Promise<void> {
  const { options, metrics } = engine;
  const terms: Promise<void>[] = [];
  const elector = createLeaderElector(leaderElection, {
    api: options.apis?.leases ?? createLeaseApi(options.kube),
    log: engine.log,
    onStartedLeading: (termSignal, leaseLost) => {
      engine.leading = true;
      metrics.leader.set(1);
      // A term starts only once the previous one has wound down: two terms never run
      // at once in one process.
      const previous = terms.at(-1) ?? Promise.resolve();
      const term = previous.then(
        () => runEngineTerm(engine, termSignal, leaseLost),
        () => runEngineTerm(engine, termSignal, leaseLost),
      );
      terms.push(term);
      // The elector keeps the lease until the term has wound down.
      return term;
    },
    onStoppedLeading: () => {
      engine.leading = false;
      metrics.leader.set(0);
    },
  });
  await elector.run(signal);
  await Promise.all(terms);
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

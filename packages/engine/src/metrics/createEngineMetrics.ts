// SPDX-License-Identifier: Apache-2.0
// Prometheus metrics of the engine, in a registry the operator serves (`registry.metrics()`).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The engine's metrics. */
export interface EngineMetrics {
  /** The registry holding them (the operator's, or a new one). */
  registry: Registry;
  /** Experiments by kind and summary phase (set on scrape from the informers). */
  experiments: Gauge<'kind' | 'phase'>;
  /** Apply/recover calls by kind, operation and result (`success`, `error`, `gone`). */
  recordOperations: Counter<'kind' | 'operation' | 'result'>;
  /** Apply/recover durations by kind and operation. */
  recordOperationSeconds: Histogram<'kind' | 'operation'>;
  /** Keys waiting in each kind's work queue. */
  queueDepth: Gauge<'kind'>;
  /** Reconciles that ended in an error, by kind. */
  reconcileErrors: Counter<'kind'>;
  /** Reconcile durations by kind. */
  reconcileSeconds: Histogram<'kind'>;
  /** Status and finalizer writes by kind and outcome (`ok`, `conflict`, `error`). */
  writes: Counter<'kind' | 'target' | 'outcome'>;
  /** Kubernetes Events by reason and outcome (`sent`, `dropped`, `failed`). */
  events: Counter<'reason' | 'outcome'>;
  /** Watch restarts by kind and cause. */
  watchRestarts: Counter<'kind' | 'cause'>;
  /** 1 while this instance holds the leader lease. */
  leader: Gauge;
}

/**
 * Creates the engine's metrics in `registry` (a new one by default). `experiments` lists the
 * (kind, phase) of every known object; it is called on each scrape.
 */
export function createEngineMetrics(
  registry: Registry = new Registry(),
  experiments: () => Iterable<{ kind: string; phase: string }> = () => [],
): EngineMetrics {
  const registers = [registry];
  return {
    registry,
    experiments: new Gauge({
      name: 'chaosplane_experiments',
      help: 'Chaos objects by kind and phase',
      labelNames: ['kind', 'phase'],
      registers,
      collect() {
        this.reset();
        for (const labels of experiments()) this.inc(labels);
      },
    }),
    recordOperations: new Counter({
      name: 'chaosplane_record_operations_total',
      help: 'Apply and recover calls by kind, operation and result',
      labelNames: ['kind', 'operation', 'result'],
      registers,
    }),
    recordOperationSeconds: new Histogram({
      name: 'chaosplane_record_operation_duration_seconds',
      help: 'Duration of apply and recover calls',
      labelNames: ['kind', 'operation'],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2, 10, 60],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'chaosplane_workqueue_depth',
      help: 'Keys waiting in the work queue of each kind',
      labelNames: ['kind'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'chaosplane_reconcile_errors_total',
      help: 'Reconciles that ended in an error',
      labelNames: ['kind'],
      registers,
    }),
    reconcileSeconds: new Histogram({
      name: 'chaosplane_reconcile_duration_seconds',
      help: 'Duration of one pipeline run',
      labelNames: ['kind'],
      buckets: [0.001, 0.01, 0.05, 0.25, 1, 5, 30],
      registers,
    }),
    writes: new Counter({
      name: 'chaosplane_writes_total',
      help: 'Writes of chaos objects by kind, target (object/status) and outcome',
      labelNames: ['kind', 'target', 'outcome'],
      registers,
    }),
    events: new Counter({
      name: 'chaosplane_events_total',
      help: 'Kubernetes Events by reason and outcome (sent, dropped by the rate limit, failed)',
      labelNames: ['reason', 'outcome'],
      registers,
    }),
    watchRestarts: new Counter({
      name: 'chaosplane_watch_restarts_total',
      help: 'Watch restarts by kind and cause (error, gone, silent, closed)',
      labelNames: ['kind', 'cause'],
      registers,
    }),
    leader: new Gauge({
      name: 'chaosplane_leader',
      help: '1 while this instance holds the leader lease',
      registers,
    }),
  };
}

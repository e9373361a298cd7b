// SPDX-License-Identifier: Apache-2.0
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The daemon's Prometheus metrics, on their own registry. */
export interface DaemonMetrics {
  registry: Registry;
  requests: Counter<'method' | 'code'>;
  handlingSeconds: Histogram<'method' | 'code'>;
  trackedEntries: Gauge<'type'>;
}

/** Creates the registry with default process metrics plus gRPC and tracking metrics. */
export function createDaemonMetrics(
  countTracked: () => { process: number; change: number; contribution: number },
): DaemonMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'chaosplane_daemon_' });
  return {
    registry,
    requests: new Counter({
      name: 'chaosplane_daemon_grpc_requests_total',
      help: 'gRPC calls handled, by method and status code',
      labelNames: ['method', 'code'],
      registers: [registry],
    }),
    handlingSeconds: new Histogram({
      name: 'chaosplane_daemon_grpc_handling_seconds',
      help: 'Time to handle a gRPC call',
      labelNames: ['method', 'code'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    trackedEntries: new Gauge({
      name: 'chaosplane_daemon_tracked_entries',
      help: 'Processes, injected changes and shared-state contributions the daemon tracks',
      labelNames: ['type'],
      registers: [registry],
      collect() {
        const counts = countTracked();
        this.set({ type: 'process' }, counts.process);
        this.set({ type: 'change' }, counts.change);
        this.set({ type: 'contribution' }, counts.contribution);
      },
    }),
  };
}

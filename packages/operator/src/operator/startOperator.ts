// SPDX-License-Identifier: Apache-2.0
// Wires the operator: kubeconfig, plugins (the DI "impl" group), the selection cache and
// selectors, the daemon client pool, the engine (with leader election), and the HTTP server.
import { Registry } from 'prom-client';
import { createDaemonClientPool } from '@chaosplane/daemon/client';
import { daemonSource } from './daemonSource.js';
import { createEngineFromContainer, type EngineOptions } from '@chaosplane/engine';
import { createOrchestration } from '@chaosplane/orchestration';
import { createKubeConnection, loadKubeConfig, type KubeConnection } from '@chaosplane/kube';
import type { Logger } from '@chaosplane/sdk';
import { DAEMON_CONNECTOR } from '@chaosplane/sdk/framework';
import { createSelectionCache } from '@chaosplane/selectors';
import { loadPlugins, parseHostPort, startHealthServer, type HealthServer } from '@chaosplane/service';
import type { OperatorOptions } from './OperatorOptions.js';
import { checkCrds } from './checkCrds.js';
import { installCrds } from './installCrds.js';
import { createOperatorContainer } from './selectionWiring.js';

/** A running operator. */
export interface RunningOperator {
  /** Where /metrics, /healthz and /readyz are served, if anywhere. */
  httpAddress: string | undefined;
  /** The kinds this operator reconciles. */
  kinds: string[];
  /** True once caches are synced and this instance reconciles (or waits as a follower). */
  ready(): boolean;
  /** True while this instance holds the leader Lease (always, without leader election). */
  isLeader(): boolean;
  /** Resolves when the operator has stopped: in-flight records finished and were written. */
  done: Promise<void>;
}

/** The engine's settings from the operator's: its tunables, namespace scope and leader election. */
function engineOptions(
  options: OperatorOptions,
  kube: KubeConnection,
  registry: Registry,
): Omit<EngineOptions, 'registrations' | 'selectors' | 'daemons'> {
  return {
    kube,
    metricsRegistry: registry,
    workersPerKind: options.engine.workersPerKind,
    recordParallelism: options.engine.recordParallelism,
    shutdownGraceMs: options.engine.shutdownGraceMs,
    // Daemons found through their Service: a node's daemon replaced by another pod (which starts
    // with none of the faults its predecessor recovered on SIGTERM) gets its records re-applied.
    ...(options.daemon.discovery.kind === 'service'
      ? {
          daemonEndpoints: {
            namespace: options.daemon.discovery.namespace,
            ...(options.daemon.discovery.serviceName !== undefined
              ? { serviceName: options.daemon.discovery.serviceName }
              : {}),
          },
        }
      : {}),
    // Namespace-scoped mode: chaos objects are watched in the target namespace only, as its RBAC allows.
    ...(options.selection.targetNamespace !== undefined
      ? { namespace: options.selection.targetNamespace }
      : {}),
    ...(options.leaderElection
      ? {
          leaderElection: {
            namespace: options.namespace,
            name: options.leaderElection.leaseName,
            ...(options.leaderElection.identity !== undefined
              ? { identity: options.leaderElection.identity }
              : {}),
            leaseDurationMs: options.leaderElection.leaseDurationMs,
            renewDeadlineMs: options.leaderElection.renewDeadlineMs,
            retryPeriodMs: options.leaderElection.retryPeriodMs,
          },
        }
      : {}),
  };
}

/**
 * Starts the operator and runs it until `signal` aborts; then it stops gracefully (in-flight
 * records finish and their status is written) and `done` resolves.
 */
export async function startOperator(
  options: OperatorOptions,
  log: Logger,
  signal: AbortSignal,
): Promise<RunningOperator> {
  // One connection to the API server for everything: the engine, the cache, plugins, the pool.
  const kube = createKubeConnection(loadKubeConfig(options.kubeconfig), { maxSockets: 32 });
  const plugins = await loadPlugins(
    options.plugins,
    options.pluginsFrom === undefined ? {} : { from: options.pluginsFrom },
  );
  const kinds = plugins.map(p => p.kind);
  log.info('plugins loaded', { kinds: kinds.map(k => `${k.kind}.${k.group}`), plugins: options.plugins });
  const orchestration = options.orchestration ?? true;
  if (options.installCrds) await installCrds(kube, kinds, log, orchestration);
  // Before anything is watched: a kind whose CRD cannot be run is refused, loudly, at once
  // (and with orchestration, a Schedule, Workflow, WorkflowNode or StatusCheck CRD likewise).
  await checkCrds(kube, kinds, { orchestration }).catch((error: unknown) => {
    kube.close();
    throw error;
  });

  const cache = createSelectionCache(kube, {
    signal,
    logger: log,
    ...(options.selection.targetNamespace !== undefined
      ? { namespace: options.selection.targetNamespace }
      : {}),
  });
  const pool = createDaemonClientPool({
    source: daemonSource(options, kube),
    port: options.daemon.port,
    tls: options.daemon.tls,
    callTimeoutMs: options.daemon.callTimeoutMs,
  });
  const container = await createOperatorContainer({ config: options, kube, log, source: cache, plugins });
  container.bind(DAEMON_CONNECTOR).toConstantValue(pool);

  const registry = new Registry();
  const engine = createEngineFromContainer(container, {
    ...engineOptions(options, kube, registry),
    // Schedule, Workflow and StatusCheck: controllers over the chaos kinds, in the engine's terms.
    ...(orchestration ? { extensions: [createOrchestration()] } : {}),
  });

  let cacheSynced = false;
  let http: HealthServer | undefined;
  try {
    if (options.httpAddress !== undefined) {
      http = await startHealthServer(parseHostPort(options.httpAddress, 'http-addr'), {
        metrics: registry,
        notReady: () => (cacheSynced ? [] : ['the selection cache has not synced yet']),
      });
      log.info('serving /metrics, /healthz and /readyz', { address: http.address });
    }
    await cache.start();
    cacheSynced = true;
  } catch (error) {
    await cache.stop();
    await http?.close();
    pool.close();
    kube.close();
    throw error;
  }
  log.info('operator started', {
    namespace: options.namespace,
    leaderElection: options.leaderElection !== undefined,
  });

  const done = engine.run(signal).finally(async () => {
    await cache.stop();
    pool.close();
    await http?.close();
    kube.close();
    log.info('operator stopped');
  });
  return {
    httpAddress: http?.address,
    kinds: kinds.map(k => k.kind),
    ready: () => cacheSynced,
    isLeader: () => engine.isLeader(),
    done,
  };
}

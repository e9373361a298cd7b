// SPDX-License-Identifier: Apache-2.0
// Wires the operator: kubeconfig, plugins (the DI "impl" group), the selection cache and
// selectors, the daemon client pool, the engine (with leader election), and the HTTP server.
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import {
  ChaosplaneError,
  DAEMON_CLIENT_POOL,
  createDaemonClientPool,
  createEngineFromContainer,
  loadPlugins,
  type DaemonAddressSource,
  type Logger,
} from '@chaosplane/core';
import { createSelectionCache } from '@chaosplane/selectors';
import { installCrds } from './installCrds.js';
import { createOperatorContainer } from './selectionWiring.js';
import type { OperatorOptions } from './OperatorOptions.js';
import { startHttpServer, type HttpServerHandle } from './startHttpServer.js';

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

/** Loads a kubeconfig from a path, or by the default rules (KUBECONFIG, in-cluster, ~/.kube/config). */
export function loadKubeConfig(path?: string): KubeConfig {
  const kube = new KubeConfig();
  try {
    if (path !== undefined) kube.loadFromFile(path);
    else kube.loadFromDefault();
  } catch (error) {
    throw new ChaosplaneError(
      'invalid',
      `cannot load kubeconfig ${path ?? '(default rules)'}: ${(error as Error).message}`,
      {
        field: 'kubeconfig',
        cause: error,
      },
    );
  }
  if (kube.getCurrentCluster() === null) {
    throw new ChaosplaneError('invalid', `kubeconfig ${path ?? '(default rules)'} has no current cluster`, {
      field: 'kubeconfig',
    });
  }
  return kube;
}

function daemonSource(options: OperatorOptions, kube: KubeConfig): DaemonAddressSource {
  const discovery = options.daemon.discovery;
  if (discovery.kind === 'fixed') return { resolve: () => Promise.resolve(discovery.host) };
  return { kubeConfig: kube, namespace: discovery.namespace, serviceName: discovery.serviceName };
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
  const kube = loadKubeConfig(options.kubeconfig);
  const plugins = await loadPlugins(
    options.plugins,
    options.pluginsFrom === undefined ? {} : { from: options.pluginsFrom },
  );
  const kinds = plugins.map(p => p.kind);
  log.info('plugins loaded', { kinds: kinds.map(k => `${k.kind}.${k.group}`), plugins: options.plugins });
  if (options.installCrds) await installCrds(kube, kinds, log);

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
  container.bind(DAEMON_CLIENT_POOL).toConstantValue(pool);

  const registry = new Registry();
  const engine = createEngineFromContainer(container, {
    metricsRegistry: registry,
    workersPerKind: options.engine.workersPerKind,
    recordParallelism: options.engine.recordParallelism,
    shutdownGraceMs: options.engine.shutdownGraceMs,
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
  });

  let cacheSynced = false;
  let http: HttpServerHandle | undefined;
  try {
    if (options.httpAddress !== undefined) {
      http = await startHttpServer(options.httpAddress, { registry, ready: () => cacheSynced });
      log.info('serving /metrics, /healthz and /readyz', { address: http.address });
    }
    await cache.start();
    cacheSynced = true;
  } catch (error) {
    await cache.stop();
    await http?.close();
    pool.close();
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

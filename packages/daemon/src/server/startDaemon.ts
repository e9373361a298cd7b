// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import { createSilentLogger, startHealthServer, type HealthServer } from '@chaosplane/service';
import { ServerCredentials } from '@grpc/grpc-js';
import { createServer, type Server } from 'nice-grpc';
import { ChaosDaemonDefinition } from '../gen/chaosplane/daemon/v1/daemon.js';
import { createJournal, type Journal } from '../journal/createJournal.js';
import { createDaemonToolkit } from '../plugin/createDaemonToolkit.js';
import type { DaemonHandlerRegistration } from '../plugin/defineDaemonHandler.js';
import { gateOnCapabilities } from '../plugin/gateOnCapabilities.js';
import { effectiveCapabilities, type LinuxCapability } from '../process/capabilities.js';
import { RUN_OWNER_ENV, runOwnerOf } from '../process/managerContext.js';
import { createCgroupView, type CgroupView } from '../cgroup/cgroupView.js';
import {
  createProcessManager,
  type JournalRecoveryReport,
  type ProcessManager,
} from '../process/createProcessManager.js';
import type { ContainerRuntimeClient } from '../runtime/ContainerRuntime.js';
import { createContainerdClient } from '../runtime/createContainerdClient.js';
import { createCrioClient } from '../runtime/createCrioClient.js';
import { createDockerClient } from '../runtime/createDockerClient.js';
import { createRuntimeResolver, type RuntimeResolver } from '../runtime/createRuntimeResolver.js';
import { peerIdentityInterceptor } from './callMetadata.js';
import { createCoreService } from './createCoreService.js';
import { createDaemonMetrics, type DaemonMetrics } from './daemonMetrics.js';
import { createDaemonMiddleware } from './daemonMiddleware.js';
import { createMtlsServerCredentials, type DaemonTlsPems } from './tlsCredentials.js';

/** Which runtimes the daemon talks to, and where their sockets are. */
export interface DaemonRuntimeOptions {
  containerd?: { socketPath: string; namespace?: string };
  docker?: { socketPath: string };
  crio?: { socketPath: string };
}

/** Options of {@link startDaemon}. */
export interface DaemonOptions {
  /** gRPC listen host; 0.0.0.0 by default (127.0.0.1 in tests). */
  grpcHost?: string;
  /** gRPC port; 31767 by default, 0 for an ephemeral port. */
  grpcPort?: number;
  /** Health and metrics HTTP port; none when undefined, 0 for an ephemeral port. */
  httpPort?: number;
  httpHost?: string;
  /** mTLS material, or `'insecure'` for local development only. */
  tls: DaemonTlsPems | 'insecure';
  /** Directory of the journal and process logs. */
  stateDir: string;
  runtimes: DaemonRuntimeOptions;
  /** Plugin handlers to serve next to the core service. */
  plugins?: DaemonHandlerRegistration[];
  logger?: Logger;
  nsenterPath?: string;
  /**
   * A process whose cgroup namespace is the node's: PID 1 by default (the DaemonSet runs with
   * hostPID). A daemon in a cgroup namespace of its own reads and joins containers' cgroups from
   * that one (see docs/stresschaos.md); tests give a process of their own.
   */
  nodePid?: number;
  /** Server-side cap on any call; 5 minutes by default. */
  maxCallMs?: number;
  /** Recover everything tracked on close(); true by default (a crash leaves it to the journal). */
  recoverOnClose?: boolean;
  /**
   * Client certificate common names allowed to call; any certificate signed by the CA when
   * undefined. Ignored with `tls: 'insecure'` (there is no identity to check).
   */
  allowedClients?: string[];
  /** Grace for in-flight calls on close() before they are cut; 10 s by default. */
  shutdownGraceMs?: number;
}

/** A running daemon. */
export interface RunningDaemon {
  grpcPort: number;
  httpPort: number | undefined;
  runtimes: RuntimeResolver;
  processManager: ProcessManager;
  journal: Journal;
  /** What the journal replay at start did with a predecessor's entries. */
  recovery: JournalRecoveryReport;
  /** Graceful shutdown: stop accepting calls, finish in-flight ones, recover, release everything. */
  close(): Promise<void>;
}

/** One resolver over a client of every runtime configured. */
function createRuntimes(options: DaemonRuntimeOptions, stateDir: string): RuntimeResolver {
  const clients: ContainerRuntimeClient[] = [];
  if (options.containerd) clients.push(createContainerdClient(options.containerd));
  if (options.docker) clients.push(createDockerClient(options.docker));
  if (options.crio) clients.push(createCrioClient(options.crio));
  // Execs carry the run-owner marker as nsenter'd commands do: a restarted daemon kills what its
  // crashed predecessor left running in a container (an apply cut off must not outlive its undo).
  return createRuntimeResolver(clients, { execEnv: { [RUN_OWNER_ENV]: runOwnerOf(stateDir) } });
}

/** What the daemon's services act on. */
interface DaemonParts {
  logger: Logger;
  runtimes: RuntimeResolver;
  processManager: ProcessManager;
  journal: Journal;
  metrics: DaemonMetrics;
  /** This process's effective capabilities, which the plugins' declared ones are checked against. */
  capabilities: ReadonlySet<LinuxCapability>;
  /** Where containers' cgroups are read and joined from. */
  cgroups: CgroupView;
}

/** The daemon's metrics, with gauges of the entries the process manager tracks by type. */
function metricsOf(processManager: ProcessManager): DaemonMetrics {
  return createDaemonMetrics(() => {
    const list = processManager.list();
    return {
      process: list.filter(e => e.type === 'process').length,
      change: list.filter(e => e.type === 'change').length,
      contribution: list.filter(e => e.type === 'contribution').length,
    };
  });
}

/**
 * The gRPC server with the core service and every plugin's behind the daemon's middleware, and
 * the names of the services it serves; `plugin` when two plugins serve the same service.
 */
function createDaemonServer(
  options: DaemonOptions,
  parts: DaemonParts,
): { server: Server; serviceNames: string[] } {
  const { logger, runtimes, processManager, journal, cgroups } = parts;
  const server = createServer({ interceptors: [peerIdentityInterceptor] }).use(
    createDaemonMiddleware({
      logger,
      metrics: parts.metrics,
      maxCallMs: options.maxCallMs ?? 300_000,
      ...(options.allowedClients !== undefined && options.tls !== 'insecure'
        ? { allowedClients: options.allowedClients }
        : {}),
    }),
  );
  const serviceNames: string[] = [ChaosDaemonDefinition.fullName];
  server.add(
    ChaosDaemonDefinition,
    createCoreService({ runtimes, processManager, journal, services: () => [...serviceNames] }),
  );
  for (const plugin of options.plugins ?? []) {
    const fullName = (plugin.service as { fullName?: string }).fullName ?? 'unknown';
    if (serviceNames.includes(fullName)) {
      throw new ChaosplaneError('plugin', `two plugins serve ${fullName}`, { field: 'plugins' });
    }
    const log = logger.child({ plugin: fullName });
    const toolkit = createDaemonToolkit({ processManager, runtimes, log, cgroups, service: fullName });
    const implementation = gateOnCapabilities(plugin, plugin.handler(toolkit), parts.capabilities, log);
    server.add(plugin.service, implementation as Parameters<typeof server.add>[1]);
    serviceNames.push(fullName);
  }
  return { server, serviceNames };
}

/** Listens with mTLS (or, loudly, without); resolves with the host it listens on and its port. */
async function listenGrpc(
  server: Server,
  options: DaemonOptions,
  logger: Logger,
): Promise<{ listenHost: string; grpcPort: number }> {
  if (options.tls === 'insecure') {
    logger.warn(
      '!!! INSECURE MODE: the chaos daemon accepts gRPC calls WITHOUT TLS or client authentication. ' +
        'Anyone who can reach this port can run commands in containers on this node. Local development only. !!!',
    );
  }
  const credentials =
    options.tls === 'insecure'
      ? ServerCredentials.createInsecure()
      : createMtlsServerCredentials(options.tls);
  const grpcHost = options.grpcHost ?? '0.0.0.0';
  // An IPv6 address needs brackets in a gRPC address ([::1]:31767).
  const listenHost = grpcHost.includes(':') && !grpcHost.startsWith('[') ? `[${grpcHost}]` : grpcHost;
  const grpcPort = await server.listen(`${listenHost}:${options.grpcPort ?? 31767}`, credentials);
  return { listenHost, grpcPort };
}

/** The health and metrics HTTP server, when `httpPort` is set; live while `serving()`. */
async function startDaemonHealth(
  options: DaemonOptions,
  parts: DaemonParts,
  serving: () => boolean,
): Promise<HealthServer | undefined> {
  if (options.httpPort === undefined) return undefined;
  return startHealthServer(
    { host: options.httpHost ?? '0.0.0.0', port: options.httpPort },
    {
      metrics: parts.metrics.registry,
      live: serving,
      // Readiness also needs every runtime.
      async notReady() {
        if (!serving()) return ['shutting down'];
        const results = await parts.runtimes.health();
        return results.filter(r => !r.reachable).map(r => `runtime ${r.runtime} unreachable: ${r.error}`);
      },
    },
  );
}

/**
 * Graceful shutdown: finishes in-flight calls (cut after the grace), recovers what is tracked,
 * then releases the journal, the runtimes and the health server.
 */
async function shutDown(
  options: DaemonOptions,
  parts: DaemonParts,
  server: Server,
  health: HealthServer | undefined,
): Promise<void> {
  const { processManager, journal, runtimes, logger } = parts;
  const grace = setTimeout(() => server.forceShutdown(), options.shutdownGraceMs ?? 10_000);
  await server.shutdown();
  clearTimeout(grace);
  // A failed recovery is reported after everything else is released, never instead of it.
  let recoveryError: Error | undefined;
  await processManager.close({ recover: options.recoverOnClose ?? true }).catch((error: unknown) => {
    recoveryError = error instanceof Error ? error : new Error(String(error));
  });
  journal.close();
  runtimes.close();
  await health?.close();
  if (recoveryError !== undefined) throw recoveryError;
  logger.info('chaos daemon stopped');
}

/**
 * Starts the chaos daemon: replays the journal (cleaning up or adopting what a previous daemon
 * left), then serves the core service and every plugin service on one nice-grpc server, and
 * health + metrics over HTTP.
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const logger = options.logger ?? createSilentLogger();
  const runtimes = createRuntimes(options.runtimes, options.stateDir);
  const journal = createJournal(options.stateDir);
  // Until the daemon serves, a failure must release the journal (and its lock on the state dir).
  let started = false;
  let stopProcessManager: (() => Promise<void>) | undefined;
  try {
    const processManager = createProcessManager({
      journal,
      stateDir: options.stateDir,
      logger,
      exec: (containerId, execOptions) => runtimes.exec(containerId, execOptions),
      ...(options.nsenterPath ? { nsenterPath: options.nsenterPath } : {}),
    });
    stopProcessManager = () => processManager.close();
    const parts: DaemonParts = {
      logger,
      runtimes,
      processManager,
      journal,
      metrics: metricsOf(processManager),
      capabilities: effectiveCapabilities(),
      cgroups: createCgroupView(options.nodePid ?? 1, options.nsenterPath ?? 'nsenter'),
    };
    if (parts.cgroups.namespace !== undefined)
      logger.info(
        "in a cgroup namespace of its own: containers' cgroups are read and joined from the node's",
        {
          namespace: parts.cgroups.namespace,
        },
      );
    // The plugins' handler factories run first: the shared states they register are rendered
    // again by the journal's replay. Nothing is served before the replay has finished.
    const { server, serviceNames } = createDaemonServer(options, parts);
    const recovery = await processManager.recoverFromJournal();
    const { listenHost, grpcPort } = await listenGrpc(server, options, logger);
    let serving = true;
    const health = await startDaemonHealth(options, parts, () => serving);
    const httpPort = health?.port;
    logger.info('chaos daemon serving', {
      grpc: `${listenHost}:${grpcPort}`,
      http: httpPort,
      runtimes: runtimes.runtimes,
      services: serviceNames,
      tls: options.tls === 'insecure' ? 'insecure' : 'mTLS (TLS 1.3)',
    });

    let closing: Promise<void> | undefined;
    started = true;
    return {
      grpcPort,
      httpPort,
      runtimes,
      processManager,
      journal,
      recovery,
      close() {
        closing ??= (async () => {
          serving = false;
          await shutDown(options, parts, server, health);
        })();
        return closing;
      },
    };
  } finally {
    if (!started) {
      // Its timers must not outlive a failed start, nor write to the closed journal.
      await stopProcessManager?.();
      journal.close();
    }
  }
}

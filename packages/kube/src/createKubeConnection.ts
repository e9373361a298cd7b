// SPDX-License-Identifier: Apache-2.0
// Chaosplane's one HTTPS client for the Kubernetes API. Everything needs only JSON requests
// and newline-delimited watch streams, with an AbortSignal on each, keep-alive connections and
// exact status codes (409, 410); client-node 1.4's Watch has no client-side timeout and its
// informer does not restart after errors, so Chaosplane talks HTTPS itself and takes only the
// TLS material and credentials from client-node's KubeConfig.
import type { KubeConfig } from '@kubernetes/client-node';
import { ChaosplaneError, type KubeClient } from '@chaosplane/sdk';
import { openWatch } from './openWatch.js';
import type { ConnectionState } from './prepareRequest.js';
import { sendRequest } from './sendRequest.js';

/** One event of a watch stream. */
export interface WatchEvent<T = unknown> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/**
 * A pooled HTTPS connection to one API server: the plugins' {@link KubeClient} (requests,
 * non-2xx answers rejecting with {@link kubeApiError}) plus watch streams.
 */
export interface KubeConnection extends KubeClient {
  /**
   * Opens a watch and calls `onEvent` per line. Resolves when the server ends the stream;
   * rejects on a transport error, a non-2xx answer or when `signal` aborts.
   */
  watch<T = unknown>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void>;
  /** Closes pooled connections. */
  close(): void;
}

/** Options of {@link createKubeConnection}. */
export interface KubeConnectionOptions {
  /** Most concurrent connections to the API server (default 32). */
  maxSockets?: number;
  /** Default per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** Creates a {@link KubeConnection} for the current context of `kubeConfig`. */
export function createKubeConnection(
  kubeConfig: KubeConfig,
  options: KubeConnectionOptions = {},
): KubeConnection {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster)
    throw new ChaosplaneError('invalid', 'the kubeconfig has no current cluster', { field: 'kubeconfig' });
  const server = new URL(cluster.server);
  if (server.protocol !== 'https:') {
    throw new ChaosplaneError('invalid', `the API server must be https:// (got ${cluster.server})`, {
      field: 'kubeconfig.clusters[].cluster.server',
    });
  }
  const connection: ConnectionState = {
    kubeConfig,
    server,
    basePath: server.pathname.replace(/\/$/, ''),
    maxSockets: options.maxSockets ?? 32,
    defaultTimeout: options.timeoutMs ?? 30_000,
  };
  return {
    request: (method, path, req) => sendRequest(connection, method, path, req),
    watch: (path, query, onEvent, signal) => openWatch(connection, path, query, onEvent, signal),
    close() {
      connection.agent?.destroy();
      connection.watchAgent?.destroy();
    },
  };
}

// SPDX-License-Identifier: Apache-2.0
// Chaosplane's one HTTPS client for the Kubernetes API. Everything needs only JSON requests
// and newline-delimited watch streams, with an AbortSignal on each, keep-alive connections and
// exact status codes (409, 410); client-node 1.4's Watch has no client-side timeout and its
// informer does not restart after errors, so Chaosplane talks HTTPS itself and takes only the
// TLS material and credentials from client-node's KubeConfig.
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ChaosplaneError, type KubeClient, type KubeRequestOptions } from '@chaosplane/sdk';
import { kubeApiError } from './kubeErrors.js';

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

function queryString(query: KubeRequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
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
  const basePath = server.pathname.replace(/\/$/, '');
  let agent: https.Agent | undefined;
  let watchAgent: https.Agent | undefined;
  const defaultTimeout = options.timeoutMs ?? 30_000;

  // Credentials can rotate (exec plugins, token files), so they are applied per request; TLS
  // material is fixed for the pooled agent.
  const prepare = async (method: string, path: string, headers: Record<string, string>) => {
    const requestOptions: https.RequestOptions = { method, headers: { ...headers } };
    await kubeConfig.applyToHTTPSOptions(requestOptions);
    agent ??= new https.Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 32,
      ca: requestOptions.ca,
      cert: requestOptions.cert,
      key: requestOptions.key,
      rejectUnauthorized: requestOptions.rejectUnauthorized,
      servername: requestOptions.servername,
    });
    return {
      protocol: 'https:',
      hostname: server.hostname,
      port: server.port || 443,
      path: basePath + path,
      method,
      headers: requestOptions.headers,
      auth: requestOptions.auth,
      agent,
    } satisfies https.RequestOptions;
  };

  const request = async <T>(method: string, path: string, req: KubeRequestOptions = {}): Promise<T> => {
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (payload) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const fullPath = path + queryString(req.query);
    const httpOptions = await prepare(method, fullPath, headers);
    return new Promise<T>((resolve, reject) => {
      if (req.signal?.aborted) {
        reject(new ChaosplaneError('aborted', `${method} ${path} aborted`));
        return;
      }
      const call = https.request({
        ...httpOptions,
        signal: req.signal,
        timeout: req.timeoutMs ?? defaultTimeout,
      });
      call.on('timeout', () => call.destroy(new ChaosplaneError('internal', `${method} ${path} timed out`)));
      call.on('error', error => {
        reject(
          req.signal?.aborted
            ? new ChaosplaneError('aborted', `${method} ${path} aborted`, { cause: error })
            : ChaosplaneError.is(error)
              ? error
              : new ChaosplaneError('internal', `${method} ${path}: ${error.message}`, { cause: error }),
        );
      });
      call.on('response', response => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', error =>
          reject(new ChaosplaneError('internal', error.message, { cause: error })),
        );
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          let body: unknown = undefined;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = text;
          }
          if (status >= 200 && status < 300) resolve(body as T);
          else reject(kubeApiError(method, path, status, body));
        });
      });
      call.end(payload);
    });
  };

  const watch = async <T>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> => {
    const fullPath = path + queryString({ ...query, watch: true });
    const httpOptions = await prepare('GET', fullPath, { Accept: 'application/json' });
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(new ChaosplaneError('aborted', `watch ${path} aborted`));
        return;
      }
      // Watches get their own agent: a long-lived stream must not hold a socket of the request
      // pool. (Not `agent: false`: that sends `Connection: close`, and some servers end a
      // streaming answer early on a closing connection.)
      watchAgent ??= new https.Agent({ ...tlsOf(httpOptions.agent), keepAlive: true });
      const call = https.request({ ...httpOptions, agent: watchAgent, signal });
      call.on('error', error =>
        reject(
          signal.aborted
            ? new ChaosplaneError('aborted', `watch ${path} aborted`, { cause: error })
            : new ChaosplaneError('internal', `watch ${path}: ${error.message}`, { cause: error }),
        ),
      );
      call.on('response', response => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            let body: unknown;
            try {
              body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              body = undefined;
            }
            reject(kubeApiError('GET', path, status, body));
          });
          return;
        }
        // Big objects arrive in many chunks: keep the pieces of the current line and search
        // only each new chunk for the newline (re-scanning a growing buffer is quadratic).
        const pieces: string[] = [];
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          let rest = chunk;
          let newline = rest.indexOf('\n');
          while (newline >= 0) {
            pieces.push(rest.slice(0, newline));
            rest = rest.slice(newline + 1);
            const line = pieces.join('').trim();
            pieces.length = 0;
            if (line) {
              try {
                onEvent(JSON.parse(line) as WatchEvent<T>);
              } catch (error) {
                call.destroy(error instanceof Error ? error : new Error(String(error)));
                return;
              }
            }
            newline = rest.indexOf('\n');
          }
          if (rest) pieces.push(rest);
        });
        response.on('error', error =>
          reject(
            signal.aborted
              ? new ChaosplaneError('aborted', `watch ${path} aborted`, { cause: error })
              : new ChaosplaneError('internal', `watch ${path}: ${error.message}`, { cause: error }),
          ),
        );
        response.on('end', () => resolve());
        response.on('close', () =>
          signal.aborted ? reject(new ChaosplaneError('aborted', 'watch aborted')) : resolve(),
        );
      });
      call.end();
    });
  };

  return {
    request,
    watch,
    close() {
      agent?.destroy();
      watchAgent?.destroy();
    },
  };
}

function tlsOf(agent: https.Agent | undefined): https.AgentOptions {
  const tls = (agent?.options ?? {}) as https.AgentOptions;
  return {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    rejectUnauthorized: tls.rejectUnauthorized,
    servername: tls.servername,
  };
}

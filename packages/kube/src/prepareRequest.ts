// SPDX-License-Identifier: Apache-2.0
// What every request of a KubeConnection shares: the API server's address, the pooled agents,
// and the credentials applied to each request.
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeRequestOptions } from '@chaosplane/sdk';

/** One connection's API server and agents (created on first use, destroyed on close). */
export interface ConnectionState {
  kubeConfig: KubeConfig;
  server: URL;
  /** The server URL's path, without a trailing slash: every request path goes below it. */
  basePath: string;
  /** Most concurrent connections of the request pool. */
  maxSockets: number;
  /** Per-request timeout when a request names none (ms). */
  defaultTimeout: number;
  /** The request pool. */
  agent?: https.Agent;
  /** The agent of watch streams (see openWatch). */
  watchAgent?: https.Agent;
}

/** `?key=value&…` of the defined values of `query`; empty when there are none. */
export function queryString(query: KubeRequestOptions['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * The options of one request to `path` with the kubeconfig's credentials, over the pooled
 * agent (created with the kubeconfig's TLS material on first use).
 */
export async function prepareRequest(
  connection: ConnectionState,
  method: string,
  path: string,
  headers: Record<string, string>,
) {
  // Credentials can rotate (exec plugins, token files), so they are applied per request; TLS
  // material is fixed for the pooled agent.
  const requestOptions: https.RequestOptions = { method, headers: { ...headers } };
  await connection.kubeConfig.applyToHTTPSOptions(requestOptions);
  connection.agent ??= new https.Agent({
    keepAlive: true,
    maxSockets: connection.maxSockets,
    ca: requestOptions.ca,
    cert: requestOptions.cert,
    key: requestOptions.key,
    rejectUnauthorized: requestOptions.rejectUnauthorized,
    servername: requestOptions.servername,
  });
  return {
    protocol: 'https:',
    hostname: connection.server.hostname,
    port: connection.server.port || 443,
    path: connection.basePath + path,
    method,
    headers: requestOptions.headers,
    auth: requestOptions.auth,
    agent: connection.agent,
  } satisfies https.RequestOptions;
}

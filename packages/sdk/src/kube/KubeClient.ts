// SPDX-License-Identifier: Apache-2.0

/** Options of one Kubernetes API request. */
export interface KubeRequestOptions {
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** The body, sent as JSON. */
  body?: unknown;
  /** Content type of the body: `application/json` by default; patches name their type. */
  contentType?: string;
  /** Cancels the request. */
  signal?: AbortSignal;
  /** Gives up after this many milliseconds (30 s by default). */
  timeoutMs?: number;
}

/**
 * The operator's connection to the Kubernetes API server, as plugins use it: JSON requests by
 * path (`/api/v1/namespaces/ns/pods/name`). A non-2xx answer rejects with a `ChaosplaneError`:
 * 404 is `not-found`, 409 `conflict`, others `internal`, each with the server's message.
 */
export interface KubeClient {
  /** Sends one request and resolves with the parsed JSON answer. */
  request<T = unknown>(method: string, path: string, options?: KubeRequestOptions): Promise<T>;
}

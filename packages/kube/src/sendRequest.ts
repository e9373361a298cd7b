// SPDX-License-Identifier: Apache-2.0
// One JSON request to the API server: a 2xx answer resolves to its parsed body, any other
// rejects with kubeApiError (the exact status code kept).
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { ChaosplaneError, type KubeRequestOptions } from '@chaosplane/sdk';
import { kubeApiError } from './kubeErrors.js';
import { prepareRequest, queryString, type ConnectionState } from './prepareRequest.js';

/** One request over `connection`; resolves to the parsed body of a 2xx answer. */
export async function sendRequest<T>(
  connection: ConnectionState,
  method: string,
  path: string,
  req: KubeRequestOptions = {},
): Promise<T> {
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (payload) {
    headers['Content-Type'] = req.contentType ?? 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  const fullPath = path + queryString(req.query);
  const httpOptions = await prepareRequest(connection, method, fullPath, headers);
  return new Promise<T>((resolve, reject) => {
    if (req.signal?.aborted) {
      reject(new ChaosplaneError('aborted', `${method} ${path} aborted`));
      return;
    }
    const call = https.request({
      ...httpOptions,
      signal: req.signal,
      timeout: req.timeoutMs ?? connection.defaultTimeout,
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
    call.on('response', response => readAnswer(response, method, path, body => resolve(body as T), reject));
    call.end(payload);
  });
}

/**
 * Reads `response` to its end, then passes its body (JSON, else its text) to `resolve` when the
 * status is 2xx, else its {@link kubeApiError} to `reject`.
 */
function readAnswer(
  response: IncomingMessage,
  method: string,
  path: string,
  resolve: (body: unknown) => void,
  reject: (error: unknown) => void,
): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('error', error => reject(new ChaosplaneError('internal', error.message, { cause: error })));
  response.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const status = response.statusCode ?? 0;
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (status >= 200 && status < 300) resolve(body);
    else reject(kubeApiError(method, path, status, body));
  });
}

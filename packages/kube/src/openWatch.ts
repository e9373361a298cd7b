// SPDX-License-Identifier: Apache-2.0
// One watch stream: newline-delimited JSON events, each handed to the caller as it arrives.
import https from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { ChaosplaneError } from '@chaosplane/sdk';
import type { WatchEvent } from './createKubeConnection.js';
import { kubeApiError } from './kubeErrors.js';
import { prepareRequest, queryString, type ConnectionState } from './prepareRequest.js';

/** Opens a watch of `path` over `connection`; see the `watch` of a KubeConnection. */
export async function openWatch<T>(
  connection: ConnectionState,
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (event: WatchEvent<T>) => void,
  signal: AbortSignal,
): Promise<void> {
  const fullPath = path + queryString({ ...query, watch: true });
  const httpOptions = await prepareRequest(connection, 'GET', fullPath, { Accept: 'application/json' });
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(new ChaosplaneError('aborted', `watch ${path} aborted`));
      return;
    }
    // Watches get their own agent: a long-lived stream must not hold a socket of the request
    // pool. (Not `agent: false`: that sends `Connection: close`, and some servers end a
    // streaming answer early on a closing connection.)
    connection.watchAgent ??= new https.Agent({ ...tlsOf(httpOptions.agent), keepAlive: true });
    const call = https.request({ ...httpOptions, agent: connection.watchAgent, signal });
    call.on('error', error => reject(watchFailure(path, signal, error)));
    call.on('response', response => {
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        rejectWithAnswer(response, path, status, reject);
        return;
      }
      forwardEvents(response, call, onEvent);
      response.on('error', error => reject(watchFailure(path, signal, error)));
      response.on('end', () => resolve());
      response.on('close', () =>
        signal.aborted ? reject(new ChaosplaneError('aborted', 'watch aborted')) : resolve(),
      );
    });
    call.end();
  });
}

/** The error a watch of `path` fails with: aborted when `signal` stopped it, else internal. */
function watchFailure(path: string, signal: AbortSignal, error: Error): ChaosplaneError {
  return signal.aborted
    ? new ChaosplaneError('aborted', `watch ${path} aborted`, { cause: error })
    : new ChaosplaneError('internal', `watch ${path}: ${error.message}`, { cause: error });
}

/** Reads a non-2xx answer to its end and rejects with its {@link kubeApiError}. */
function rejectWithAnswer(
  response: IncomingMessage,
  path: string,
  status: number,
  reject: (error: unknown) => void,
): void {
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
}

/**
 * Calls `onEvent` with each line of `response` parsed as JSON; a line that does not parse, or
 * an `onEvent` that throws, destroys `call` with that error.
 */
function forwardEvents<T>(
  response: IncomingMessage,
  call: ClientRequest,
  onEvent: (event: WatchEvent<T>) => void,
): void {
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
}

/** The TLS options of `agent`, for an agent that talks to the same server. */
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

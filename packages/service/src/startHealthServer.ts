// SPDX-License-Identifier: Apache-2.0
// The one health and metrics HTTP server of the operator and the daemon: /healthz (the process
// serves), /readyz (the process's own readiness checks) and /metrics (Prometheus).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChaosplaneError } from '@chaosplane/sdk';

/** A Prometheus registry, as prom-client's `Registry` is. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** What the server reports on. */
export interface HealthSources {
  /** Served at /metrics. */
  metrics: MetricsSource;
  /** False while the process is shutting down: /healthz answers 503 then. */
  live?(): boolean;
  /**
   * Readiness: resolves with why the process is not ready (one line each), or an empty list
   * when it is. Served at /readyz (200 `ok`, else 503 and the reasons).
   */
  notReady(): string[] | Promise<string[]>;
}

/** A started server and its bound address. */
export interface HealthServer {
  /** `host:port` as bound (port 0 resolved). */
  address: string;
  port: number;
  close(): Promise<void>;
}

/** Parses `host:port` (port 0 picks a free one; an empty host means every address). */
export function parseHostPort(text: string, field: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new ChaosplaneError('invalid', `${field} ${JSON.stringify(text)} must be host:port`, { field });
  }
  const host = match[1] === '' ? '0.0.0.0' : match[1]!.replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

/** Serves /healthz, /readyz and /metrics on `host:port`. */
export async function startHealthServer(
  listen: { host: string; port: number },
  sources: HealthSources,
): Promise<HealthServer> {
  const text = { 'content-type': 'text/plain' };
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const fail = (error: unknown) => response.writeHead(500, text).end(`${String(error)}\n`);
    if (path === '/healthz') {
      const live = sources.live?.() ?? true;
      response.writeHead(live ? 200 : 503, text).end(live ? 'ok' : 'shutting down');
    } else if (path === '/readyz') {
      Promise.resolve(sources.notReady()).then(reasons => {
        if (reasons.length === 0) response.writeHead(200, text).end('ok');
        else response.writeHead(503, text).end(reasons.map(reason => `${reason}\n`).join(''));
      }, fail);
    } else if (path === '/metrics') {
      sources.metrics
        .metrics()
        .then(
          body => response.writeHead(200, { 'content-type': sources.metrics.contentType }).end(body),
          fail,
        );
    } else {
      response.writeHead(404, text).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    address: `${host}:${port}`,
    port,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

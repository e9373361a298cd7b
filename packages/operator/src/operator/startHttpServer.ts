// SPDX-License-Identifier: Apache-2.0
// /metrics (Prometheus), /healthz (the process serves) and /readyz (caches synced, engine up).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ChaosplaneError } from '@chaosplane/core';

/** What the health server reports on. */
export interface HealthSources {
  registry: Registry;
  ready(): boolean;
}

/** A started HTTP server and its bound address. */
export interface HttpServerHandle {
  address: string;
  close(): Promise<void>;
}

/** Parses `host:port` (port 0 picks a free one). */
export function parseHostPort(text: string, field: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new ChaosplaneError('invalid', `${field} ${JSON.stringify(text)} must be host:port`, { field });
  }
  return { host: match[1] === '' ? '0.0.0.0' : match[1], port };
}

/** Serves /metrics, /healthz and /readyz on `address`. */
export async function startHttpServer(address: string, sources: HealthSources): Promise<HttpServerHandle> {
  const { host, port } = parseHostPort(address, 'http-addr');
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const ready = sources.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok' : 'not ready');
    } else if (path === '/metrics') {
      sources.registry.metrics().then(
        text => res.writeHead(200, { 'content-type': sources.registry.contentType }).end(text),
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${host}:${bound.port}`,
    close: () => new Promise(resolve => server.close(() => resolve())),
  };
}

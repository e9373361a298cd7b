// SPDX-License-Identifier: Apache-2.0
// The kubelet's HTTPS API, as the API server reaches it to proxy `pods/log` and `pods/exec`:
// `GET /containerLogs/{namespace}/{pod}/{container}`, `/exec/{namespace}/{pod}/{container}`
// (a WebSocket upgrade, see streamExec.ts) and `/healthz`. Only clients with a certificate of
// the cluster's CA are served (the API server's kubelet client certificate).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import type { ContainerSlot, KubeletState, PodRecord } from './kubeletState.js';
import { ChaosplaneError } from '@chaosplane/sdk';
import { kubeletStatusOf, sendKubeletError } from './kubeletErrorResponse.js';
import { serveContainerLogs } from './serveContainerLogs.js';
import { EXEC_PROTOCOLS, execRequestOf, streamExec } from './streamExec.js';

/** The TLS of the kubelet's server. */
export interface KubeletServerTls {
  /** The CA its clients' certificates must chain to (and that signed its own). */
  caCert: string;
  cert: string;
  key: string;
}

/** A listening kubelet API. */
export interface KubeletServer {
  port: number;
  close(): Promise<void>;
}

/** The pod and container a `/{verb}/{namespace}/{pod}/{container}` path names. */
function targetOf(state: KubeletState, parts: string[]): { record: PodRecord; slot: ContainerSlot } {
  const [namespace, name, container] = parts;
  const record = state.pods.get(`${namespace}/${name}`);
  if (!record) throw new ChaosplaneError('not-found', `pod "${name}" not found`);
  const slot = container ? record.slots.find(s => s.name === container) : record.slots[0];
  if (!slot) throw new ChaosplaneError('not-found', `container "${container}" not found in pod "${name}"`);
  return { record, slot };
}

/** Splits `/verb/a/b/c` into its verb and decoded parts. */
function routeOf(req: IncomingMessage): { verb: string; parts: string[]; url: URL } {
  const url = new URL(req.url ?? '/', 'https://kubelet');
  const [verb = '', ...parts] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  return { verb, parts, url };
}

/** Plain requests: logs and health. */
async function handleRequest(state: KubeletState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { verb, parts, url } = routeOf(req);
  if (verb === 'healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    return;
  }
  if (verb === 'containerLogs' && req.method === 'GET')
    return serveContainerLogs(state, targetOf(state, parts), url, req, res);
  if (verb === 'exec' || verb === 'attach')
    throw new ChaosplaneError('invalid', `${verb} needs a WebSocket upgrade (${EXEC_PROTOCOLS.join(', ')})`);
  throw new ChaosplaneError('not-found', `the kubelet does not serve ${url.pathname}`);
}

/** Answers an upgrade that cannot be served, before any WebSocket handshake. */
function refuseUpgrade(socket: Duplex, error: unknown): void {
  const { code } = kubeletStatusOf(error);
  const body = error instanceof Error ? error.message : String(error);
  socket.end(
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** WebSocket upgrades: exec. */
function handleUpgrade(
  state: KubeletState,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  try {
    const { verb, parts, url } = routeOf(req);
    if (verb !== 'exec')
      throw new ChaosplaneError('not-found', `the kubelet does not stream ${url.pathname}`);
    const { slot } = targetOf(state, parts);
    const instance = slot.instance;
    if (!instance || instance.exit)
      throw new ChaosplaneError('invalid', `container ${slot.name} is not running`);
    const request = execRequestOf(url.searchParams, instance.bareId);
    if (request.argv.length === 0)
      throw new ChaosplaneError('invalid', 'you must specify at least 1 command');
    // kubectl before 1.30 asks for SPDY/3.1, which this kubelet does not speak: say so.
    const protocol = req.headers.upgrade ?? '';
    if (protocol.toLowerCase() !== 'websocket')
      throw new ChaosplaneError(
        'invalid',
        `the dev kubelet streams exec over WebSocket (${EXEC_PROTOCOLS.join(', ')}: kubectl 1.30 or later), not ${protocol || 'this request'}`,
      );
    wss.handleUpgrade(req, socket, head, ws => void streamExec(state, ws, request));
  } catch (error) {
    refuseUpgrade(socket, error);
  }
}

/** Starts the kubelet's API on `host:0`. */
export async function createKubeletServer(
  state: KubeletState,
  tls: KubeletServerTls,
  host: string,
): Promise<KubeletServer> {
  const server = https.createServer(
    { cert: tls.cert, key: tls.key, ca: tls.caCert, requestCert: true, rejectUnauthorized: true },
    (req, res) => void handleRequest(state, req, res).catch(error => sendKubeletError(res, error)),
  );
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: offered => EXEC_PROTOCOLS.find(p => offered.has(p)) ?? false,
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    handleUpgrade(state, wss, req, socket, head),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>(resolve => {
        for (const client of wss.clients) client.terminate();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

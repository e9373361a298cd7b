// SPDX-License-Identifier: Apache-2.0
/**
 * `pods/log`, `pods/exec`, `pods/attach` and `pods/portforward`, proxied to the kubelet of the
 * pod's node as the apiserver does: the container is checked against the pod (the only one when
 * not named), the node's kubelet is found from `status.daemonEndpoints.kubeletEndpoint.Port` and
 * its addresses (Hostname, InternalDNS, InternalIP, ExternalDNS, ExternalIP, in that order), and
 * the request goes to `/containerLogs`, `/exec`, `/attach` or `/portForward` over HTTPS with the
 * kubelet client certificate. Log responses are streamed back; exec and attach upgrades
 * (WebSocket or SPDY) are spliced byte for byte once the kubelet answers.
 */
import { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { type Duplex } from 'node:stream';
import tls from 'node:tls';
import { type ApiCore } from '../api/apiCore.js';
import { KubeEmulatorError, badRequest } from '../errors.js';
import { type JsonObject } from '../types.js';
import { type ResourceRoute } from './routes.js';

/** How the API server reaches kubelets (kube-apiserver's --kubelet-* flags). */
export interface KubeletClientOptions {
  /** The CA kubelets' serving certificates chain to; unverified without it, as the apiserver. */
  caCert?: string;
  /** The client certificate and key presented to kubelets. */
  cert?: string;
  key?: string;
}

/** The pod subresources answered by the pod's kubelet, and the kubelet's path for each. */
const KUBELET_PATHS: Record<string, string> = {
  log: 'containerLogs',
  exec: 'exec',
  attach: 'attach',
  portforward: 'portForward',
};

/** The query parameters each subresource passes on. */
const PASSED_QUERY: Record<string, string[]> = {
  log: [
    'follow',
    'previous',
    'timestamps',
    'tailLines',
    'limitBytes',
    'sinceSeconds',
    'sinceTime',
    'insecureSkipTLSVerifyBackend',
  ],
  exec: ['command', 'stdin', 'stdout', 'stderr', 'tty'],
  attach: ['stdin', 'stdout', 'stderr', 'tty'],
  portforward: ['ports'],
};

/** The kubelet address types the apiserver prefers, in order (its --kubelet-preferred-address-types). */
const ADDRESS_TYPES = ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP'];

/** True for a pod subresource served by the pod's kubelet. */
export function isKubeletRoute(route: ResourceRoute): boolean {
  return (
    route.group === '' &&
    route.plural === 'pods' &&
    route.name !== undefined &&
    route.subresource !== undefined &&
    route.subresource in KUBELET_PATHS
  );
}

interface PodLike extends JsonObject {
  spec?: {
    nodeName?: string;
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    ephemeralContainers?: { name: string }[];
  };
}

interface NodeLike extends JsonObject {
  status?: {
    addresses?: { type: string; address: string }[];
    daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
  };
}

/** The container a request names, checked against the pod as the apiserver does. */
function containerOf(pod: PodLike, name: string, asked: string | null): string {
  const containers = pod.spec?.containers ?? [];
  if (!asked) {
    if (containers.length === 1) return containers[0]!.name;
    const names = containers.map(c => c.name).join(' ');
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names}]`);
  }
  const all = [...containers, ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])];
  if (!all.some(c => c.name === asked)) throw badRequest(`container ${asked} is not valid for pod ${name}`);
  return asked;
}

/** The kubelet URL for the request: its node's address and port, the kubelet path and query. */
function kubeletTarget(
  api: ApiCore,
  route: ResourceRoute,
  url: URL,
): { host: string; port: number; path: string } {
  const podType = api.registry.lookup('', 'v1', 'pods')!;
  const pod = api.get({ type: podType, version: 'v1', namespace: route.namespace! }, route.name!) as PodLike;
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw badRequest(`pod ${route.name} does not have a host assigned`);
  const nodeType = api.registry.lookup('', 'v1', 'nodes')!;
  const node = api.get({ type: nodeType, version: 'v1' }, nodeName) as NodeLike;
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
  const addresses = node.status?.addresses ?? [];
  const address = ADDRESS_TYPES.map(t => addresses.find(a => a.type === t)).find(
    a => a !== undefined,
  )?.address;
  if (!port || !address)
    throw new KubeEmulatorError('ServiceUnavailable', `no kubelet endpoint is known for node ${nodeName}`);
  const sub = route.subresource!;
  const query = new URLSearchParams();
  for (const key of PASSED_QUERY[sub]!)
    for (const value of url.searchParams.getAll(key)) query.append(key, value);
  const segments = [KUBELET_PATHS[sub]!, route.namespace!, route.name!];
  if (sub !== 'portforward') segments.push(containerOf(pod, route.name!, url.searchParams.get('container')));
  const q = query.toString();
  return { host: address, port, path: `/${segments.map(encodeURIComponent).join('/')}${q ? `?${q}` : ''}` };
}

/** TLS options toward a kubelet at `host`. */
function tlsOptions(client: KubeletClientOptions, host: string): tls.ConnectionOptions {
  return {
    ...(client.caCert ? { ca: client.caCert } : {}),
    ...(client.cert && client.key ? { cert: client.cert, key: client.key } : {}),
    rejectUnauthorized: client.caCert !== undefined,
    // SNI takes names only; an address is checked against the certificate's IP SANs.
    ...(isIP(host) === 0 ? { servername: host } : {}),
  };
}

/** Proxies a plain request (logs) and streams the kubelet's answer back. */
export function proxyToKubelet(
  api: ApiCore,
  client: KubeletClientOptions,
  route: ResourceRoute,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const target = kubeletTarget(api, route, url);
  return new Promise<void>((resolve, reject) => {
    const upstream = https.request(
      {
        ...tlsOptions(client, target.host),
        host: target.host,
        port: target.port,
        path: target.path,
        method: req.method ?? 'GET',
      },
      answer => {
        res.writeHead(answer.statusCode ?? 502, {
          'Content-Type': answer.headers['content-type'] ?? 'text/plain',
          'Cache-Control': 'no-cache, private',
        });
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', resolve);
      },
    );
    upstream.on('error', error =>
      reject(
        new KubeEmulatorError(
          'InternalError',
          `error dialing kubelet at ${target.host}:${target.port}: ${error.message}`,
        ),
      ),
    );
    // Not req's 'close': it fires once the (already read) request body is consumed.
    res.on('close', () => upstream.destroy());
    upstream.end();
  });
}

/** The request headers an upgrade carries to the kubelet. */
const UPGRADE_HEADERS = [
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'x-stream-protocol-version',
];

/** Proxies an upgrade (exec, attach, portforward): the raw connection is spliced to the kubelet's. */
export function proxyUpgradeToKubelet(
  api: ApiCore,
  client: KubeletClientOptions,
  route: ResourceRoute,
  url: URL,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const target = kubeletTarget(api, route, url);
  const upstream = tls.connect(
    { ...tlsOptions(client, target.host), host: target.host, port: target.port },
    () => {
      const lines = [`${req.method ?? 'GET'} ${target.path} HTTP/1.1`, `Host: ${target.host}:${target.port}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!;
        if (UPGRADE_HEADERS.includes(name.toLowerCase())) lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    },
  );
  const close = () => {
    upstream.destroy();
    socket.destroy();
  };
  upstream.on('error', (error: Error) => {
    if (upstream.bytesRead === 0) {
      const body = JSON.stringify(
        new KubeEmulatorError(
          'InternalError',
          `error dialing kubelet at ${target.host}:${target.port}: ${error.message}`,
        ).toStatus(),
      );
      socket.end(
        `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    close();
  });
  socket.on('error', close);
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
}

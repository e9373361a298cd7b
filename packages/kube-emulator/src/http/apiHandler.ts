// SPDX-License-Identifier: Apache-2.0
/**
 * The HTTP face of the API: authentication and authorization (src/auth: 401, 403), routing to
 * the endpoints of authentication and authorization (TokenRequest, access reviews), to
 * resources (resourceHandler.ts, with watch streams in watchStream.ts), discovery and the other
 * non-resource paths (nonResource.ts). Every failure is answered with a `Status` body; none
 * escapes to crash the server.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { type Duplex } from 'node:stream';
import { type ApiCore } from '../api/apiCore.js';
import { serveAuthEndpoint } from '../auth/authEndpoints.js';
import { decodeAuthBody } from '../auth/authProtobuf.js';
import { type RequestAuth } from '../auth/requestAuth.js';
import { KubeEmulatorError, badRequest } from '../errors.js';
import { type FaultInjector } from '../faultInjector.js';
import { serveDiscovery, serveNonResource } from './nonResource.js';
import { mediaType, readBody } from './requestBody.js';
import {
  type KubeletClientOptions,
  isKubeletRoute,
  proxyToKubelet,
  proxyUpgradeToKubelet,
} from './kubeletProxy.js';
import { handleResource } from './resourceHandler.js';
import { methodNotAllowed, notServed, sendError } from './response.js';
import { resolveRoute } from './routes.js';
import { type WatchDeps } from './watchStream.js';

/** Options of the handler. */
export interface HandlerOptions {
  api: ApiCore;
  faults: FaultInjector;
  /** Authentication and authorization of every request. */
  auth: RequestAuth;
  /** Request body limit in bytes (the apiserver's is 3 MiB). */
  maxBodyBytes?: number;
  log?: (line: string) => void;
  /** How `pods/log`, `pods/exec` and `pods/attach` reach the pod's kubelet. */
  kubeletClient?: KubeletClientOptions;
}

/** The handler, plus a way to end all open watches at shutdown. */
export interface ApiHandler {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** An HTTP upgrade: `pods/exec`, `pods/attach` and `pods/portforward` go to the pod's kubelet. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  closeWatches(): void;
  readonly openWatches: number;
}

/**
 * The raw path and the query of a request. The path is taken as sent: a WHATWG URL would
 * resolve `.` and `..` segments (and their `%2e` forms) and so turn `configmaps/../secrets`
 * into `secrets`, which the apiserver never does. An absolute-form target keeps its path.
 */
function requestTarget(req: IncomingMessage): { path: string; url: URL } {
  const target = req.url ?? '/';
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  const rest = absolute ? target.slice(absolute[0].length) || '/' : target;
  if (!rest.startsWith('/')) throw badRequest('malformed request URL');
  const q = rest.indexOf('?');
  const url = new URL('https://kube-emulator/');
  if (q >= 0) url.search = rest.slice(q);
  return { path: q >= 0 ? rest.slice(0, q) : rest, url };
}

/** Non-resource and discovery paths are read only. */
function requireRead(req: IncomingMessage): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed();
}

/** The path as the apiserver's request info reads it: percent-decoded. */
function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Routes one request once it is authenticated and authorized (health checks too: anonymous
 * requests may read them through the default system:public-info-viewer binding).
 */
async function dispatch(
  deps: WatchDeps,
  auth: RequestAuth,
  kubeletClient: KubeletClientOptions,
  req: IncomingMessage,
  res: ServerResponse,
  body: Promise<Buffer>,
): Promise<void> {
  const { path, url } = requestTarget(req);
  const route = resolveRoute(path);
  const user = await auth.admit(req, decodedPath(path), url.searchParams);
  const authRequest = {
    method: req.method ?? 'GET',
    route,
    user,
    res,
    body: async () => decodeAuthBody(await body, mediaType(req)),
  };
  if (await serveAuthEndpoint(auth, authRequest, `https://${req.headers.host ?? 'localhost'}`)) return;
  switch (route.kind) {
    case 'unknown':
      throw notServed();
    case 'nonResource':
      requireRead(req);
      return serveNonResource(deps.api, route.path, url, req, res);
    case 'discovery':
      requireRead(req);
      return serveDiscovery(deps.api, route, res);
    case 'resource':
      if (isKubeletRoute(route)) return proxyToKubelet(deps.api, kubeletClient, route, url, req, res);
      return handleResource(deps, req, res, route, url, body, user);
  }
}

/** {@link ApiHandler.handleUpgrade}: authenticated and authorized, then proxied to the kubelet, or refused. */
async function dispatchUpgrade(
  deps: WatchDeps,
  options: HandlerOptions,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  let status: { code: number; body: unknown };
  try {
    const { path, url } = requestTarget(req);
    const route = resolveRoute(path);
    await options.auth.admit(req, decodedPath(path), url.searchParams);
    if (route.kind !== 'resource' || !isKubeletRoute(route))
      throw badRequest('this request cannot be upgraded');
    return proxyUpgradeToKubelet(deps.api, options.kubeletClient ?? {}, route, url, req, socket, head);
  } catch (error) {
    const err = KubeEmulatorError.is(error) ? error : new KubeEmulatorError('InternalError', String(error));
    status = { code: err.code, body: err.toStatus() };
  }
  const body = JSON.stringify(status.body);
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Creates the handler. */
export function createApiHandler(options: HandlerOptions): ApiHandler {
  const maxBody = options.maxBodyBytes ?? 3 * 1024 * 1024;
  const log = options.log;
  const deps: WatchDeps = { api: options.api, faults: options.faults, watches: new Set() };
  return {
    get openWatches() {
      return deps.watches.size;
    },
    handle(req, res) {
      const started = Date.now();
      res.on('finish', () => log?.(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
      // The body is read from the start, whether or not the route needs it: unread bytes would
      // otherwise keep the connection from being reused for the next request.
      const body = readBody(req, maxBody);
      body.catch(() => undefined);
      dispatch(deps, options.auth, options.kubeletClient ?? {}, req, res, body).catch((error: unknown) =>
        sendError(res, error, log),
      );
    },
    handleUpgrade(req, socket, head) {
      log?.(`UPGRADE ${req.method} ${req.url}`);
      void dispatchUpgrade(deps, options, req, socket, head);
    },
    closeWatches() {
      for (const close of [...deps.watches]) close();
    },
  };
}

// SPDX-License-Identifier: Apache-2.0
/** Paths that are not resources: `/version`, health, OpenAPI v2 and v3, and discovery. */
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type ApiCore } from '../api/apiCore.js';
import { openApiV2Document, openApiV2Protobuf, openApiV3Document, openApiV3Index } from '../openapi.js';
import { notServed, send } from './response.js';
import { type DiscoveryRoute } from './routes.js';

const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-kube-emulator',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const HEALTH_PATHS = ['/healthz', '/livez', '/readyz'];

/** Whether a path is a health check (answered without authentication). */
export function isHealthPath(path: string): boolean {
  return HEALTH_PATHS.includes(path);
}

/** `/openapi/v2` as the protobuf kubectl asks for, or as JSON. */
function serveOpenApiV2(api: ApiCore, req: IncomingMessage, res: ServerResponse): void {
  const accept = req.headers.accept ?? '';
  if (!accept.includes('protobuf')) return send(res, 200, openApiV2Document(api.registry));
  const body = openApiV2Protobuf();
  res.writeHead(200, {
    // The '@' of the requested media type is not valid in a Content-Type (older kubectl
    // refuses it), so the document goes out as plain bytes.
    'Content-Type': 'application/octet-stream',
    'Content-Length': body.length,
  });
  res.end(body);
}

/** `/openapi/v3/api/VERSION` or `/openapi/v3/apis/GROUP/VERSION` (immutable when asked by hash). */
function serveOpenApiV3(api: ApiCore, path: string, url: URL, res: ServerResponse): void {
  const [root, first, second, ...extra] = path.slice('/openapi/v3/'.length).split('/');
  const doc =
    root === 'api' && first !== undefined && second === undefined
      ? openApiV3Document(api.registry, '', first)
      : root === 'apis' && first !== undefined && second !== undefined && extra.length === 0
        ? openApiV3Document(api.registry, first, second)
        : undefined;
  if (!doc) throw notServed();
  send(
    res,
    200,
    doc,
    undefined,
    url.searchParams.has('hash') ? { 'Cache-Control': 'public, immutable' } : {},
  );
}

/** Answers a non-resource path; 404 for one the emulator does not serve. */
export function serveNonResource(
  api: ApiCore,
  path: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (path === '/version') return send(res, 200, VERSION_INFO);
  if (isHealthPath(path)) {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('ok');
    return;
  }
  if (path === '/openapi/v2') return serveOpenApiV2(api, req, res);
  if (path === '/openapi/v3') return send(res, 200, openApiV3Index(api.registry));
  if (path.startsWith('/openapi/v3/')) return serveOpenApiV3(api, path, url, res);
  throw notServed();
}

/** Answers a discovery path (`/api`, `/apis`, `/apis/GROUP`, `/api/v1`, `/apis/GROUP/VERSION`). */
export function serveDiscovery(api: ApiCore, route: DiscoveryRoute, res: ServerResponse): void {
  let doc: object | undefined;
  if (route.legacy && route.version === undefined) doc = api.registry.apiVersions();
  else if (route.group === undefined && route.version === undefined) doc = api.registry.apiGroupList();
  else if (route.version === undefined) doc = api.registry.apiGroup(route.group!);
  else doc = api.registry.resourceList(route.group ?? '', route.version);
  if (!doc) throw notServed();
  send(res, 200, doc);
}

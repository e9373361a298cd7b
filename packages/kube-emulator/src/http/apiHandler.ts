// SPDX-License-Identifier: Apache-2.0
/**
 * The HTTP face of the API: authentication, routing, body decoding (JSON and YAML), content
 * negotiation (JSON, YAML, Table), watch streaming, fault injection, and `Status` error
 * bodies. Every failure is answered; none escapes to crash the server.
 */
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { type ApiCore } from '../api/apiCore.js';
import {
  type DeleteOptions,
  type PatchType,
  type Scope,
  type WatchEventOut,
  type WriteOptions,
} from '../api/apiTypes.js';
import { KubeEmulatorError, badRequest, text } from '../errors.js';
import { type FaultInjector, type FaultRequest } from '../faultInjector.js';
import { openApiV2Document, openApiV2Protobuf, openApiV3Document, openApiV3Index } from '../openapi.js';
import { type JsonObject, type KubeObject, type ResourceType, apiVersionOf, resourceKey } from '../types.js';
import { type ResourceRoute, resolveRoute, verbOf } from './routes.js';
import { toTable } from './table.js';

/** Options of the handler. */
export interface HandlerOptions {
  api: ApiCore;
  faults: FaultInjector;
  /** Bearer token clients must present. */
  token: string;
  /** Request body limit in bytes (the apiserver's is 3 MiB). */
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

/** The handler, plus a way to end all open watches at shutdown. */
export interface ApiHandler {
  handle(req: IncomingMessage, res: ServerResponse): void;
  closeWatches(): void;
  readonly openWatches: number;
}

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

interface Negotiated {
  table: boolean;
  yaml: boolean;
}

function negotiate(accept: string | undefined): Negotiated {
  if (!accept) return { table: false, yaml: false };
  const parts = accept.split(',').map(p => p.trim().toLowerCase());
  for (const p of parts) {
    const [media, ...params] = p.split(';').map(s => s.trim());
    const as = params.find(x => x.startsWith('as='))?.slice(3);
    if (as === 'table') {
      if (media === 'application/json') return { table: true, yaml: false };
      continue;
    }
    if (as !== undefined) continue;
    if (media === 'application/json' || media === '*/*' || media === 'application/*')
      return { table: false, yaml: false };
    if (media === 'application/yaml') return { table: false, yaml: true };
  }
  if (
    parts.every(
      p =>
        p.startsWith('application/vnd.kubernetes.protobuf') ||
        p.startsWith('application/com.github.proto-openapi'),
    )
  ) {
    throw new KubeEmulatorError(
      'NotAcceptable',
      `only the following media types are accepted: application/json, application/yaml`,
    );
  }
  return { table: false, yaml: false };
}

function send(
  res: ServerResponse,
  code: number,
  body: unknown,
  neg?: Negotiated,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' ? body : neg?.yaml ? stringifyYaml(body) : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': neg?.yaml ? 'application/yaml' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: unknown, log?: (line: string) => void): void {
  let err: KubeEmulatorError;
  if (KubeEmulatorError.is(error)) err = error;
  else {
    log?.(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    err = new KubeEmulatorError(
      'InternalError',
      `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  send(res, err.code, err.toStatus(), undefined, err.headers);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new KubeEmulatorError('RequestEntityTooLarge', `Request entity too large: limit is ${limit}`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', e => {
      if (!failed) reject(e);
    });
  });
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

const JSON_MEDIA = new Set(['', 'application/json', 'text/plain', '*/*']);

/** Deepest nesting the emulator accepts; deeper documents are refused before parsing. */
const MAX_DEPTH = 1000;

/** Nesting depth of a JSON text (brackets outside strings), without recursion. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

function decodeBody(buffer: Buffer, media: string, what: 'object' | 'patch' | 'delete'): unknown {
  const isYaml = media === 'application/yaml' || media === 'application/apply-patch+yaml';
  if (what === 'object' && !isYaml && !JSON_MEDIA.has(media)) {
    // Protobuf (kubectl create <generator> sends it) is not implemented: answer as the
    // apiserver does for a media type a resource does not accept.
    throw new KubeEmulatorError(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
    );
  }
  const text = buffer.toString('utf8');
  if (jsonDepth(text) > MAX_DEPTH)
    throw badRequest(`the request body exceeds the maximum nesting depth of ${MAX_DEPTH}`);
  if (text.trim() === '') {
    if (what === 'delete') return {};
    throw badRequest('the body of the request was empty');
  }
  if (isYaml) {
    try {
      return parseYaml(text, { maxAliasCount: 100 }) as unknown;
    } catch (error) {
      throw badRequest(`error converting YAML to JSON: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const why = (error as Error).message;
    throw badRequest(
      what === 'object'
        ? `couldn't get version/kind; json parse error: ${why}`
        : what === 'patch'
          ? `error decoding patch: ${why}`
          : `json: ${why}`,
    );
  }
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v))
    throw badRequest(
      `invalid value for ${name}: ${JSON.stringify(v)}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`,
    );
  return Number(v);
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

function writeOptions(q: URLSearchParams): WriteOptions {
  const dryRun = q.getAll('dryRun');
  for (const d of dryRun) if (d !== 'All') throw invalidParam('dryRun', d, ['All']);
  const fv = q.get('fieldValidation');
  if (fv !== null && fv !== '' && !['Strict', 'Warn', 'Ignore'].includes(fv))
    throw invalidParam('fieldValidation', fv, ['Ignore', 'Strict', 'Warn']);
  return {
    dryRun: dryRun.length > 0,
    ...(fv ? { fieldValidation: fv as WriteOptions['fieldValidation'] } : {}),
  };
}

function invalidParam(name: string, value: string, supported: string[]): KubeEmulatorError {
  return new KubeEmulatorError(
    'BadRequest',
    `${name}: Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map(s => JSON.stringify(s)).join(', ')}`,
    {
      details: {
        causes: [
          {
            reason: 'FieldValueNotSupported',
            message: `Unsupported value: ${JSON.stringify(value)}`,
            field: name,
          },
        ],
      },
    },
  );
}

function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const out: DeleteOptions = {};
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as JsonObject;
    if (b.kind !== undefined && b.kind !== 'DeleteOptions')
      throw badRequest(`the body of the request was not DeleteOptions: kind ${text(b.kind)}`);
    if (typeof b.propagationPolicy === 'string')
      out.propagationPolicy = b.propagationPolicy as DeleteOptions['propagationPolicy'];
    if (b.preconditions && typeof b.preconditions === 'object') out.preconditions = b.preconditions;
    if (Array.isArray(b.dryRun)) {
      for (const d of b.dryRun) if (d !== 'All') throw invalidParam('dryRun', String(d), ['All']);
      out.dryRun = b.dryRun.length > 0;
    }
    if (typeof b.gracePeriodSeconds === 'number') out.gracePeriodSeconds = b.gracePeriodSeconds;
    if (b.orphanDependents === true) out.propagationPolicy = 'Orphan';
  } else if (body !== undefined && body !== null) {
    throw badRequest('the body of the request was not DeleteOptions');
  }
  const pp = q.get('propagationPolicy');
  if (pp !== null && pp !== '') out.propagationPolicy = pp as DeleteOptions['propagationPolicy'];
  if (
    out.propagationPolicy !== undefined &&
    !['Orphan', 'Background', 'Foreground'].includes(out.propagationPolicy)
  ) {
    throw invalidParam('propagationPolicy', out.propagationPolicy, ['Background', 'Foreground', 'Orphan']);
  }
  for (const d of q.getAll('dryRun')) {
    if (d !== 'All') throw invalidParam('dryRun', d, ['All']);
    out.dryRun = true;
  }
  const gp = intParam(q, 'gracePeriodSeconds');
  if (gp !== undefined) out.gracePeriodSeconds = gp;
  return out;
}

/** Creates the handler. */
export function createApiHandler(options: HandlerOptions): ApiHandler {
  const { api, faults } = options;
  const maxBody = options.maxBodyBytes ?? 3 * 1024 * 1024;
  const watches = new Set<() => void>();
  const log = options.log;

  function authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization;
    if (header !== `Bearer ${options.token}`) {
      throw new KubeEmulatorError('Unauthorized', 'Unauthorized');
    }
  }

  function handleNonResource(path: string, url: URL, res: ServerResponse, req: IncomingMessage): void {
    if (path === '/version') return send(res, 200, VERSION_INFO);
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (path === '/openapi/v2') {
      const accept = req.headers.accept ?? '';
      if (accept.includes('protobuf')) {
        const body = openApiV2Protobuf();
        res.writeHead(200, {
          // The '@' of the requested media type is not valid in a Content-Type (older kubectl
          // refuses it), so the document goes out as plain bytes.
          'Content-Type': 'application/octet-stream',
          'Content-Length': body.length,
        });
        res.end(body);
        return;
      }
      return send(res, 200, openApiV2Document(api.registry));
    }
    if (path === '/openapi/v3') return send(res, 200, openApiV3Index(api.registry));
    if (path.startsWith('/openapi/v3/')) {
      const rest = path.slice('/openapi/v3/'.length).split('/');
      const doc =
        rest[0] === 'api' && rest.length === 2
          ? openApiV3Document(api.registry, '', rest[1])
          : rest[0] === 'apis' && rest.length === 3
            ? openApiV3Document(api.registry, rest[1], rest[2])
            : undefined;
      if (!doc) throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource');
      return send(
        res,
        200,
        doc,
        undefined,
        url.searchParams.has('hash') ? { 'Cache-Control': 'public, immutable' } : {},
      );
    }
    throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource');
  }

  function resolveType(route: ResourceRoute): ResourceType {
    const type = api.registry.lookup(route.group, route.version, route.plural);
    if (!type) {
      throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource', {
        details: {},
      });
    }
    if (route.namespace !== undefined && !type.namespaced) {
      throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource', {
        details: {},
      });
    }
    return type;
  }

  function scopeFor(route: ResourceRoute, type: ResourceType): Scope {
    const scope: Scope = { type, version: route.version };
    if (type.namespaced && route.namespace !== undefined) scope.namespace = route.namespace;
    return scope;
  }

  function listBody(type: ResourceType, version: string, result: ReturnType<ApiCore['list']>): string {
    const metadata: JsonObject = { resourceVersion: result.resourceVersion };
    if (result.continue) metadata.continue = result.continue;
    if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
    const head = `{"kind":${JSON.stringify(type.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(type.group, version))},"metadata":${JSON.stringify(metadata)},"items":[`;
    const items = result.json ?? result.items.map(i => JSON.stringify(i));
    return `${head}${items.join(',')}]}`;
  }

  function startWatch(
    res: ServerResponse,
    scope: Scope,
    q: URLSearchParams,
    neg: Negotiated,
    faultReq: FaultRequest,
  ): void {
    const timeoutSeconds = intParam(q, 'timeoutSeconds');
    const rvm = q.get('resourceVersionMatch');
    if (rvm !== null && rvm !== '' && !['NotOlderThan', 'Exact'].includes(rvm))
      throw invalidParam('resourceVersionMatch', rvm, ['Exact', 'NotOlderThan']);
    let closed = false;
    let first = true;
    let stop: () => void = () => undefined;
    const trackerRef: { current?: { onEvent(): void; untrack(): void } } = {};
    const pending: WatchEventOut[] = [];
    let started = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      stop();
      trackerRef.current?.untrack();
      watches.delete(close);
      if (started && !res.writableEnded) res.end();
    };
    const write = (event: WatchEventOut): void => {
      if (!started) {
        pending.push(event);
        return;
      }
      if (closed) return;
      emit(event);
    };
    const emit = (event: WatchEventOut): void => {
      let object: unknown = event.object;
      if (neg.table && (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED')) {
        object = toTable(
          scope.type,
          scope.version,
          [event.object as KubeObject],
          undefined,
          q.get('includeObject') ?? undefined,
          first,
        );
        first = false;
      }
      res.write(JSON.stringify({ type: event.type, object }) + '\n');
      if (event.type !== 'BOOKMARK') trackerRef.current?.onEvent();
    };
    const watchOptions = {
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
      resourceVersion: q.get('resourceVersion') ?? undefined,
      allowWatchBookmarks: boolParam(q, 'allowWatchBookmarks'),
      sendInitialEvents: boolParam(q, 'sendInitialEvents'),
    };
    // Validation errors (bad selectors, bad resourceVersion) are answered before the stream starts.
    stop = api.watch(scope, watchOptions, write, close);
    if (closed && pending.length === 0) return;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    started = true;
    for (const e of pending.splice(0)) emit(e);
    if (closed) {
      res.end();
      return;
    }
    trackerRef.current = faults.trackWatch(faultReq, close);
    watches.add(close);
    if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
      const t = setTimeout(close, timeoutSeconds * 1000);
      t.unref();
      res.on('close', () => clearTimeout(t));
    }
    res.on('close', close);
    res.on('error', close);
  }

  async function handleResource(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    url: URL,
    body: Promise<Buffer>,
  ): Promise<void> {
    const q = url.searchParams;
    const verb = verbOf(req.method ?? 'GET', route, boolParam(q, 'watch'));
    const type = resolveType(route);
    if (!verb) {
      throw new KubeEmulatorError(
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );
    }
    const neg = negotiate(req.headers.accept);
    const scope = scopeFor(route, type);
    const faultReq: FaultRequest = { verb, resource: resourceKey(type.group, type.plural) };
    if (scope.namespace) faultReq.namespace = scope.namespace;
    if (route.subresource) faultReq.subresource = route.subresource;
    const delay = faults.delayFor(faultReq);
    if (delay > 0) await new Promise(r => setTimeout(r, delay));
    const injected = faults.draw(faultReq);
    const isWrite = verb !== 'get' && verb !== 'list' && verb !== 'watch';
    if (injected && !(injected.after && isWrite)) throw injected.error;
    // Faults in `after` mode: the write happened, the reply is replaced by the error.
    const reply = (code: number, payload: unknown, n?: Negotiated): void => {
      if (injected) throw injected.error;
      send(res, code, payload, n);
    };
    if (route.subresource === 'binding' && verb === 'create') {
      const options = writeOptions(q);
      const decoded = decodeBody(await body, mediaType(req), 'object');
      await api.bind(scope, route.name!, decoded, options);
      return reply(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    if (route.subresource !== undefined && !['get', 'update', 'patch'].includes(verb)) {
      throw new KubeEmulatorError(
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );
    }
    const includeObject = q.get('includeObject') ?? undefined;
    switch (verb) {
      case 'get': {
        const obj = api.get(scope, route.name!);
        if (route.subresource !== undefined && route.subresource !== 'status')
          throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource');
        return send(
          res,
          200,
          neg.table ? toTable(type, route.version, [obj], obj.metadata.resourceVersion, includeObject) : obj,
          neg,
        );
      }
      case 'list': {
        const limit = intParam(q, 'limit');
        const result = api.list(scope, {
          labelSelector: q.get('labelSelector') ?? undefined,
          fieldSelector: q.get('fieldSelector') ?? undefined,
          limit,
          continue: q.get('continue') ?? undefined,
          resourceVersion: q.get('resourceVersion') ?? undefined,
        });
        if (neg.table) {
          const items = result.json ? result.json.map(j => JSON.parse(j) as KubeObject) : result.items;
          return send(
            res,
            200,
            toTable(type, route.version, items, result.resourceVersion, includeObject, true, result.continue),
            neg,
          );
        }
        if (neg.yaml) return send(res, 200, JSON.parse(listBody(type, route.version, result)), neg);
        return send(res, 200, listBody(type, route.version, result));
      }
      case 'watch':
        if (route.name !== undefined) {
          // A watch of one object (`/watch/.../NAME` or `.../NAME?watch=true`) is a watch of
          // the collection narrowed to that name.
          const byName = `metadata.name=${route.name}`;
          const existing = q.get('fieldSelector');
          q.set('fieldSelector', existing ? `${existing},${byName}` : byName);
        }
        return startWatch(res, scope, q, neg, faultReq);
      case 'create': {
        const options = writeOptions(q);
        const decoded = decodeBody(await body, mediaType(req), 'object');
        const obj = await api.create(scope, decoded, options);
        return reply(201, obj, neg);
      }
      case 'update': {
        const options = writeOptions(q);
        const decoded = decodeBody(await body, mediaType(req), 'object');
        const obj = await api.update(scope, route.name!, decoded, options, route.subresource);
        return reply(200, obj, neg);
      }
      case 'patch': {
        const media = mediaType(req);
        const patchType = PATCH_TYPES[media];
        if (!patchType) {
          throw new KubeEmulatorError(
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${type.strategicMerge ? ', application/strategic-merge-patch+json' : ''}`,
          );
        }
        const options = writeOptions(q);
        const decoded = decodeBody(await body, media, 'patch');
        const obj = await api.patch(scope, route.name!, patchType, decoded, options, route.subresource);
        return reply(200, obj, neg);
      }
      case 'delete': {
        const raw = await body;
        const options = deleteOptions(q, decodeBody(raw, mediaType(req) || 'application/json', 'delete'));
        const { obj, gone } = await api.delete(scope, route.name!, options);
        return reply(gone || options.dryRun ? 200 : 202, obj, neg);
      }
      case 'deletecollection': {
        const raw = await body;
        const options = deleteOptions(q, decodeBody(raw, mediaType(req) || 'application/json', 'delete'));
        const items = await api.deleteCollection(
          scope,
          {
            labelSelector: q.get('labelSelector') ?? undefined,
            fieldSelector: q.get('fieldSelector') ?? undefined,
          },
          options,
        );
        return reply(
          200,
          {
            kind: type.listKind,
            apiVersion: apiVersionOf(type.group, route.version),
            metadata: { resourceVersion: String(api.store.resourceVersion) },
            items,
          },
          neg,
        );
      }
    }
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, body: Promise<Buffer>): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://kube-emulator');
    } catch {
      throw badRequest('malformed request URL');
    }
    const route = resolveRoute(url.pathname);
    if (route.kind === 'nonResource' && ['/healthz', '/livez', '/readyz'].includes(route.path)) {
      return handleNonResource(route.path, url, res, req);
    }
    authenticate(req);
    switch (route.kind) {
      case 'unknown':
        throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource');
      case 'nonResource':
        if (req.method !== 'GET' && req.method !== 'HEAD')
          throw new KubeEmulatorError(
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          );
        return handleNonResource(route.path, url, res, req);
      case 'discovery': {
        if (req.method !== 'GET' && req.method !== 'HEAD')
          throw new KubeEmulatorError(
            'MethodNotAllowed',
            'the server does not allow this method on the requested resource',
          );
        let doc: object | undefined;
        if (route.legacy && route.version === undefined) doc = api.registry.apiVersions();
        else if (route.group === undefined && route.version === undefined) doc = api.registry.apiGroupList();
        else if (route.version === undefined) doc = api.registry.apiGroup(route.group!);
        else doc = api.registry.resourceList(route.group ?? '', route.version);
        if (!doc) throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource');
        return send(res, 200, doc);
      }
      case 'resource':
        return handleResource(req, res, route, url, body);
    }
  }

  return {
    get openWatches() {
      return watches.size;
    },
    handle(req, res) {
      const started = Date.now();
      res.on('finish', () => log?.(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
      // The body is read from the start, whether or not the route needs it: unread bytes would
      // otherwise keep the connection from being reused for the next request.
      const body = readBody(req, maxBody);
      body.catch(() => undefined);
      dispatch(req, res, body).catch((error: unknown) => sendError(res, error, log));
    },
    closeWatches() {
      for (const close of [...watches]) close();
    },
  };
}

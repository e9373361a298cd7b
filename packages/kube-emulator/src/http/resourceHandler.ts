// SPDX-License-Identifier: Apache-2.0
/**
 * Resource requests: the type and scope a route addresses, fault injection (latency, errors
 * before or after the write), and one function per verb that decodes the request, calls the
 * API core and answers as JSON, YAML or a Table.
 */
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type ApiCore } from '../api/apiCore.js';
import { type AdmissionRequestContext } from '../admission/policyTypes.js';
import {
  type DeleteOptions,
  type ListOptions,
  type PatchType,
  type Scope,
  type WriteOptions,
} from '../api/apiTypes.js';
import { listItems } from '../api/listWatch.js';
import { KubeEmulatorError, badRequest } from '../errors.js';
import { type UserInfo } from '../auth/userInfo.js';
import { type FaultInjector, type FaultRequest } from '../faultInjector.js';
import { type JsonObject, type ResourceType, type Verb, apiVersionOf, resourceKey } from '../types.js';
import { boolParam, deleteOptions, intParam, stringParam, writeOptions } from './queryParams.js';
import { checkListOptions } from './listOptions.js';
import { decodeBody, mediaType } from './requestBody.js';
import { type Negotiated, methodNotAllowed, negotiate, notServed, send } from './response.js';
import { type ResourceRoute, verbOf } from './routes.js';
import { toTable } from './table.js';
import { type WatchDeps, serveWatch } from './watchStream.js';
import { warningHeader } from './warnings.js';

/** One resource request, decoded as far as every verb needs. */
interface ResourceRequest {
  req: IncomingMessage;
  res: ServerResponse;
  route: ResourceRoute;
  q: URLSearchParams;
  body: Promise<Buffer>;
  type: ResourceType;
  scope: Scope;
  neg: Negotiated;
  faultReq: FaultRequest;
  /** Who sent the request, and where admission warnings go (`Warning` headers). */
  admission: AdmissionRequestContext;
  /** Answers a write; a fault injected `after` replaces the reply once the write happened. */
  reply(code: number, payload: unknown, neg?: Negotiated): void;
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** The served type of a route; 404 for an unknown one, or a cluster kind asked for in a namespace. */
function resolveType(api: ApiCore, route: ResourceRoute): ResourceType {
  const type = api.registry.lookup(route.group, route.version, route.plural);
  if (!type || (route.namespace !== undefined && !type.namespaced)) {
    throw new KubeEmulatorError('NotFound', 'the server could not find the requested resource', {
      details: {},
    });
  }
  return type;
}

/** The verbs each subresource takes; a subresource the type does not serve is a 404. */
const SUBRESOURCE_VERBS: Record<string, Verb[]> = {
  status: ['get', 'update', 'patch'],
  scale: ['get', 'update', 'patch'],
  binding: ['create'],
  finalize: ['update'],
};

/** Whether a type serves a subresource in a version. */
function servesSubresource(type: ResourceType, version: string, subresource: string): boolean {
  switch (subresource) {
    case 'status':
      return type.crd ? type.crd.versions[version]?.subresources.status === true : type.hasStatus;
    case 'binding':
      return type.group === '' && type.plural === 'pods';
    case 'finalize':
      return type.group === '' && type.plural === 'namespaces';
    case 'scale':
      return type.group === 'apps' && type.plural === 'deployments';
    default:
      return false;
  }
}

/**
 * What the apiserver's router refuses before any handler runs: a subresource the type does not
 * serve (404, as no route matches), a verb it does not take (405), and a name that cannot be a
 * path segment (`.`, `..`, or containing `/` or `%`: 400, as the registry's key function says).
 */
function checkAddressed(route: ResourceRoute, type: ResourceType, verb: Verb): void {
  const sub = route.subresource;
  if (sub !== undefined) {
    if (!servesSubresource(type, route.version, sub)) throw notServed();
    if (!SUBRESOURCE_VERBS[sub]?.includes(verb)) throw methodNotAllowed();
  }
  if (route.name === undefined) return;
  const msgs = invalidPathSegmentName(route.name);
  if (msgs.length > 0)
    throw badRequest(`Name parameter invalid: ${JSON.stringify(route.name)}: ${msgs.join(';')}`);
}

/** Why a name cannot be a path segment (the apiserver's `IsValidPathSegmentName`). */
function invalidPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter(c => name.includes(c)).map(c => `may not contain '${c}'`);
}

function scopeFor(route: ResourceRoute, type: ResourceType): Scope {
  const scope: Scope = { type, version: route.version };
  if (type.namespaced && route.namespace !== undefined) scope.namespace = route.namespace;
  return scope;
}

function faultRequestFor(verb: Verb, scope: Scope, route: ResourceRoute): FaultRequest {
  const faultReq: FaultRequest = { verb, resource: resourceKey(scope.type.group, scope.type.plural) };
  if (scope.namespace) faultReq.namespace = scope.namespace;
  if (route.subresource) faultReq.subresource = route.subresource;
  return faultReq;
}

/** Draws an injected error: thrown now, or (for writes in `after` mode) returned to replace the reply. */
function drawFault(
  faults: FaultInjector,
  faultReq: FaultRequest,
  verb: Verb,
): ReturnType<FaultInjector['draw']> {
  const injected = faults.draw(faultReq);
  const isWrite = verb !== 'get' && verb !== 'list' && verb !== 'watch';
  if (injected && !(injected.after && isWrite)) throw injected.error;
  return injected;
}

/** The label and field selectors of the query. */
function selectorsOf(q: URLSearchParams): Pick<ListOptions, 'labelSelector' | 'fieldSelector'> {
  return { labelSelector: stringParam(q, 'labelSelector'), fieldSelector: stringParam(q, 'fieldSelector') };
}

/** A list as JSON text, joining the items' cached JSON where there is one. */
function listBody(type: ResourceType, version: string, result: ReturnType<ApiCore['list']>): string {
  const metadata: JsonObject = { resourceVersion: result.resourceVersion };
  if (result.continue) metadata.continue = result.continue;
  if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
  const head = `{"kind":${JSON.stringify(type.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(type.group, version))},"metadata":${JSON.stringify(metadata)},"items":[`;
  const items = result.json ?? result.items.map(i => JSON.stringify(i));
  return `${head}${items.join(',')}]}`;
}

/** The write options of the query, with the request's admission context. */
function writeOptionsOf(r: ResourceRequest): WriteOptions {
  return { ...writeOptions(r.q), admission: r.admission };
}

function serveGet(api: ApiCore, r: ResourceRequest): void {
  if (r.route.subresource === 'scale') return send(r.res, 200, api.getScale(r.scope, r.route.name!), r.neg);
  const obj = api.get(r.scope, r.route.name!);
  if (r.route.subresource !== undefined && r.route.subresource !== 'status') throw notServed();
  const includeObject = stringParam(r.q, 'includeObject');
  send(
    r.res,
    200,
    r.neg.table ? toTable(r.type, r.route.version, [obj], obj.metadata.resourceVersion, includeObject) : obj,
    r.neg,
  );
}

function serveList(api: ApiCore, r: ResourceRequest): void {
  const { q, type, neg, res } = r;
  const version = r.route.version;
  const result = api.list(r.scope, {
    ...selectorsOf(q),
    limit: intParam(q, 'limit'),
    continue: stringParam(q, 'continue'),
    resourceVersion: stringParam(q, 'resourceVersion'),
  });
  if (neg.table) {
    const includeObject = stringParam(q, 'includeObject');
    const table = toTable(
      type,
      version,
      listItems(result),
      result.resourceVersion,
      includeObject,
      true,
      result.continue,
    );
    return send(res, 200, table, neg);
  }
  if (neg.yaml) return send(res, 200, JSON.parse(listBody(type, version, result)), neg);
  send(res, 200, listBody(type, version, result));
}

function startWatch(deps: WatchDeps, r: ResourceRequest): void {
  if (r.route.name !== undefined) {
    // A watch of one object (`/watch/.../NAME` or `.../NAME?watch=true`) is a watch of
    // the collection narrowed to that name.
    const byName = `metadata.name=${r.route.name}`;
    const existing = r.q.get('fieldSelector');
    r.q.set('fieldSelector', existing ? `${existing},${byName}` : byName);
  }
  serveWatch(deps, r.res, r.scope, r.q, r.neg, r.faultReq);
}

async function serveCreate(api: ApiCore, r: ResourceRequest): Promise<void> {
  const options = writeOptionsOf(r);
  const decoded = decodeBody(await r.body, mediaType(r.req), 'object', r.type);
  r.reply(201, await api.create(r.scope, decoded, options), r.neg);
}

async function serveUpdate(api: ApiCore, r: ResourceRequest): Promise<void> {
  const options = writeOptionsOf(r);
  const decoded = decodeBody(await r.body, mediaType(r.req), 'object', r.type);
  if (r.route.subresource === 'scale')
    return r.reply(200, await api.updateScale(r.scope, r.route.name!, decoded, options), r.neg);
  r.reply(200, await api.update(r.scope, r.route.name!, decoded, options, r.route.subresource), r.neg);
}

async function servePatch(api: ApiCore, r: ResourceRequest): Promise<void> {
  const media = mediaType(r.req);
  const patchType = PATCH_TYPES[media];
  if (!patchType) {
    throw new KubeEmulatorError(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${r.type.strategicMerge ? ', application/strategic-merge-patch+json' : ''}`,
    );
  }
  const options = writeOptionsOf(r);
  const decoded = decodeBody(await r.body, media, 'patch');
  const obj =
    r.route.subresource === 'scale'
      ? await api.patchScale(r.scope, r.route.name!, patchType, decoded, options)
      : await api.patch(r.scope, r.route.name!, patchType, decoded, options, r.route.subresource);
  r.reply(200, obj, r.neg);
}

/** The DeleteOptions of a delete (body, then query). */
async function deleteOptionsOf(r: ResourceRequest): Promise<DeleteOptions> {
  const raw = await r.body;
  return {
    ...deleteOptions(r.q, decodeBody(raw, mediaType(r.req) || 'application/json', 'delete')),
    admission: r.admission,
  };
}

async function serveDelete(api: ApiCore, r: ResourceRequest): Promise<void> {
  const options = await deleteOptionsOf(r);
  const { obj, gone } = await api.delete(r.scope, r.route.name!, options);
  r.reply(gone || options.dryRun ? 200 : 202, obj, r.neg);
}

async function serveDeleteCollection(api: ApiCore, r: ResourceRequest): Promise<void> {
  const options = await deleteOptionsOf(r);
  const items = await api.deleteCollection(r.scope, selectorsOf(r.q), options);
  r.reply(
    200,
    {
      kind: r.type.listKind,
      apiVersion: apiVersionOf(r.type.group, r.route.version),
      metadata: { resourceVersion: String(api.store.resourceVersion) },
      items,
    },
    r.neg,
  );
}

const VERBS: Record<Verb, (deps: WatchDeps, r: ResourceRequest) => void | Promise<void>> = {
  get: (deps, r) => serveGet(deps.api, r),
  list: (deps, r) => serveList(deps.api, r),
  watch: startWatch,
  create: (deps, r) => serveCreate(deps.api, r),
  update: (deps, r) => serveUpdate(deps.api, r),
  patch: (deps, r) => servePatch(deps.api, r),
  delete: (deps, r) => serveDelete(deps.api, r),
  deletecollection: (deps, r) => serveDeleteCollection(deps.api, r),
};

/** `POST pods/NAME/binding`. */
async function serveBinding(api: ApiCore, r: ResourceRequest): Promise<void> {
  const options = writeOptions(r.q);
  const decoded = decodeBody(await r.body, mediaType(r.req), 'object', r.type);
  await api.bind(r.scope, r.route.name!, decoded, options);
  r.reply(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

/**
 * Waits `ms` (an injected latency); false, at once, when the connection closes first (the client
 * gave up, or the emulator stops): nothing is left to answer and no timer outlives the request.
 */
function waitUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise(resolve => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}

/** The admission context of a request: its user, and warnings sent as `Warning` headers (each once). */
function admissionContext(res: ServerResponse, user: UserInfo | undefined): AdmissionRequestContext {
  const warnings: string[] = [];
  return {
    ...(user !== undefined ? { user } : {}),
    warn(text) {
      if (warnings.includes(text) || res.headersSent) return;
      warnings.push(text);
      res.setHeader('Warning', warnings.map(warningHeader));
    },
  };
}

/** Answers a request for a resource (or one of its subresources). */
export async function handleResource(
  deps: WatchDeps,
  req: IncomingMessage,
  res: ServerResponse,
  route: ResourceRoute,
  url: URL,
  body: Promise<Buffer>,
  user?: UserInfo,
): Promise<void> {
  const q = url.searchParams;
  const verb = verbOf(req.method ?? 'GET', route, boolParam(q, 'watch'));
  const type = resolveType(deps.api, route);
  if (!verb || (type.verbs && !type.verbs.includes(verb))) throw methodNotAllowed();
  checkAddressed(route, type, verb);
  if (verb === 'list' || verb === 'watch') checkListOptions(q, boolParam(q, 'watch'));
  const neg = negotiate(req.headers.accept);
  const scope = scopeFor(route, type);
  const faultReq = faultRequestFor(verb, scope, route);
  // Only an injected latency waits: without one the request is served in the same turn, as it
  // always was (a reply sent later lets a keep-alive connection see the rest of a body differently).
  const delay = deps.faults.delayFor(faultReq);
  if (delay > 0 && !(await waitUnlessClosed(res, delay))) return;
  const injected = drawFault(deps.faults, faultReq, verb);
  const r: ResourceRequest = {
    req,
    res,
    route,
    q,
    body,
    type,
    scope,
    neg,
    faultReq,
    admission: admissionContext(res, user),
    reply(code, payload, n) {
      if (injected) throw injected.error;
      send(res, code, payload, n);
    },
  };
  if (route.subresource === 'binding') return serveBinding(deps.api, r);
  return VERBS[verb](deps, r);
}

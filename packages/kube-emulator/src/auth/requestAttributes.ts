// SPDX-License-Identifier: Apache-2.0
/**
 * What a request asks to do, in the terms the authorizer decides on (the apiserver's
 * `RequestInfo` and `authorizer.Attributes`): for `/api` and `/apis` paths with a resource, its
 * verb (list, watch and deletecollection told apart from get and delete), API group, version,
 * namespace, resource, subresource and name; for any other path the path and the lowercase
 * HTTP method.
 */
import { type UserInfo } from './userInfo.js';

/** The attributes of one request, or of one access review. */
export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  path: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

/** The path split as the apiserver does: trimmed of slashes, then on `/`. */
function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

/** The verb of a resource request from its method, before list/watch/deletecollection are told apart. */
function methodVerb(method: string): string {
  switch (method) {
    case 'POST':
      return 'create';
    case 'GET':
    case 'HEAD':
      return 'get';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return '';
  }
}

/** Whether a `watch` query value asks for a watch (anything but `false` and `0`). */
function watchRequested(query: URLSearchParams): boolean {
  const value = query.get('watch');
  return value !== null && !['false', '0'].includes(value.toLowerCase());
}

/** A name a field selector pins with `metadata.name=X` (or `==`), as RequiresExactMatch reads it. */
function fieldSelectorName(query: URLSearchParams): string | undefined {
  const selector = query.get('fieldSelector');
  if (!selector) return undefined;
  for (const term of selector.split(',')) {
    const match = /^\s*metadata\.name\s*(?:==|=)\s*(.*?)\s*$/.exec(term);
    const name = match?.[1];
    if (name !== undefined && !name.includes('!')) {
      // Only a name that could be a path segment (IsValidPathSegmentName).
      if (name === '.' || name === '..' || name.includes('/') || name.includes('%')) return undefined;
      return name;
    }
  }
  return undefined;
}

/** The verb of a collection read: list or watch, and the name a field selector pins. */
function collectionRead(info: RequestAttributes, query: URLSearchParams): void {
  info.verb = watchRequested(query) ? 'watch' : 'list';
  const pinned = fieldSelectorName(query);
  if (pinned !== undefined) info.name = pinned;
}

/** Takes `namespaces/NS` off the front (not for a namespace's own `status`/`finalize`). */
function withoutNamespace(info: RequestAttributes, parts: string[]): string[] {
  const namespace = parts[1];
  if (parts[0] !== 'namespaces' || namespace === undefined) return parts;
  info.namespace = namespace;
  return parts.length > 2 && parts[2] !== 'status' && parts[2] !== 'finalize' ? parts.slice(2) : parts;
}

/** The parts after the version: a `watch`/`proxy` prefix, `namespaces/NS`, resource, name, subresource. */
function resourceParts(
  info: RequestAttributes,
  parts: string[],
  query: URLSearchParams,
  method: string,
): RequestAttributes {
  const first = parts[0];
  const viaPath = (first === 'watch' || first === 'proxy') && parts.length >= 2;
  info.verb = viaPath ? first : methodVerb(method);
  const rest = withoutNamespace(info, viaPath ? parts.slice(1) : parts);
  info.resource = rest[0] ?? '';
  info.name = rest[1] ?? '';
  if (rest.length >= 3 && info.verb !== 'proxy') info.subresource = rest[2] ?? '';
  if (info.name === '' && info.verb === 'get') collectionRead(info, query);
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

/**
 * The attributes of a request. `path` is the raw request path (not decoded further than the
 * HTTP layer does), `query` its query string.
 */
export function requestAttributes(
  user: UserInfo,
  method: string,
  path: string,
  query: URLSearchParams,
): RequestAttributes {
  const info: RequestAttributes = {
    user,
    verb: method.toLowerCase(),
    resourceRequest: false,
    path,
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
  let parts = splitPath(path);
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return info;
  const grouped = parts[0] === 'apis';
  parts = parts.slice(1);
  if (grouped) {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0] ?? '';
    parts = parts.slice(1);
  }
  info.resourceRequest = true;
  info.apiVersion = parts[0] ?? '';
  return resourceParts(info, parts.slice(1), query, method);
}

// SPDX-License-Identifier: Apache-2.0
/** Parses request paths into what the API addresses, as the apiserver's request-info resolver does. */
import { type Verb } from '../types.js';

/** A non-resource path (discovery, OpenAPI, health). */
export interface NonResourceRoute {
  kind: 'nonResource';
  path: string;
}

/** A resource path. */
export interface ResourceRoute {
  kind: 'resource';
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Legacy `/watch/` prefix. */
  legacyWatch: boolean;
}

/** A discovery path for a group or group/version. */
export interface DiscoveryRoute {
  kind: 'discovery';
  group?: string;
  version?: string;
  legacy: boolean;
}

export type Route = NonResourceRoute | ResourceRoute | DiscoveryRoute | { kind: 'unknown' };

/**
 * The segments of a request path, as the apiserver sees them: the path is percent-decoded first
 * (so `%2F` is a separator, as in Go's `URL.Path`) and split on `/`, with no `.` or `..`
 * resolution, so `configmaps/../secrets` never addresses secrets. Leading and trailing slashes
 * are trimmed; undefined for invalid percent-encoding or an empty segment inside the path.
 */
function segments(pathname: string): string[] | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const trimmed = decoded.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return [];
  const segs = trimmed.split('/');
  return segs.includes('') ? undefined : segs;
}

/** The group, version and remaining segments of an `/api` or `/apis` path; the route of any other. */
function groupVersion(segs: string[]): { group: string; version: string; rest: string[] } | Route {
  const [root, first, second] = segs;
  if (root === 'api') {
    if (first === undefined) return { kind: 'discovery', legacy: true };
    return { group: '', version: first, rest: segs.slice(2) };
  }
  if (root === 'apis') {
    if (first === undefined) return { kind: 'discovery', legacy: false };
    if (second === undefined) return { kind: 'discovery', group: first, legacy: false };
    return { group: first, version: second, rest: segs.slice(3) };
  }
  return { kind: 'nonResource', path: `/${segs.join('/')}` };
}

/** `[watch/][namespaces/NS/]PLURAL[/NAME[/SUBRESOURCE]]` after the group and version. */
function resourceRoute(group: string, version: string, segs: string[]): Route {
  const legacyWatch = segs[0] === 'watch';
  const rest = legacyWatch ? segs.slice(1) : segs;
  // `namespaces/NAME/status` and `namespaces/NAME/finalize` address a namespace, not its content.
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))
  ) {
    const [, namespace, plural, name, subresource, ...extra] = rest;
    if (extra.length > 0 || plural === undefined) return { kind: 'unknown' };
    return { kind: 'resource', group, version, plural, namespace, name, subresource, legacyWatch };
  }
  const [plural, name, subresource, ...extra] = rest;
  if (extra.length > 0 || plural === undefined) return { kind: 'unknown' };
  return { kind: 'resource', group, version, plural, name, subresource, legacyWatch };
}

/** Resolves a path. */
export function resolveRoute(pathname: string): Route {
  const segs = segments(pathname);
  if (!segs) return { kind: 'unknown' };
  if (segs.length === 0) return { kind: 'nonResource', path: '/' };
  const gv = groupVersion(segs);
  if ('kind' in gv) return gv;
  if (gv.rest.length === 0)
    return { kind: 'discovery', group: gv.group, version: gv.version, legacy: gv.group === '' };
  return resourceRoute(gv.group, gv.version, gv.rest);
}

/** GET of a collection is a list, of one object a get; either is a watch with `watch`. */
function readVerb(route: ResourceRoute, watchParam: boolean): Verb {
  if (route.legacyWatch || watchParam) return 'watch';
  return route.name === undefined ? 'list' : 'get';
}

/** The API verb of a resource request. */
export function verbOf(method: string, route: ResourceRoute, watchParam: boolean): Verb | undefined {
  const named = route.name !== undefined;
  switch (method) {
    case 'GET':
    case 'HEAD':
      return readVerb(route, watchParam);
    case 'POST':
      // A POST names an object only for `pods/NAME/binding`.
      return !named || route.subresource === 'binding' ? 'create' : undefined;
    case 'PUT':
      return named ? 'update' : undefined;
    case 'PATCH':
      return named ? 'patch' : undefined;
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

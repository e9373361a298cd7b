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

/** Splits and decodes a URL path; undefined when a segment is not valid percent-encoding. */
function segments(pathname: string): string[] | undefined {
  try {
    return pathname
      .split('/')
      .filter(s => s !== '')
      .map(s => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/** Resolves a path. */
export function resolveRoute(pathname: string): Route {
  const segs = segments(pathname);
  if (!segs) return { kind: 'unknown' };
  if (segs.length === 0) return { kind: 'nonResource', path: '/' };
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api') {
    if (segs.length === 1) return { kind: 'discovery', legacy: true };
    group = '';
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis') {
    if (segs.length === 1) return { kind: 'discovery', legacy: false };
    if (segs.length === 2) return { kind: 'discovery', group: segs[1], legacy: false };
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else {
    return { kind: 'nonResource', path: `/${segs.join('/')}` };
  }
  if (rest.length === 0) return { kind: 'discovery', group, version, legacy: group === '' };
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))
  ) {
    const [, namespace, plural, name, subresource, ...extra] = rest;
    if (extra.length > 0) return { kind: 'unknown' };
    return { kind: 'resource', group, version, plural, namespace, name, subresource, legacyWatch };
  }
  const [plural, name, subresource, ...extra] = rest;
  if (extra.length > 0 || plural === undefined) return { kind: 'unknown' };
  return { kind: 'resource', group, version, plural, name, subresource, legacyWatch };
}

/** The API verb of a resource request. */
export function verbOf(method: string, route: ResourceRoute, watchParam: boolean): Verb | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (route.legacyWatch || watchParam) return 'watch';
      return route.name === undefined ? 'list' : 'get';
    case 'POST':
      if (route.name !== undefined && route.subresource === 'binding') return 'create';
      return route.name === undefined ? 'create' : undefined;
    case 'PUT':
      return route.name === undefined ? undefined : 'update';
    case 'PATCH':
      return route.name === undefined ? undefined : 'patch';
    case 'DELETE':
      return route.name === undefined ? 'deletecollection' : 'delete';
    default:
      return undefined;
  }
}

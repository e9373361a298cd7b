// SPDX-License-Identifier: Apache-2.0
/** Content negotiation (JSON, YAML, Table) and the replies: bodies and `Status` errors. */
import { type ServerResponse } from 'node:http';
import { stringify as stringifyYaml } from 'yaml';
import { KubeEmulatorError } from '../errors.js';

/** What the client accepts. */
export interface Negotiated {
  table: boolean;
  yaml: boolean;
}

/** Reads `Accept`: a Table, YAML, or JSON (the default); 406 when only protobuf is accepted. */
export function negotiate(accept: string | undefined): Negotiated {
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

/** Sends a body (JSON text as is, other values as JSON or YAML); nothing once a reply went out. */
export function send(
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

/** Answers an error as a `Status`; anything not a KubeEmulatorError is logged and becomes a 500. */
export function sendError(res: ServerResponse, error: unknown, log?: (line: string) => void): void {
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

/** The 404 of a path or resource the server does not serve. */
export function notServed(): KubeEmulatorError {
  return new KubeEmulatorError('NotFound', 'the server could not find the requested resource');
}

/** The 405 of a method a path does not take. */
export function methodNotAllowed(): KubeEmulatorError {
  return new KubeEmulatorError(
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
  );
}

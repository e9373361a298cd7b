// SPDX-License-Identifier: Apache-2.0
// A request to the kubelet's API that cannot be served, answered as the kubelet's server does:
// an HTTP status from the error's kind (`not-found` 404, `invalid` 400, anything else 500) and a
// Kubernetes Status body.
import type { ServerResponse } from 'node:http';
import { ChaosplaneError } from '@chaosplane/sdk';

/** The HTTP status and Status reason of an error. */
export function kubeletStatusOf(error: unknown): { code: number; reason: string } {
  if (ChaosplaneError.isKind(error, 'not-found')) return { code: 404, reason: 'NotFound' };
  if (ChaosplaneError.isKind(error, 'invalid')) return { code: 400, reason: 'BadRequest' };
  return { code: 500, reason: 'InternalError' };
}

/** Answers `res` with the error as a Status (or just ends it once a body started). */
export function sendKubeletError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const { code, reason } = kubeletStatusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(body);
}

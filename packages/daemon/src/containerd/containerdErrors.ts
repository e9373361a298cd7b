// SPDX-License-Identifier: Apache-2.0
// What a failed containerd call means, for the callers of createContainerdApi.
import { ChaosplaneError } from '@chaosplane/sdk';
import { ClientError, Status } from 'nice-grpc';

/** True when a containerd call failed with NOT_FOUND. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ClientError && error.code === Status.NOT_FOUND;
}

/** True when a containerd call failed with ALREADY_EXISTS. */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof ClientError && error.code === Status.ALREADY_EXISTS;
}

/**
 * A containerd call's failure as a `runtime` error naming the call (and, when given, `where`:
 * `ContainerdApi.where`); a `ChaosplaneError` is returned as it is.
 */
export function containerdError(action: string, error: unknown, where?: string): ChaosplaneError {
  if (ChaosplaneError.is(error)) return error;
  const detail = error instanceof ClientError ? error.details : String(error);
  const place = where === undefined ? '' : ` in ${where}`;
  return new ChaosplaneError('runtime', `containerd ${action} failed${place}: ${detail}`, { cause: error });
}

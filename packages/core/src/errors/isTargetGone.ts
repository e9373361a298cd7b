// SPDX-License-Identifier: Apache-2.0
import { ClientError, Status } from 'nice-grpc-common';
import { ChaosplaneError } from './ChaosplaneError.js';

/**
 * True when an apply or recover failed because its target no longer exists: a ChaosplaneError
 * of kind `not-found` (what `decodePodRecord`/`decodeContainerRecord` throw), or a daemon call
 * answered NOT_FOUND (the container is gone from the node). The engine counts such a record as
 * recovered, so deleting an experiment never hangs on a vanished target.
 */
export function isTargetGone(error: unknown): boolean {
  if (ChaosplaneError.isKind(error, 'not-found')) return true;
  return error instanceof ClientError && error.code === Status.NOT_FOUND;
}

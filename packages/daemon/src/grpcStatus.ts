// SPDX-License-Identifier: Apache-2.0
// The one table between Chaosplane's error kinds and gRPC status codes: the daemon answers a
// failed call with the status of its error's kind, and the operator's daemon client turns the
// status back into a kind. docs/reference/daemon.md prints the same table.
import { ChaosplaneError, type ChaosplaneErrorKind } from '@chaosplane/sdk';
import { Status } from 'nice-grpc-common';

/** The status a daemon answers for each error kind. */
export const STATUS_OF_KIND: Readonly<Record<ChaosplaneErrorKind, Status>> = {
  invalid: Status.INVALID_ARGUMENT,
  selection: Status.INVALID_ARGUMENT,
  'not-found': Status.NOT_FOUND,
  conflict: Status.ALREADY_EXISTS,
  // A command that ran and failed: the target is not in a state the command can work with
  // (a read-only file, a missing tool). Retrying the same call will likely fail the same way.
  command: Status.FAILED_PRECONDITION,
  // The node lacks a kernel feature or tool: no retry helps until the node changes.
  unsupported: Status.UNIMPLEMENTED,
  runtime: Status.UNAVAILABLE,
  daemon: Status.UNAVAILABLE,
  aborted: Status.CANCELLED,
  plugin: Status.INTERNAL,
  internal: Status.INTERNAL,
};

/** The error kind the operator gives each status a daemon may answer; `internal` for the rest. */
const KIND_OF_STATUS: ReadonlyMap<Status, ChaosplaneErrorKind> = new Map([
  [Status.INVALID_ARGUMENT, 'invalid'],
  [Status.OUT_OF_RANGE, 'invalid'],
  [Status.NOT_FOUND, 'not-found'],
  [Status.ALREADY_EXISTS, 'conflict'],
  [Status.ABORTED, 'conflict'],
  [Status.FAILED_PRECONDITION, 'command'],
  [Status.UNIMPLEMENTED, 'unsupported'],
  [Status.CANCELLED, 'aborted'],
  [Status.UNAVAILABLE, 'daemon'],
  [Status.DEADLINE_EXCEEDED, 'daemon'],
  [Status.PERMISSION_DENIED, 'daemon'],
  [Status.UNAUTHENTICATED, 'daemon'],
  [Status.RESOURCE_EXHAUSTED, 'daemon'],
]);

/** The error kind the operator gives a daemon's status (the inverse of {@link STATUS_OF_KIND}). */
export function kindOfStatus(code: Status): ChaosplaneErrorKind {
  return KIND_OF_STATUS.get(code) ?? 'internal';
}

/** The status name as gRPC spells it (`FAILED_PRECONDITION`). */
export function statusName(code: Status): string {
  return Status[code] ?? String(code);
}

/** Wraps a daemon's failed answer as the operator shows it: `where: STATUS: details`. */
export function daemonCallError(
  where: string,
  code: Status,
  details: string,
  cause: unknown,
): ChaosplaneError {
  return new ChaosplaneError(kindOfStatus(code), `${where}: ${statusName(code)}: ${details}`, { cause });
}

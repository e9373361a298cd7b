// SPDX-License-Identifier: Apache-2.0
// The metadata a controller's daemon call carries, shared by the client pool and the server.

/** Metadata keys of a daemon call. */
export const CALL_METADATA = {
  /** The chaos object the call acts for. */
  chaosNamespace: 'chaos-namespace',
  chaosName: 'chaos-name',
  /** Its uid: journaled changes are keyed by it, so a recreated object never adopts old ones. */
  chaosUid: 'chaos-uid',
  /** The record (`ns/pod/container`) the call acts for. */
  record: 'chaos-record',
  /** When the experiment's duration ends, in ms since epoch: the daemon's own deadline. */
  deadline: 'chaos-deadline',
  /** Set by the server to the verified client-certificate CN; never trusted from a client. */
  peerIdentity: 'x-chaosplane-peer-identity',
} as const;

// SPDX-License-Identifier: Apache-2.0
import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import type { CallContext } from 'nice-grpc';

import { CALL_METADATA } from '../callMetadataKeys.js';

/** The chaos object a call acts for, from its metadata. */
export interface CallChaosRef {
  namespace: string;
  name: string;
  /** The object's uid, when the controller sent it. */
  uid?: string;
}

const PEER_IDENTITY_METADATA = CALL_METADATA.peerIdentity;

/**
 * A grpc-js server interceptor that writes the verified peer identity (subject CN of the client
 * certificate the TLS handshake checked) into the call metadata, replacing whatever a client
 * sent under that key. nice-grpc exposes only `peer` in CallContext; the interceptor is how a
 * handler learns who is calling.
 */
export const peerIdentityInterceptor: ServerInterceptor = (_methodDescriptor, call) =>
  new ServerInterceptingCall(call, {
    start: next => {
      next({
        onReceiveMetadata: (metadata, nextMetadata) => {
          const subject = call.getAuthContext().sslPeerCertificate?.subject as { CN?: unknown } | undefined;
          const commonName = subject?.CN;
          metadata.remove(PEER_IDENTITY_METADATA);
          if (typeof commonName === 'string' && commonName.length > 0)
            metadata.set(PEER_IDENTITY_METADATA, commonName);
          nextMetadata(metadata);
        },
      });
    },
  });

/** The verified caller identity of a call; empty without mTLS. */
export function callerIdentity(context: CallContext): string {
  return context.metadata.get(PEER_IDENTITY_METADATA) ?? '';
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const UID = /^[A-Za-z0-9-]{1,64}$/;
// `ns/pod`, `ns/pod/container`, or a plugin selector's id: names, dots, dashes and slashes.
const RECORD = /^[A-Za-z0-9]([-A-Za-z0-9_./:]{0,760}[A-Za-z0-9])?$/;

/** The chaos object named in the metadata, when its keys hold Kubernetes-style names. */
export function chaosOf(context: CallContext): CallChaosRef | undefined {
  const namespace = context.metadata.get(CALL_METADATA.chaosNamespace);
  const name = context.metadata.get(CALL_METADATA.chaosName);
  if (!namespace || !name || !NAME.test(namespace) || !NAME.test(name)) return undefined;
  const uid = context.metadata.get(CALL_METADATA.chaosUid);
  return uid && UID.test(uid) ? { namespace, name, uid } : { namespace, name };
}

/** The record the call acts for (`ns/pod/container`), when the metadata names a well-formed one. */
export function recordOf(context: CallContext): string | undefined {
  const record = context.metadata.get(CALL_METADATA.record);
  return record && RECORD.test(record) && !record.includes('..') ? record : undefined;
}

/** When the experiment ends (ms since epoch), when the metadata says so. */
export function deadlineOf(context: CallContext): number | undefined {
  const text = context.metadata.get(CALL_METADATA.deadline);
  if (!text || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

// SPDX-License-Identifier: Apache-2.0
import { ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import type { CallContext } from 'nice-grpc';

import type { CallChaosRef } from '../plugins/DaemonPlugin.js';

/** Metadata key the server sets to the verified client-certificate CN. */
export const PEER_IDENTITY_METADATA = 'x-chaosplane-peer-identity';
/** Metadata keys the controller sends naming the chaos object a call acts for. */
export const CHAOS_NAMESPACE_METADATA = 'chaos-namespace';
export const CHAOS_NAME_METADATA = 'chaos-name';

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

/** The chaos object named in the metadata, when both keys hold Kubernetes-style names. */
export function chaosOf(context: CallContext): CallChaosRef | undefined {
  const namespace = context.metadata.get(CHAOS_NAMESPACE_METADATA);
  const name = context.metadata.get(CHAOS_NAME_METADATA);
  if (!namespace || !name || !NAME.test(namespace) || !NAME.test(name)) return undefined;
  return { namespace, name };
}

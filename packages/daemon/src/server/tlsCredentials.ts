// SPDX-License-Identifier: Apache-2.0
import { ServerCredentials } from '@grpc/grpc-js';

/** PEM material for the daemon's mTLS. */
export interface DaemonTlsPems {
  caPem: Buffer;
  certPem: Buffer;
  keyPem: Buffer;
}

// grpc-js's createSsl() cannot set a minimum TLS version; these credentials are createSsl's
// with requestCert + rejectUnauthorized (client certificates required and verified against the
// CA) and minVersion TLSv1.3.
class Tls13ServerCredentials extends ServerCredentials {
  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

/** Server credentials for mTLS: TLS 1.3 only, client certificates required and verified. */
export function createMtlsServerCredentials(pems: DaemonTlsPems): ServerCredentials {
  return new Tls13ServerCredentials(
    { requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
    { ca: pems.caPem, cert: [pems.certPem], key: [pems.keyPem] },
  );
}

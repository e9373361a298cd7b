// SPDX-License-Identifier: Apache-2.0
/**
 * Signs and verifies ServiceAccount tokens: JWTs (ES256 with a P-256 key, which the apiserver
 * takes as `--service-account-signing-key-file` as it does RSA keys, and which is made in a
 * millisecond where an RSA key takes a second at every start; `kid` the SHA-256 of the public
 * key, as the apiserver names its keys) made and checked with `jose`, a maintained JOSE
 * library, rather than hand-written JWS code. The key is kept in the PKI directory (`sa.key`),
 * so tokens stay valid across restarts on one data directory.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type JWTPayload, SignJWT, exportJWK, jwtVerify } from 'jose';

/** The issuer of the tokens (kubeadm's default `--service-account-issuer`). */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** What go-jose allows a token's times to be off by (its `DefaultLeeway`). */
export const LEEWAY_SECONDS = 60;

/** The signer of one emulator. */
export interface TokenSigner {
  readonly issuer: string;
  /** The audiences the API server accepts (`--api-audiences`, the issuer by default). */
  readonly apiAudiences: string[];
  /** Signs the claims (iss is added). */
  sign(claims: JWTPayload): Promise<string>;
  /**
   * Verifies signature, issuer, audience and times; resolves to the claims, or rejects. Results
   * are cached until the token expires, as the apiserver's token cache does.
   */
  verify(token: string): Promise<JWTPayload>;
  /** The public key as a JSON Web Key Set (`/openid/v1/jwks`). */
  jwks(): Promise<{ keys: object[] }>;
}

/** The key in `dir/sa.key`, made there when missing; a fresh one without a directory. */
function loadKey(dir: string | undefined): KeyObject {
  const file = dir ? path.join(dir, 'sa.key') : undefined;
  if (file && fs.existsSync(file)) return createPrivateKey(fs.readFileSync(file, 'utf8'));
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return privateKey;
}

/** The key id: base64url of the SHA-256 of the DER public key. */
function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
}

/** A bounded cache of verified tokens; entries leave when their token expires. */
function verifiedCache(): {
  get(token: string): JWTPayload | undefined;
  set(token: string, claims: JWTPayload): void;
} {
  const entries = new Map<string, JWTPayload>();
  return {
    get(token) {
      const claims = entries.get(token);
      if (!claims) return undefined;
      if (typeof claims.exp === 'number' && claims.exp + LEEWAY_SECONDS <= Date.now() / 1000) {
        entries.delete(token);
        return undefined;
      }
      return claims;
    },
    set(token, claims) {
      if (entries.size >= 4096) entries.clear();
      entries.set(token, claims);
    },
  };
}

/** Creates the signer, with its key kept in `dir` when one is given. */
export function createTokenSigner(dir: string | undefined, issuer = DEFAULT_ISSUER): TokenSigner {
  const privateKey = loadKey(dir);
  const publicKey = createPublicKey(privateKey);
  const kid = keyId(publicKey);
  const cache = verifiedCache();
  const apiAudiences = [issuer];
  return {
    issuer,
    apiAudiences,
    sign: claims =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(issuer).sign(privateKey),
    async verify(token) {
      const cached = cache.get(token);
      if (cached) return cached;
      const { payload } = await jwtVerify(token, publicKey, {
        issuer,
        audience: apiAudiences,
        algorithms: ['ES256'],
        clockTolerance: LEEWAY_SECONDS,
      });
      cache.set(token, payload);
      return payload;
    },
    async jwks() {
      const jwk = await exportJWK(publicKey);
      return { keys: [{ ...jwk, use: 'sig', alg: 'ES256', kid }] };
    },
  };
}

// SPDX-License-Identifier: Apache-2.0
/**
 * ServiceAccount tokens as the apiserver issues and checks them (TokenRequest, bound tokens):
 * claims `iss`, `sub` (`system:serviceaccount:NS:NAME`), `aud`, `exp`, `iat`, `nbf`, `jti` and
 * `kubernetes.io` (namespace, the ServiceAccount's name and uid, and the Pod, Secret or Node
 * the token is bound to). A token authenticates only while its ServiceAccount exists with the
 * same uid and, when bound, while its object does: deleting either invalidates it.
 */
import { randomUUID } from 'node:crypto';
import { type JWTPayload } from 'jose';
import { KubeEmulatorError, conflict, notFound } from '../errors.js';
import { type ObjectStore, objectKey } from '../store/objectStore.js';
import { type KubeObject } from '../types.js';
import { LEEWAY_SECONDS, type TokenSigner } from './tokenSigner.js';
import { type UserInfo, serviceAccountGroups, serviceAccountUserName } from './userInfo.js';

/** An object a token is bound to (TokenRequest's `spec.boundObjectRef`). */
export interface BoundObjectRef {
  /** The kinds the apiserver can bind a token to. */
  kind: 'Pod' | 'Secret' | 'Node';
  /** `v1` (informational: the kind decides). */
  apiVersion?: string;
  /** The object's name (in the ServiceAccount's namespace, but a Node). */
  name: string;
  /** When given, must be the object's current uid. */
  uid?: string;
}

/** Options of {@link ServiceAccountTokens.createToken}. */
export interface CreateTokenOptions {
  /** Audiences; the API server's own (its issuer) when empty. */
  audiences?: string[];
  /** Lifetime; 3600 by default. */
  expirationSeconds?: number;
  /** The Pod, Secret or Node whose deletion invalidates the token. */
  boundObjectRef?: BoundObjectRef;
}

/** An issued token (TokenRequest's `status`). */
export interface IssuedToken {
  /** The signed JWT, for `Authorization: Bearer`. */
  token: string;
  /** RFC 3339. */
  expirationTimestamp: string;
}

/** The `kubernetes.io` claim. */
interface KubernetesClaim {
  namespace: string;
  serviceaccount: { name: string; uid: string };
  pod?: { name: string; uid: string };
  secret?: { name: string; uid: string };
  node?: { name: string; uid: string };
}

/** Issuing and authenticating ServiceAccount tokens. */
export interface ServiceAccountTokens {
  createToken(namespace: string, serviceAccount: string, options?: CreateTokenOptions): Promise<IssuedToken>;
  /** The user of a token, or undefined when it is not a valid ServiceAccount token now. */
  authenticate(token: string): Promise<UserInfo | undefined>;
}

const STORAGE: Record<BoundObjectRef['kind'], string> = { Pod: 'pods', Secret: 'secrets', Node: 'nodes' };

/** A live (not being deleted for longer than the leeway) stored object, or undefined. */
function live(store: ObjectStore, storageKey: string, namespace: string | undefined, name: string) {
  const entry = store.get(storageKey, objectKey(namespace, name));
  if (!entry) return undefined;
  const deleting = entry.obj.metadata.deletionTimestamp;
  if (deleting && Date.parse(deleting) < Date.now() - LEEWAY_SECONDS * 1000) return undefined;
  return entry.obj;
}

/** The bound object, checked as TokenRequest does: it exists, with the uid given. */
function boundObject(store: ObjectStore, namespace: string, ref: BoundObjectRef): KubeObject {
  const storageKey = STORAGE[ref.kind];
  if (!storageKey) {
    throw new KubeEmulatorError('BadRequest', `cannot bind token to object of type ${ref.kind}`);
  }
  const obj = live(store, storageKey, ref.kind === 'Node' ? undefined : namespace, ref.name);
  if (!obj) throw notFound('', storageKey, ref.name);
  if (ref.uid && ref.uid !== obj.metadata.uid) {
    throw conflict(
      '',
      ref.kind,
      ref.name,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  return obj;
}

/** The `kubernetes.io` claim of a token for `sa`, bound to `bound` (and a pod's node). */
function kubernetesClaim(
  store: ObjectStore,
  sa: KubeObject,
  bound: KubeObject | undefined,
  kind?: string,
): KubernetesClaim {
  const claim: KubernetesClaim = {
    namespace: sa.metadata.namespace!,
    serviceaccount: { name: sa.metadata.name!, uid: sa.metadata.uid! },
  };
  const ref = bound ? { name: bound.metadata.name!, uid: bound.metadata.uid! } : undefined;
  if (ref && kind === 'Pod') {
    claim.pod = ref;
    const nodeName = (bound?.spec as { nodeName?: string } | undefined)?.nodeName;
    const node = nodeName ? live(store, 'nodes', undefined, nodeName) : undefined;
    if (node) claim.node = { name: node.metadata.name!, uid: node.metadata.uid! };
  } else if (ref && kind === 'Secret') claim.secret = ref;
  else if (ref && kind === 'Node') claim.node = ref;
  return claim;
}

/** Whether the objects a token names still exist with the uids it carries. */
function stillValid(store: ObjectStore, k: KubernetesClaim): boolean {
  const sa = live(store, 'serviceaccounts', k.namespace, k.serviceaccount.name);
  if (!sa || sa.metadata.uid !== k.serviceaccount.uid) return false;
  const refs: Array<[string, string | undefined, { name: string; uid: string } | undefined]> = [
    ['pods', k.namespace, k.pod],
    ['secrets', k.namespace, k.secret],
  ];
  for (const [key, ns, ref] of refs) {
    if (ref && live(store, key, ns, ref.name)?.metadata.uid !== ref.uid) return false;
  }
  return true;
}

/** The user a valid token stands for, with the extra keys the apiserver sets. */
function userOf(claims: JWTPayload, k: KubernetesClaim): UserInfo {
  const extra: Record<string, string[]> = {};
  if (typeof claims.jti === 'string')
    extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
  if (k.pod) {
    extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
  }
  if (k.node) {
    extra['authentication.kubernetes.io/node-name'] = [k.node.name];
    extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
  }
  return {
    name: serviceAccountUserName(k.namespace, k.serviceaccount.name),
    uid: k.serviceaccount.uid,
    groups: serviceAccountGroups(k.namespace),
    extra,
  };
}

/** Creates the token service on a store and a signer. */
export function createServiceAccountTokens(store: ObjectStore, signer: TokenSigner): ServiceAccountTokens {
  return {
    async createToken(namespace, serviceAccount, options = {}) {
      const sa = live(store, 'serviceaccounts', namespace, serviceAccount);
      if (!sa) throw notFound('', 'serviceaccounts', serviceAccount);
      const ref = options.boundObjectRef;
      const bound = ref ? boundObject(store, namespace, ref) : undefined;
      const now = Math.floor(Date.now() / 1000);
      const exp = now + (options.expirationSeconds ?? 3600);
      const audiences = options.audiences?.length ? options.audiences : signer.apiAudiences;
      const token = await signer.sign({
        sub: serviceAccountUserName(namespace, serviceAccount),
        aud: audiences,
        iat: now,
        nbf: now,
        exp,
        jti: randomUUID(),
        'kubernetes.io': kubernetesClaim(store, sa, bound, ref?.kind),
      });
      return { token, expirationTimestamp: new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
    },
    async authenticate(token) {
      let claims: JWTPayload;
      try {
        claims = await signer.verify(token);
      } catch {
        return undefined;
      }
      const k = claims['kubernetes.io'] as KubernetesClaim | undefined;
      if (!k?.namespace || !k.serviceaccount?.name || !stillValid(store, k)) return undefined;
      return userOf(claims, k);
    },
  };
}

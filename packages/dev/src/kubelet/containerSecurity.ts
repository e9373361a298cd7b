// SPDX-License-Identifier: Apache-2.0
// A container's security context as the kubelet and the CRI runtime apply it: the user (runAsUser
// and runAsGroup over the image's USER, runAsNonRoot checked), the capabilities (the runtime's
// default set, `drop` then `add`, ALL meaning every one), privileged, readOnlyRootFilesystem and
// allowPrivilegeEscalation (no_new_privs when false).
import { LINUX_CAPABILITIES } from '@chaosplane/daemon';
import { ChaosplaneError } from '@chaosplane/sdk';

/** The securityContext fields the kubelet applies (pod-level ones are the defaults). */
export interface SecurityContextFields {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  supplementalGroups?: number[];
}

/** What the OCI spec gets from the security context. */
export interface ContainerSecurity {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** Capability names with the CAP_ prefix. */
  capabilities: string[];
  privileged: boolean;
  readOnlyRoot: boolean;
  noNewPrivileges: boolean;
}

/** Every capability Linux names (what `privileged` and `add: [ALL]` give). */
export const ALL_CAPABILITIES: readonly string[] = LINUX_CAPABILITIES.map(c => `CAP_${c}`);

/** `CAP_X` for `X` or `CAP_X`, upper-cased. */
function capName(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** The capability set: the runtime's defaults, minus `drop`, plus `add`. */
export function capabilitiesOf(
  defaults: readonly string[],
  caps: SecurityContextFields['capabilities'],
): string[] {
  const drop = (caps?.drop ?? []).map(capName);
  const add = (caps?.add ?? []).map(capName);
  let set = drop.includes('CAP_ALL') ? [] : defaults.filter(c => !drop.includes(c));
  if (add.includes('CAP_ALL')) set = [...ALL_CAPABILITIES];
  for (const c of add) if (c !== 'CAP_ALL' && !set.includes(c)) set.push(c);
  return set;
}

/** A numeric `uid[:gid]` of an image's USER; undefined for a user name. */
function numericUser(user: string): { uid: number; gid?: number } | undefined {
  const [u, g] = user.split(':');
  if (!/^\d+$/.test(u ?? '')) return undefined;
  return { uid: Number(u), ...(g !== undefined && /^\d+$/.test(g) ? { gid: Number(g) } : {}) };
}

/** The uid (and gid, when the image says) a container runs as, before runAsGroup. */
function userOf(
  runAsUser: number | undefined,
  runAsNonRoot: boolean | undefined,
  image: { user: string; lookupUser: (name: string) => { uid: number; gid: number } | undefined },
): { uid: number; gid?: number } {
  if (runAsUser !== undefined) return { uid: runAsUser };
  const imageUser = image.user.trim();
  if (imageUser === '') return { uid: 0 };
  const numeric = numericUser(imageUser);
  if (numeric) return numeric;
  if (runAsNonRoot === true)
    throw new ChaosplaneError(
      'invalid',
      `container has runAsNonRoot and image has non-numeric user (${imageUser}), cannot verify user is non-root`,
    );
  const found = image.lookupUser(imageUser.split(':')[0]!);
  if (!found)
    throw new ChaosplaneError(
      'invalid',
      `unable to find user ${imageUser}: no matching entries in passwd file`,
    );
  return found;
}

/**
 * Resolves the security of one container. `image.user` is the image's USER (`""` for root);
 * `lookupUser` resolves a user name in the container's /etc/passwd (undefined when unknown).
 * Fails `invalid` (the kubelet's CreateContainerConfigError) when runAsNonRoot cannot hold.
 */
export function containerSecurity(
  pod: SecurityContextFields | undefined,
  container: SecurityContextFields | undefined,
  image: { user: string; lookupUser: (name: string) => { uid: number; gid: number } | undefined },
  defaultCapabilities: readonly string[],
): ContainerSecurity {
  const pick = <K extends keyof SecurityContextFields>(key: K) => container?.[key] ?? pod?.[key];
  const { uid, gid } = userOf(pick('runAsUser'), pick('runAsNonRoot'), image);
  if (pick('runAsNonRoot') === true && uid === 0)
    throw new ChaosplaneError('invalid', 'container has runAsNonRoot and image will run as root');
  const privileged = container?.privileged === true;
  return {
    uid,
    gid: pick('runAsGroup') ?? gid ?? 0,
    additionalGids: pod?.supplementalGroups ?? [],
    capabilities: privileged
      ? [...ALL_CAPABILITIES]
      : capabilitiesOf(defaultCapabilities, container?.capabilities),
    privileged,
    readOnlyRoot: container?.readOnlyRootFilesystem === true,
    // Kubernetes' default allows escalation; privileged containers always may.
    noNewPrivileges: !privileged && container?.allowPrivilegeEscalation === false,
  };
}

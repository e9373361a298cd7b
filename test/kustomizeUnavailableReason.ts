// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';

/**
 * Why the install overlays (examples/install) cannot be built with this machine's kubectl, or
 * undefined. They use kustomize Components, `replacements` and `local-config` objects, which the
 * kustomize inside kubectl 1.27 and later (v5) has; Debian 12's kubernetes-client is kubectl 1.20,
 * whose kustomize (v2) has none of them.
 */
export function kustomizeUnavailableReason(): string | undefined {
  let version: { clientVersion?: { gitVersion?: string }; kustomizeVersion?: string };
  try {
    version = JSON.parse(
      execFileSync('kubectl', ['version', '--client', '-o', 'json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as typeof version;
  } catch (error) {
    return `kubectl is not usable here (scripts/install-system-deps.sh installs it): ${(error as Error).message}`;
  }
  const major = /^v(\d+)\./.exec(version.kustomizeVersion ?? '')?.[1];
  if (major !== undefined && Number(major) >= 5) return undefined;
  return `kubectl ${version.clientVersion?.gitVersion ?? '?'} embeds kustomize ${
    version.kustomizeVersion ?? '(unknown)'
  }; the install overlays need kustomize v5 (kubectl 1.27 or later)`;
}

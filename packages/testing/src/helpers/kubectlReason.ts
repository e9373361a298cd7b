// SPDX-License-Identifier: Apache-2.0
import { execFileSync } from 'node:child_process';

/**
 * Why the kubectl on PATH cannot serve a suite, or undefined: missing, or older than 1.`minMinor`
 * (`needs` says what for, e.g. "exec over WebSocket"). Debian 12's kubernetes-client is kubectl
 * 1.20: SPDY exec, kustomize v2, no OpenAPI v3.
 */
export function kubectlUnavailableReason(minMinor: number, needs: string): string | undefined {
  let minor: number;
  try {
    const out = execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
    const version = JSON.parse(out) as { clientVersion?: { major?: string; minor?: string } };
    minor = version.clientVersion?.major === '1' ? parseInt(version.clientVersion.minor ?? '', 10) : NaN;
  } catch (error) {
    return `kubectl is missing or failed (${(error as Error).message.split('\n')[0]}): scripts/install-system-deps.sh installs one`;
  }
  return minor >= minMinor
    ? undefined
    : `kubectl 1.${minor} is older than 1.${minMinor}, which ${needs} needs`;
}

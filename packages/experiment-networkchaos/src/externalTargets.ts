// SPDX-License-Identifier: Apache-2.0
// `externalTargets`: addresses outside the cluster, each an IPv4 address, an IPv4 CIDR or a host
// name, optionally followed by `:port` (Chaos Mesh's netutils ResolveCidr). Host names are
// resolved by the operator when a record is applied, as Chaos Mesh's controller does.
import { lookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { ChaosplaneError } from '@chaosplane/sdk';

/** One parsed external target. */
export interface ExternalTarget {
  /** What the host part is. */
  kind: 'cidr' | 'ip' | 'name';
  /** The host part: a normalised CIDR (`8.8.0.0/16`), an IP, or a host name. */
  host: string;
  /** The destination port, when one is given. */
  port?: number;
}

/** A destination the daemon matches: an IPv4 CIDR, and a port when the target named one. */
export interface Destination {
  cidr: string;
  port?: number;
}

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*\.?$/i;

/** `a.b.c.d/n` with the host bits cleared, as Go's `ipnet.String()` prints it; undefined if not a CIDR. */
export function normaliseCidr(text: string): string | undefined {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!match || !isIPv4(match[1]!)) return undefined;
  const bits = Number(match[2]);
  if (bits > 32) return undefined;
  const value = match[1]!.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const network = (value & mask) >>> 0;
  return `${[24, 16, 8, 0].map(shift => (network >>> shift) & 255).join('.')}/${bits}`;
}

/** Splits `host:port` when the text ends in a port (Go's net.SplitHostPort, IPv4 and names only). */
function splitPort(text: string): { host: string; portText?: string } {
  const at = text.lastIndexOf(':');
  if (at <= 0 || text.indexOf(':') !== at) return { host: text };
  return { host: text.slice(0, at), portText: text.slice(at + 1) };
}

/**
 * Parses one external target, or says why it is not one.
 * @returns the target, or a message naming what is wrong
 */
export function parseExternalTarget(text: string): ExternalTarget | string {
  const trimmed = text.trim();
  if (trimmed === '') return 'an external target must not be empty';
  if (isIPv6(trimmed) || trimmed.startsWith('['))
    return `${JSON.stringify(text)}: IPv6 external targets are not supported`;
  const { host, portText } = splitPort(trimmed);
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535)
      return `${JSON.stringify(text)}: the port must be a number from 1 to 65535`;
    port = Number(portText);
  }
  const withPort = port !== undefined ? { port } : {};
  if (host.includes('/')) {
    const cidr = normaliseCidr(host);
    return cidr === undefined
      ? `${JSON.stringify(text)} is not a valid IPv4 CIDR`
      : { kind: 'cidr', host: cidr, ...withPort };
  }
  if (isIPv4(host)) return { kind: 'ip', host, ...withPort };
  if (/^[\d.]+$/.test(host)) return `${JSON.stringify(text)} is not a valid IPv4 address`;
  if (!HOST_NAME.test(host)) return `${JSON.stringify(text)} is not an IP, a CIDR or a host name`;
  return { kind: 'name', host: host.replace(/\.$/, ''), ...withPort };
}

/**
 * The destinations of the external targets: CIDRs as written, IPs as /32, host names resolved now
 * to every IPv4 address they have (as Chaos Mesh, on each apply, so a DNS change is picked up by
 * the next apply only).
 * @throws ChaosplaneError of kind `invalid` for a malformed target, `not-found` when a name does not resolve
 */
export async function resolveExternalTargets(
  targets: readonly string[],
  resolve: (host: string) => Promise<string[]> = resolveIPv4,
): Promise<Destination[]> {
  const destinations: Destination[] = [];
  for (const text of targets) {
    const target = parseExternalTarget(text);
    if (typeof target === 'string')
      throw new ChaosplaneError('invalid', target, { field: 'spec.externalTargets' });
    const port = target.port !== undefined ? { port: target.port } : {};
    if (target.kind === 'cidr') destinations.push({ cidr: target.host, ...port });
    else if (target.kind === 'ip') destinations.push({ cidr: `${target.host}/32`, ...port });
    else
      for (const address of await resolve(target.host)) destinations.push({ cidr: `${address}/32`, ...port });
  }
  return destinations;
}

/** Every IPv4 address of `host`, through the system resolver. */
async function resolveIPv4(host: string): Promise<string[]> {
  try {
    const addresses = await lookup(host, { all: true, family: 4 });
    return [...new Set(addresses.map(a => a.address))];
  } catch (error) {
    throw new ChaosplaneError(
      'not-found',
      `external target ${JSON.stringify(host)} does not resolve: ${String(error)}`,
      {
        cause: error,
        field: 'spec.externalTargets',
      },
    );
  }
}

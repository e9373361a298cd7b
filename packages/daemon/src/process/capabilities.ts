// SPDX-License-Identifier: Apache-2.0
// The daemon's Linux capabilities, read from /proc, and what a plugin's daemon handler declared
// it needs of them. A DaemonSet that drops a capability a plugin needs would otherwise show up
// as "Operation not permitted" from tc or iptables deep in a command's stderr, on every apply;
// checked when the daemon starts, it is one message naming the capability and where to add it.
import { readFileSync } from 'node:fs';
import { ChaosplaneError } from '@chaosplane/sdk';

/** Linux capability names without `CAP_`, at their bit (include/uapi/linux/capability.h). */
export const LINUX_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
] as const;

/** A Linux capability, as Kubernetes' `securityContext.capabilities` names it (`NET_ADMIN`). */
export type LinuxCapability = (typeof LINUX_CAPABILITIES)[number];

/**
 * The effective capabilities in a `/proc/<pid>/status` text (this process's by default).
 * @throws ChaosplaneError `internal` when the text has no CapEff line
 */
export function effectiveCapabilities(
  status: string = readFileSync('/proc/self/status', 'utf8'),
): Set<LinuxCapability> {
  const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (match === null) throw new ChaosplaneError('internal', 'no CapEff line in /proc/self/status');
  const mask = BigInt(`0x${match[1]!}`);
  return new Set(LINUX_CAPABILITIES.filter((_, bit) => ((mask >> BigInt(bit)) & 1n) === 1n));
}

/**
 * Checks a plugin's declared capabilities are a list of names Kubernetes accepts (a JavaScript
 * plugin is not type-checked).
 * @throws ChaosplaneError `plugin` naming the plugin and what is wrong
 */
export function checkCapabilityNames(declared: unknown, owner: string): void {
  if (!Array.isArray(declared)) {
    throw new ChaosplaneError('plugin', `${owner}: daemon capabilities must be a list of names`, {
      field: 'capabilities',
    });
  }
  const known: readonly string[] = LINUX_CAPABILITIES;
  for (const name of declared as unknown[]) {
    if (typeof name !== 'string' || !known.includes(name)) {
      throw new ChaosplaneError(
        'plugin',
        `${owner}: capability ${JSON.stringify(name)} is not a Linux capability (write it as Kubernetes does: NET_ADMIN, without CAP_)`,
        { field: 'capabilities' },
      );
    }
  }
}

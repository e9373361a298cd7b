// SPDX-License-Identifier: Apache-2.0
// The OCI runtime spec of one pod container, from containerd's default spec (`ctr oci spec`):
// the argv, environment, working directory and user; the pod's network namespace (or the
// host's), the host PID and IPC namespaces when asked; the hostname; volume bind mounts; the
// capabilities, no_new_privs, a read-only root and privileged mode as the CRI runtime sets them;
// the memory limit.
import type { ContainerSecurity } from './containerSecurity.js';

/** A bind mount into the container. */
export interface ContainerMount {
  destination: string;
  source: string;
  readOnly: boolean;
}

/** What {@link buildOciSpec} puts into the default spec. */
export interface OciSpecInput {
  argv: string[];
  /** `NAME=value` entries. */
  env: string[];
  cwd: string;
  hostname: string;
  network: { netns: string } | 'host';
  hostPID: boolean;
  hostIPC: boolean;
  mounts: ContainerMount[];
  security: ContainerSecurity;
  /** The container's cgroup (`/namespace/id`). */
  cgroupsPath: string;
  /** The cgroup's memory limit in bytes (`resources.limits.memory`); none when undefined. */
  memoryLimitBytes?: number | undefined;
  terminal?: boolean;
}

type Json = Record<string, unknown>;

/** The namespaces of the default spec, with the network joined or left and host PID/IPC applied. */
function namespacesOf(base: { type: string; path?: string }[], input: OciSpecInput) {
  const drop = new Set<string>();
  if (input.network === 'host') drop.add('network');
  if (input.hostPID) drop.add('pid');
  if (input.hostIPC) drop.add('ipc');
  const kept = base.filter(ns => !drop.has(ns.type)).map(ns => ({ type: ns.type }));
  return kept.map(ns =>
    ns.type === 'network' && input.network !== 'host' ? { ...ns, path: input.network.netns } : ns,
  );
}

/** A privileged container sees /sys read-write and no masked or read-only paths. */
function mountsOf(base: Json[], input: OciSpecInput): Json[] {
  const defaults = base
    .filter(m => !input.mounts.some(v => v.destination === m['destination']))
    .map(m =>
      input.security.privileged && m['destination'] === '/sys'
        ? { ...m, options: (m['options'] as string[]).filter(o => o !== 'ro') }
        : m,
    );
  const binds = input.mounts.map(m => ({
    destination: m.destination,
    type: 'bind',
    source: m.source,
    options: ['rbind', 'rprivate', m.readOnly ? 'ro' : 'rw'],
  }));
  return [...defaults, ...binds];
}

/** The default spec made into this container's. */
export function buildOciSpec(base: Json, input: OciSpecInput): Json {
  const process = base['process'] as Json;
  const linux = base['linux'] as Json;
  const caps = input.security.capabilities;
  const spec: Json = {
    ...base,
    hostname: input.hostname,
    process: {
      ...process,
      terminal: input.terminal === true,
      args: input.argv,
      env: input.env,
      cwd: input.cwd,
      user: {
        uid: input.security.uid,
        gid: input.security.gid,
        ...(input.security.additionalGids.length > 0
          ? { additionalGids: input.security.additionalGids }
          : {}),
      },
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: input.security.noNewPrivileges,
    },
    root: { path: 'rootfs', readonly: input.security.readOnlyRoot },
    mounts: mountsOf(base['mounts'] as Json[], input),
    linux: {
      ...linux,
      cgroupsPath: input.cgroupsPath,
      ...(input.memoryLimitBytes !== undefined
        ? { resources: { ...(linux['resources'] as Json), memory: { limit: input.memoryLimitBytes } } }
        : {}),
      namespaces: namespacesOf(linux['namespaces'] as { type: string }[], input),
      ...(input.security.privileged ? { maskedPaths: [], readonlyPaths: [] } : {}),
    },
  };
  return spec;
}

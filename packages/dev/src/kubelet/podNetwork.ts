// SPDX-License-Identifier: Apache-2.0
// Pod networks for the local kubelet, as a kubelet's CNI setup makes them: each pod gets its own
// network namespace (bind-mounted under the kubelet's directory), wired by the real CNI plugins
// (Debian's containernetworking-plugins: bridge and host-local) to a bridge of this control
// plane, with a real IP from its /24. Pods reach each other and the node through the bridge.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';

const run = promisify(execFile);

/** Where Debian's containernetworking-plugins live. */
export const CNI_PLUGIN_DIR = '/usr/lib/cni';

/** Locks of the /24s in use by control planes of this host (one per plane, never shared). */
const SUBNET_LOCK_DIR = '/run/chaosplane-dev-net';

/** A pod's network: its namespace and its address. */
export interface PodNetworkAttachment {
  /** The bind-mounted network namespace, to join containers to. */
  netns: string;
  /** The pod's IP. */
  ip: string;
}

/** The pod networks of one control plane. */
export interface PodNetwork {
  /** The plane's subnet (`10.244.7.0/24`) and the bridge's address, the pods' gateway. */
  readonly subnet: string;
  readonly gateway: string;
  /** Where pods' network namespaces are bind-mounted. */
  readonly netnsDir: string;
  /**
   * Makes the bridge with the gateway's address now (CNI would at the first pod), so the node
   * can listen on the gateway before any pod runs; idempotent.
   */
  prepare(): Promise<void>;
  /** Creates the pod's namespace and wires it; idempotent per pod. */
  attach(podKey: string): Promise<PodNetworkAttachment>;
  /** Unwires the pod's namespace and removes it. */
  detach(podKey: string): Promise<void>;
  /** Detaches every pod, removes the bridge and gives the subnet back. */
  close(): Promise<void>;
}

/** Why pod networks cannot be made here, or undefined when they can. */
export function podNetworkUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'pod networks need root';
  for (const plugin of ['bridge', 'host-local'])
    if (!existsSync(path.join(CNI_PLUGIN_DIR, plugin)))
      return `the CNI ${plugin} plugin is not installed (Debian package containernetworking-plugins)`;
  return undefined;
}

/** True while the process that wrote a lock file lives. */
function lockHolderAlive(file: string): boolean {
  try {
    process.kill(Number(readFileSync(file, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

/** Claims a free /24 of 10.244.0.0/16 for this plane (a lock file per subnet; a dead holder's is taken over). */
function claimSubnet(): { index: number; release: () => void } {
  mkdirSync(SUBNET_LOCK_DIR, { recursive: true });
  for (let attempt = 0; attempt < 254; attempt++) {
    const index = 1 + ((process.pid + attempt) % 254);
    const file = path.join(SUBNET_LOCK_DIR, `${index}.lock`);
    if (existsSync(file) && lockHolderAlive(file)) continue;
    rmSync(file, { force: true });
    try {
      closeSync(openSync(file, 'wx'));
    } catch {
      continue; // another plane took it just now
    }
    writeFileSync(file, String(process.pid));
    return { index, release: () => rmSync(file, { force: true }) };
  }
  throw new ChaosplaneError('runtime', 'no free pod subnet in 10.244.0.0/16 for another control plane');
}

/** Runs the CNI plugin `type` with `command` for a pod's namespace; resolves with its JSON answer. */
function cni(
  type: string,
  command: 'ADD' | 'DEL',
  containerId: string,
  netns: string,
  config: object,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(CNI_PLUGIN_DIR, type), [], {
      env: {
        CNI_COMMAND: command,
        CNI_CONTAINERID: containerId,
        CNI_NETNS: netns,
        CNI_IFNAME: 'eth0',
        CNI_PATH: CNI_PLUGIN_DIR,
        PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', code => {
      if (code === 0)
        return resolve(stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>));
      reject(
        new ChaosplaneError(
          'runtime',
          `CNI ${type} ${command} for ${containerId} failed (${code}): ${stdout}`,
        ),
      );
    });
    // A plugin that fails before reading its config: its exit and output say why, not EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(config));
  });
}

/**
 * Creates the pod networks of a control plane whose state lives in `dir`: a bridge `cp-br<N>` and
 * the /24 `10.244.<N>.0/24`, N claimed for this plane alone.
 */
export function createPodNetwork(options: { dir: string; log: Logger }): PodNetwork {
  const { index, release } = claimSubnet();
  const bridge = `cp-br${index}`;
  const subnet = `10.244.${index}.0/24`;
  const netnsDir = path.join(options.dir, 'netns');
  const config = {
    cniVersion: '1.0.0',
    name: `chaosplane-dev-${index}`,
    type: 'bridge',
    bridge,
    isGateway: true,
    ipMasq: false,
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet }]],
      routes: [{ dst: '0.0.0.0/0' }],
      dataDir: path.join(options.dir, 'cni', 'ipam'),
    },
  };
  const attached = new Map<string, Promise<PodNetworkAttachment>>();
  const idOf = (podKey: string) => `cp-${createHash('sha256').update(podKey).digest('hex').slice(0, 12)}`;

  const attach = async (podKey: string): Promise<PodNetworkAttachment> => {
    const id = idOf(podKey);
    const netns = path.join(netnsDir, id);
    mkdirSync(netnsDir, { recursive: true });
    writeFileSync(netns, '');
    // A new network namespace, kept alive by the bind mount on `netns` (util-linux unshare).
    await run('unshare', [`--net=${netns}`, 'true']);
    await run('nsenter', [`--net=${netns}`, 'ip', 'link', 'set', 'lo', 'up']);
    const result = await cni('bridge', 'ADD', id, netns, config);
    const address = (result['ips'] as { address?: string }[] | undefined)?.[0]?.address;
    if (address === undefined) throw new ChaosplaneError('runtime', `CNI gave pod ${podKey} no IP`);
    options.log.info('pod network attached', { pod: podKey, ip: address, bridge });
    return { netns, ip: address.split('/')[0]! };
  };

  const detach = async (podKey: string): Promise<void> => {
    if (!attached.has(podKey)) return;
    attached.delete(podKey);
    const id = idOf(podKey);
    const netns = path.join(netnsDir, id);
    await cni('bridge', 'DEL', id, netns, config).catch((error: unknown) =>
      options.log.warn('CNI DEL failed', { pod: podKey, error: String(error) }),
    );
    await run('umount', [netns]).catch(() => undefined);
    rmSync(netns, { force: true });
  };

  const gateway = `10.244.${index}.1`;
  const prepare = async (): Promise<void> => {
    await run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']).catch(() => undefined);
    await run('ip', ['addr', 'add', `${gateway}/24`, 'dev', bridge]).catch(() => undefined);
    await run('ip', ['link', 'set', bridge, 'up']);
  };

  return {
    subnet,
    gateway,
    netnsDir,
    prepare,
    attach(podKey) {
      let attachment = attached.get(podKey);
      if (!attachment) {
        attachment = attach(podKey);
        attachment.catch(() => attached.delete(podKey));
        attached.set(podKey, attachment);
      }
      return attachment;
    },
    detach,
    async close() {
      for (const podKey of [...attached.keys()]) await detach(podKey);
      // A namespace whose attach was still under way when the plane stopped is not in `attached`
      // yet: unmount whatever is left, so the plane's directory can be removed (EBUSY otherwise).
      for (const name of existsSync(netnsDir) ? readdirSync(netnsDir) : []) {
        await run('umount', [path.join(netnsDir, name)]).catch(() => undefined);
        rmSync(path.join(netnsDir, name), { force: true });
      }
      await run('ip', ['link', 'del', bridge]).catch(() => undefined);
      release();
    },
  };
}

// SPDX-License-Identifier: Apache-2.0
import { existsSync } from 'node:fs';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { ChaosplaneError } from '@chaosplane/sdk';

/** Busybox applets linked into every test root filesystem's /bin. */
const APPLETS = [
  'sh',
  'sleep',
  'ps',
  'ls',
  'cat',
  'echo',
  'true',
  'false',
  'kill',
  'touch',
  'rm',
  'mkdir',
  'id',
  'env',
  'hostname',
  'readlink',
  'ip',
];

/** Path of the static busybox on this machine, if installed (Debian package busybox-static). */
export function busyboxPath(): string | undefined {
  return ['/bin/busybox', '/usr/bin/busybox'].find(p => existsSync(p));
}

/**
 * Writes a minimal root filesystem into `rootfs`: a copy of the static busybox, applet symlinks
 * in /bin, empty /proc /dev /sys /tmp /root, and an /etc/passwd with root. Enough for
 * `sleep`, `ps` and a shell in a container, with no image registry.
 */
export async function createBusyboxRootfs(rootfs: string): Promise<string> {
  const busybox = busyboxPath();
  if (!busybox)
    throw new ChaosplaneError('runtime', 'busybox is not installed (Debian package busybox-static)');
  for (const sub of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'root']) {
    await mkdir(path.join(rootfs, sub), { recursive: true });
  }
  await copyFile(busybox, path.join(rootfs, 'bin', 'busybox'));
  for (const applet of APPLETS) await symlink('busybox', path.join(rootfs, 'bin', applet));
  await writeFile(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  return rootfs;
}

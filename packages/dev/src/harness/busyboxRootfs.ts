// SPDX-License-Identifier: Apache-2.0
import { existsSync } from 'node:fs';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

import { ChaosplaneError } from '@chaosplane/sdk';

const execFileAsync = promisify(execFile);

/**
 * Every applet this busybox has (`busybox --list`), as the official busybox image links them:
 * a plugin or a test may run any of them (`tee`, `nc`, `wget`…) in a container.
 */
async function appletsOf(busybox: string): Promise<string[]> {
  const { stdout } = await execFileAsync(busybox, ['--list']);
  return stdout.split('\n').filter(name => /^[a-z0-9_.[-]+$/.test(name) && name !== 'busybox');
}

/** Path of the static busybox on this machine, if installed (Debian package busybox-static). */
export function busyboxPath(): string | undefined {
  return ['/bin/busybox', '/usr/bin/busybox'].find(p => existsSync(p));
}

/**
 * Writes a minimal root filesystem into `rootfs`, like the official busybox image: a copy of the
 * static busybox with every applet linked in /bin, empty /proc /dev /sys /tmp /root, and
 * /etc/passwd and /etc/group with root and nobody. No image registry is needed.
 */
export async function createBusyboxRootfs(rootfs: string): Promise<string> {
  const busybox = busyboxPath();
  if (!busybox)
    throw new ChaosplaneError('runtime', 'busybox is not installed (Debian package busybox-static)');
  for (const sub of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc', 'root']) {
    await mkdir(path.join(rootfs, sub), { recursive: true });
  }
  await copyFile(busybox, path.join(rootfs, 'bin', 'busybox'));
  for (const applet of await appletsOf(busybox)) await symlink('busybox', path.join(rootfs, 'bin', applet));
  await writeFile(
    path.join(rootfs, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
  );
  await writeFile(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nnobody:x:65534:\n');
  return rootfs;
}

// SPDX-License-Identifier: Apache-2.0
// The image a container runs: one in the kubelet's containerd (imported from an OCI archive; no
// registry is reachable, so a pull finds only what is there), or the busybox-static root
// filesystem for busybox images and pause images (and, by the kubelet's option, for any image it
// does not have), as every dev pod ran before images. A missing image is ErrImagePull (or
// ErrImageNeverPull with imagePullPolicy Never), as a kubelet reports it.
import fs from 'node:fs';
import path from 'node:path';
import { ChaosplaneError } from '@chaosplane/sdk';
import {
  type ImageConfig,
  normalizeImageName,
  resolveImage,
  type ResolvedImage,
} from '../containerd/images.js';
import type { KubeletState } from './kubeletState.js';

/** The PATH of the busybox root filesystem (its applets are in /bin). */
const BUSYBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** True for pause images (`registry.k8s.io/pause:3.10`, `gcr.io/google-containers/pause:latest`). */
export function isPauseImage(image: string | undefined): boolean {
  return image !== undefined && /(^|\/)pause([:@]|$)/.test(image);
}

/** True for busybox images (`busybox`, `busybox:1.36`, `docker.io/library/busybox:latest`). */
export function isBusyboxImage(image: string): boolean {
  return /(^|\/)busybox([:@]|$)/.test(image);
}

/** A failed image pull, with the reason a container's `waiting` state shows. */
export class ImagePullError extends ChaosplaneError {
  constructor(
    public readonly reason: 'ErrImagePull' | 'ErrImageNeverPull',
    message: string,
  ) {
    super('not-found', message);
  }
}

/** What a container is made from. */
export type ContainerImage =
  | { kind: 'image'; image: ResolvedImage; config: ImageConfig }
  | { kind: 'busybox'; imageId: string; config: ImageConfig; pause: boolean };

/** The pull policy Kubernetes defaults to: Always for `:latest` or no tag, else IfNotPresent. */
export function pullPolicyOf(image: string, given: string | undefined): string {
  if (given) return given;
  const name = normalizeImageName(image);
  return name.endsWith(':latest') ? 'Always' : 'IfNotPresent';
}

/** The busybox root filesystem's pseudo image: `sleep 3600` unless the pod says otherwise. */
function busyboxImage(pause: boolean): ContainerImage {
  return {
    kind: 'busybox',
    pause,
    imageId: pause ? 'busybox-static (pause)' : 'busybox-static',
    config: {
      Cmd: pause ? ['/bin/sleep', 'infinity'] : ['sleep', '3600'],
      Env: [`PATH=${BUSYBOX_PATH}`],
      WorkingDir: '/',
    },
  };
}

/** Resolves the image of a container as its pull policy says. */
export async function containerImage(
  state: KubeletState,
  image: string,
  imagePullPolicy: string | undefined,
): Promise<ContainerImage> {
  if (isPauseImage(image)) return busyboxImage(true);
  const found = await resolveImage(state.api, image, state.stop.signal);
  if (found) return { kind: 'image', image: found, config: found.config };
  if (isBusyboxImage(image) || state.unknownImages === 'busybox') return busyboxImage(false);
  if (pullPolicyOf(image, imagePullPolicy) === 'Never')
    throw new ImagePullError(
      'ErrImageNeverPull',
      `Container image "${image}" is not present with pull policy of Never`,
    );
  throw new ImagePullError(
    'ErrImagePull',
    `failed to pull image "${image}": no registry is reachable from the dev control plane; ` +
      'import the image from an OCI archive (chaosplane dev --image <archive>)',
  );
}

/** A user of a root filesystem's /etc/passwd (the first of `roots` that has one). */
export function lookupPasswd(
  roots: readonly string[],
  name: string,
): { uid: number; gid: number } | undefined {
  for (const root of roots) {
    const file = path.join(root, 'etc', 'passwd');
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const [user, , uid, gid] = line.split(':');
      if (user === name && uid !== undefined && gid !== undefined)
        return { uid: Number(uid), gid: Number(gid) };
    }
    return undefined;
  }
  return undefined;
}

// SPDX-License-Identifier: Apache-2.0
// Images of the local kubelet's containerd: OCI archives imported with `ctr images import` (no
// registry is reachable), and an image resolved the way a CRI runtime does: its name normalised
// as Docker references are, its manifest for this platform, its config (Entrypoint, Cmd, Env,
// User, WorkingDir) and the chain id of its unpacked layers, the parent of a container's snapshot.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { ChaosplaneError } from '@chaosplane/sdk';
import { type ContainerdApi, containerdError, isNotFound } from '@chaosplane/daemon/containerd';

const run = promisify(execFile);

/** The parts of an OCI image config a container is made from. */
export interface ImageConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Env?: string[] | null;
  User?: string;
  WorkingDir?: string;
}

/** An image found in containerd's store. */
export interface ResolvedImage {
  /** Its normalised name (`docker.io/library/busybox:1.36`). */
  name: string;
  /** What `containerStatuses[].imageID` shows: the repository with the image's digest. */
  imageId: string;
  config: ImageConfig;
  /** The chain id of its top layer: the parent of a container's snapshot. */
  chainId: string;
}

/**
 * A Docker-style image reference as containerd names it: `busybox` is
 * `docker.io/library/busybox:latest`, `me/app:1` is `docker.io/me/app:1`, a reference with a
 * registry host keeps it; a tag `latest` is added unless it has a tag or a digest.
 */
export function normalizeImageName(image: string): string {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  const hasHost = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = hasHost ? image : slash < 0 ? `docker.io/library/${image}` : `docker.io/${image}`;
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !name.includes('@')) name += ':latest';
  return name;
}

/** The repository of a normalised name: without its tag or digest. */
function repositoryOf(name: string): string {
  const at = name.indexOf('@');
  const withoutDigest = at < 0 ? name : name.slice(0, at);
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** Every image name in the namespace. */
async function imageNames(api: ContainerdApi, signal?: AbortSignal): Promise<Map<string, string>> {
  const { images } = await api.images.list({ filters: [] }, { signal });
  return new Map(images.map(image => [image.name, image.target?.digest ?? '']));
}

/**
 * Imports an OCI (or Docker) image archive into the namespace with `ctr images import`, which
 * unpacks it for this platform; resolves with the names it added or changed.
 */
export async function importImageArchive(
  api: ContainerdApi,
  archivePath: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const before = await imageNames(api, signal);
  try {
    await run(
      'ctr',
      ['--address', api.socketPath, '--namespace', api.namespace, 'images', 'import', '--', archivePath],
      { signal, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new ChaosplaneError(
      'runtime',
      `cannot import image archive ${archivePath}: ${stderr || String(error)}`,
      {
        cause: error,
      },
    );
  }
  const after = await imageNames(api, signal);
  return [...after].filter(([name, digest]) => before.get(name) !== digest).map(([name]) => name);
}

/** A blob of the content store, parsed as JSON. */
async function readJson<T>(api: ContainerdApi, digest: string, signal?: AbortSignal): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const chunk of api.content.read({ digest, offset: 0, size: 0 }, { signal })) {
    chunks.push(Buffer.from(chunk.data));
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string };
}

/** This machine's architecture as OCI names it. */
function ociArchitecture(): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };
  return names[process.arch] ?? process.arch;
}

/** The manifest of an index for linux on this architecture; the descriptor itself if a manifest. */
async function manifestOf(api: ContainerdApi, target: Descriptor, signal?: AbortSignal): Promise<Descriptor> {
  if (!/index|manifest\.list/.test(target.mediaType ?? '')) return target;
  const index = await readJson<{ manifests: Descriptor[] }>(api, target.digest, signal);
  const arch = ociArchitecture();
  const found = index.manifests.find(m => m.platform?.os === 'linux' && m.platform.architecture === arch);
  if (!found)
    throw new ChaosplaneError('runtime', `image index ${target.digest} has no manifest for linux/${arch}`);
  return found;
}

/** The chain id of layers with these diff ids (the OCI image spec's ChainID). */
export function chainIdOf(diffIds: readonly string[]): string {
  let chain = '';
  for (const diffId of diffIds) {
    chain =
      chain === '' ? diffId : `sha256:${createHash('sha256').update(`${chain} ${diffId}`).digest('hex')}`;
  }
  return chain;
}

/** The image `name` (any reference form) in containerd's store, or undefined when it is not there. */
export async function resolveImage(
  api: ContainerdApi,
  image: string,
  signal?: AbortSignal,
): Promise<ResolvedImage | undefined> {
  const name = normalizeImageName(image);
  let target: Descriptor;
  try {
    const found = await api.images.get({ name }, { signal });
    if (!found.image?.target) return undefined;
    target = { mediaType: found.image.target.mediaType, digest: found.image.target.digest };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw containerdError(`Images.Get(${name})`, error);
  }
  try {
    const manifest = await readJson<{ config: Descriptor }>(
      api,
      (await manifestOf(api, target, signal)).digest,
      signal,
    );
    const config = await readJson<{ config?: ImageConfig; rootfs?: { diff_ids?: string[] } }>(
      api,
      manifest.config.digest,
      signal,
    );
    return {
      name,
      imageId: `${repositoryOf(name)}@${target.digest}`,
      config: config.config ?? {},
      chainId: chainIdOf(config.rootfs?.diff_ids ?? []),
    };
  } catch (error) {
    throw containerdError(`reading image ${name}`, error);
  }
}

// SPDX-License-Identifier: Apache-2.0
// A pod's volumes on the node, as the kubelet's volume plugins set them up: emptyDir (a directory
// of the pod), hostPath (checked against its `type` as Kubernetes does, DirectoryOrCreate and
// FileOrCreate made), Secret and ConfigMap (all keys or the `items`, `defaultMode` or an item's
// `mode`, `optional`), downwardAPI, projected (Secrets, ConfigMaps, downward API and service
// account tokens in one directory), and the service account volume every container gets unless
// automountServiceAccountToken is false: `token`, `ca.crt` and `namespace` at
// /var/run/secrets/kubernetes.io/serviceaccount.
import fs from 'node:fs';
import path from 'node:path';
import { ChaosplaneError } from '@chaosplane/sdk';
import { readDataObject } from './containerEnv.js';
import { fieldRefValue } from './fieldRef.js';
import { HOST_IP, type KubeletState, type PodRecord } from './kubeletState.js';
import type { KeyToPath, PodVolume } from './podSpecTypes.js';

/** Where the service account volume is mounted in every container. */
export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The name of the volume the kubelet adds for it. */
export const SERVICE_ACCOUNT_VOLUME = 'kube-api-access';
/** How long a service account token is asked for (the kubelet's 1 h plus the 7 s it adds). */
const TOKEN_SECONDS = 3607;

/** One file of a volume: its path inside the volume, its content and mode. */
interface VolumeFile {
  path: string;
  content: Buffer;
  mode: number;
}

/** Writes `files` under `dir` (made fresh), refusing paths that leave it. */
function writeFiles(dir: string, files: VolumeFile[]): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const file of files) {
    const target = path.resolve(dir, file.path);
    if (!target.startsWith(`${dir}${path.sep}`))
      throw new ChaosplaneError('invalid', `volume item path ${JSON.stringify(file.path)} leaves the volume`);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    fs.writeFileSync(target, file.content, { mode: file.mode });
    fs.chmodSync(target, file.mode);
  }
}

/** The files of a Secret or ConfigMap: every key, or the `items`; none when optional and missing. */
async function dataFiles(
  state: KubeletState,
  record: PodRecord,
  kind: 'Secret' | 'ConfigMap',
  source: { name: string; items?: KeyToPath[]; optional?: boolean },
  defaultMode: number,
): Promise<VolumeFile[]> {
  const values = await readDataObject(state, kind, record.namespace, source.name);
  if (!values) {
    if (source.optional) return [];
    throw new ChaosplaneError('not-found', `${kind.toLowerCase()} "${source.name}" not found`);
  }
  if (!source.items) return [...values].map(([key, content]) => ({ path: key, content, mode: defaultMode }));
  const files: VolumeFile[] = [];
  for (const item of source.items) {
    const content = values.get(item.key);
    if (content === undefined) {
      if (source.optional) continue;
      throw new ChaosplaneError('not-found', `configmap references non-existent config key: ${item.key}`);
    }
    files.push({ path: item.path, content, mode: item.mode ?? defaultMode });
  }
  return files;
}

/** The files of downward API items. */
function downwardFiles(
  record: PodRecord,
  items: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[],
  defaultMode: number,
): VolumeFile[] {
  return items
    .filter(item => item.fieldRef)
    .map(item => ({
      path: item.path,
      content: Buffer.from(
        fieldRefValue(record.pod, item.fieldRef!.fieldPath, { podIP: record.sandbox.ip, hostIP: HOST_IP }),
      ),
      mode: item.mode ?? defaultMode,
    }));
}

/**
 * A token for the pod's service account: from the API server's TokenRequest when it serves it,
 * else the cluster's fallback token. The one place to change when tokens are always issued.
 */
export async function serviceAccountToken(
  state: KubeletState,
  record: PodRecord,
  audience: string | undefined,
  expirationSeconds: number,
): Promise<string> {
  const serviceAccount = record.spec.serviceAccountName ?? 'default';
  const issued = await state.core.requestToken(
    record.namespace,
    serviceAccount,
    { name: record.name, uid: record.uid },
    expirationSeconds,
    audience ? [audience] : [],
  );
  if (issued !== undefined) return issued;
  if (!state.cluster)
    throw new ChaosplaneError('runtime', 'the kubelet has no API server access for service account tokens');
  return state.cluster.fallbackToken;
}

/** The files of a projected volume. */
async function projectedFiles(
  state: KubeletState,
  record: PodRecord,
  volume: NonNullable<PodVolume['projected']>,
) {
  const mode = volume.defaultMode ?? 0o644;
  const files: VolumeFile[] = [];
  for (const source of volume.sources ?? []) {
    if (source.secret) files.push(...(await dataFiles(state, record, 'Secret', source.secret, mode)));
    if (source.configMap)
      files.push(...(await dataFiles(state, record, 'ConfigMap', source.configMap, mode)));
    if (source.downwardAPI) files.push(...downwardFiles(record, source.downwardAPI.items ?? [], mode));
    if (source.serviceAccountToken) {
      const { audience, expirationSeconds, path: tokenPath } = source.serviceAccountToken;
      const token = await serviceAccountToken(state, record, audience, expirationSeconds ?? TOKEN_SECONDS);
      files.push({ path: tokenPath, content: Buffer.from(token), mode });
    }
  }
  return files;
}

/** What each hostPath `type` checks: what the path must be, and what is made when it is missing. */
const HOST_PATH_TYPES: Record<
  string,
  { what: string; is: (stat: fs.Stats) => boolean; create?: (target: string) => void }
> = {
  DirectoryOrCreate: {
    what: 'directory',
    is: stat => stat.isDirectory(),
    create: target => fs.mkdirSync(target, { recursive: true, mode: 0o755 }),
  },
  Directory: { what: 'directory', is: stat => stat.isDirectory() },
  FileOrCreate: {
    what: 'file',
    is: stat => stat.isFile(),
    create: target => fs.writeFileSync(target, '', { mode: 0o644 }),
  },
  File: { what: 'file', is: stat => stat.isFile() },
  Socket: { what: 'socket', is: stat => stat.isSocket() },
  CharDevice: { what: 'character device', is: stat => stat.isCharacterDevice() },
  BlockDevice: { what: 'block device', is: stat => stat.isBlockDevice() },
};

/**
 * hostPath's `type` check (and creation), as the kubelet does before mounting, on the node's
 * paths as containerd's containers see them (reached from here through `nodeRoot`); the path
 * returned is the mount's source, which runc resolves in that view.
 */
function checkHostPath(hostPath: NonNullable<PodVolume['hostPath']>, nodeRoot: string): string {
  const target = hostPath.path;
  const type = hostPath.type ?? '';
  if (type === '') return target;
  const rule = HOST_PATH_TYPES[type];
  if (!rule)
    throw new ChaosplaneError('invalid', `hostPath type ${JSON.stringify(type)} is not one Kubernetes knows`);
  const onNode = path.join(nodeRoot, target);
  const stat = fs.statSync(onNode, { throwIfNoEntry: false });
  if (!stat && rule.create) rule.create(onNode);
  else if (!stat || !rule.is(stat))
    throw new ChaosplaneError('not-found', `hostPath type check failed: ${target} is not a ${rule.what}`);
  return target;
}

/** Sets up one volume; resolves with its path on the host. */
async function setUpVolume(state: KubeletState, record: PodRecord, volume: PodVolume): Promise<string> {
  const dir = path.join(record.dir, 'volumes', volume.name);
  if (volume.hostPath) return checkHostPath(volume.hostPath, state.containerd.nodeRoot);
  if (volume.secret) {
    const { secretName, defaultMode, ...rest } = volume.secret;
    writeFiles(
      dir,
      await dataFiles(state, record, 'Secret', { name: secretName, ...rest }, defaultMode ?? 0o644),
    );
  } else if (volume.configMap) {
    const { defaultMode, ...rest } = volume.configMap;
    writeFiles(dir, await dataFiles(state, record, 'ConfigMap', rest, defaultMode ?? 0o644));
  } else if (volume.downwardAPI) {
    writeFiles(
      dir,
      downwardFiles(record, volume.downwardAPI.items ?? [], volume.downwardAPI.defaultMode ?? 0o644),
    );
  } else if (volume.projected) {
    writeFiles(dir, await projectedFiles(state, record, volume.projected));
  } else {
    // emptyDir, and kinds with no node-side content here: a directory of the pod, writable by all.
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o777);
  }
  return dir;
}

/** Whether the pod gets the service account volume: automount unless the pod or its account say no. */
async function automounts(state: KubeletState, record: PodRecord): Promise<boolean> {
  if (!state.cluster) return false;
  if (record.spec.automountServiceAccountToken !== undefined) return record.spec.automountServiceAccountToken;
  const account = await state.core.readCore<{ automountServiceAccountToken?: boolean }>(
    'serviceaccounts',
    record.namespace,
    record.spec.serviceAccountName ?? 'default',
  );
  return account?.automountServiceAccountToken !== false;
}

/** Sets up every volume of the pod (and its service account volume) into `record.volumes`. */
export async function setUpVolumes(state: KubeletState, record: PodRecord): Promise<void> {
  for (const volume of record.spec.volumes ?? [])
    record.volumes.set(volume.name, await setUpVolume(state, record, volume));
  if (await automounts(state, record)) {
    const token = await serviceAccountToken(state, record, undefined, TOKEN_SECONDS);
    const dir = path.join(record.dir, 'volumes', SERVICE_ACCOUNT_VOLUME);
    writeFiles(dir, [
      { path: 'token', content: Buffer.from(token), mode: 0o644 },
      { path: 'ca.crt', content: Buffer.from(state.cluster!.caCert), mode: 0o644 },
      { path: 'namespace', content: Buffer.from(record.namespace), mode: 0o644 },
    ]);
    record.volumes.set(SERVICE_ACCOUNT_VOLUME, dir);
  }
  // The pod's /etc/hosts, as the kubelet writes it: its own name on its IP.
  const hosts = path.join(record.dir, 'etc-hosts');
  fs.writeFileSync(
    hosts,
    `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${record.sandbox.ip}\t${record.name}\n`,
  );
  record.volumes.set('etc-hosts', hosts);
}

// SPDX-License-Identifier: Apache-2.0
// Starts one instance of a pod's container: its image (or the busybox root filesystem), its
// environment, argv, volume mounts and security context into an OCI spec, run by containerd with
// its output going to the instance's log file.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ChaosplaneError } from '@chaosplane/sdk';
import { runContainer, type ContainerRootfs } from '../containerd/runContainer.js';
import { createBusyboxRootfs } from '../harness/busyboxRootfs.js';
import { containerArgv } from './containerArgv.js';
import { containerEnv } from './containerEnv.js';
import { containerImage, type ContainerImage, lookupPasswd } from './containerImage.js';
import { containerLogDir, createLogWriter, logFileOf } from './containerLog.js';
import { containerSecurity } from './containerSecurity.js';
import type { ContainerInstance, ContainerSlot, KubeletState, PodRecord } from './kubeletState.js';
import { buildOciSpec, type ContainerMount } from './ociSpec.js';
import type { PodContainer } from './podSpecTypes.js';
import { parseByteQuantity } from './parseQuantity.js';
import { SERVICE_ACCOUNT_MOUNT, SERVICE_ACCOUNT_VOLUME } from './podVolumes.js';

/** The argv of a busybox container: a pause image sleeps; bare names are busybox applets in /bin. */
function busyboxArgv(image: Extract<ContainerImage, { kind: 'busybox' }>, argv: string[]): string[] {
  if (image.pause) return ['/bin/sleep', 'infinity'];
  const [program, ...rest] = argv.length > 0 ? argv : ['sleep', '3600'];
  return [program!.includes('/') ? program! : `/bin/${program}`, ...rest];
}

/** `resources.limits.memory` in bytes, or undefined without one. */
function memoryLimitOf(container: PodContainer): number | undefined {
  const memory = container.resources?.limits?.['memory'];
  return memory === undefined
    ? undefined
    : parseByteQuantity(memory, `spec.containers[${container.name}].resources.limits.memory`);
}

/** The CRI log file of the slot's next instance (one per restart, as `--previous` reads them). */
function instanceLogFile(state: KubeletState, record: PodRecord, slot: ContainerSlot): string {
  const pod = { namespace: record.namespace, name: record.name, uid: record.uid };
  return logFileOf(containerLogDir(state.dirs.logs, pod, slot.name), slot.restartCount);
}

/**
 * A volume mount's subPath, refused as Kubernetes refuses it: absolute, or with a `..` element
 * (it would reach outside the volume, on the host, for a kubelet running as root).
 */
export function checkedSubPath(mountName: string, subPath: string): string {
  if (path.isAbsolute(subPath) || subPath.split('/').includes('..'))
    throw new ChaosplaneError(
      'invalid',
      `volume mount ${mountName}: subPath ${JSON.stringify(subPath)} must be a relative path without '..'`,
    );
  return subPath;
}

/** The container's bind mounts: its volumeMounts, the service account volume, /etc/hosts. */
function mountsOf(record: PodRecord, container: PodContainer): ContainerMount[] {
  const mounts: ContainerMount[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const source = record.volumes.get(mount.name);
    if (source === undefined)
      throw new ChaosplaneError('invalid', `volume mount ${mount.name} names no volume of the pod`);
    mounts.push({
      destination: mount.mountPath,
      source: mount.subPath ? path.join(source, checkedSubPath(mount.name, mount.subPath)) : source,
      readOnly: mount.readOnly === true,
    });
  }
  const account = record.volumes.get(SERVICE_ACCOUNT_VOLUME);
  if (account !== undefined && !mounts.some(m => m.destination === SERVICE_ACCOUNT_MOUNT))
    mounts.push({ destination: SERVICE_ACCOUNT_MOUNT, source: account, readOnly: true });
  const hosts = record.volumes.get('etc-hosts');
  if (hosts !== undefined && !mounts.some(m => m.destination === '/etc/hosts'))
    mounts.push({ destination: '/etc/hosts', source: hosts, readOnly: false });
  return mounts;
}

/** A unique containerd id for a new instance. */
function instanceId(state: KubeletState, record: PodRecord, slot: ContainerSlot): string {
  const unique = `${Date.now().toString(36)}${(state.started++).toString(36)}`;
  return `${record.namespace}-${record.name}-${slot.name}-${unique}`.replace(/[^A-Za-z0-9_.-]/g, '-');
}

/** The labels containerd keeps for a container of a pod (as the CRI runtime sets them). */
function labelsOf(record: PodRecord, slot: ContainerSlot): Record<string, string> {
  return {
    'io.kubernetes.pod.name': record.name,
    'io.kubernetes.pod.namespace': record.namespace,
    'io.kubernetes.pod.uid': record.uid,
    'io.kubernetes.container.name': slot.name,
  };
}

/** Starts a new instance of `slot` from `container`; fails with the reason the kubelet would show. */
export async function startInstance(
  state: KubeletState,
  record: PodRecord,
  slot: ContainerSlot,
  container: PodContainer,
): Promise<ContainerInstance> {
  const image = await containerImage(state, slot.image, container.imagePullPolicy);
  const env = await containerEnv(state, record, container, image.config.Env ?? []);
  let argv = containerArgv(
    {
      command: container.command,
      args: container.args,
      entrypoint: image.config.Entrypoint,
      cmd: image.config.Cmd,
    },
    env,
  );
  if (image.kind === 'busybox') argv = busyboxArgv(image, argv);
  if (argv.length === 0)
    throw new ChaosplaneError('invalid', 'failed to generate container spec: no command specified');
  const mounts = mountsOf(record, container);
  const memoryLimitBytes = memoryLimitOf(container);
  const id = instanceId(state, record, slot);
  const rootfs: ContainerRootfs =
    image.kind === 'image'
      ? { kind: 'image', image: image.image }
      : { kind: 'dir', path: await createBusyboxRootfs(path.join(state.dirs.rootfs, id)) };
  const logFile = instanceLogFile(state, record, slot);
  const log = createLogWriter(logFile, state.logMaxBytes);
  const defaults =
    (state.baseSpec['process'] as { capabilities?: { bounding?: string[] } }).capabilities?.bounding ?? [];
  try {
    const started = await runContainer(state.api, {
      id,
      rootfs,
      fifoParent: state.dirs.fifos,
      labels: labelsOf(record, slot),
      output: (stream, chunk) => log.write(stream, chunk),
      spec: roots =>
        buildOciSpec(state.baseSpec, {
          argv,
          env: [...env].map(([k, v]) => `${k}=${v}`),
          cwd: container.workingDir || image.config.WorkingDir || '/',
          hostname: record.name,
          network: record.sandbox.network,
          hostPID: record.spec.hostPID === true,
          hostIPC: record.spec.hostIPC === true,
          mounts,
          security: containerSecurity(
            record.spec.securityContext,
            container.securityContext,
            { user: image.config.User ?? '', lookupUser: name => lookupPasswd(roots, name) },
            defaults,
          ),
          cgroupsPath: `/${state.api.namespace}/${id}`,
          memoryLimitBytes,
        }),
      signal: state.stop.signal,
    });
    return {
      bareId: started.bareId,
      pid: started.pid,
      startedAt: new Date(),
      imageId: image.kind === 'image' ? image.image.imageId : image.imageId,
      logFile,
      log,
      exited: started.exited,
      ...(rootfs.kind === 'dir' ? { rootfsDir: rootfs.path } : {}),
    };
  } catch (error) {
    log.close();
    if (rootfs.kind === 'dir') await rm(rootfs.path, { recursive: true, force: true });
    throw error;
  }
}

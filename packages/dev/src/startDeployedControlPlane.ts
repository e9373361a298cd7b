// SPDX-License-Identifier: Apache-2.0
// `chaosplane dev --deployed`: Chaosplane as a cluster runs it. The dev cluster (kube-emulator,
// the workload controllers, the local kubelet on containerd) imports the container image, and
// the real kubectl applies deploy/ as it is, through a kustomization that only names the
// imported image: the operator runs as its Deployment's pods with in-cluster config and its
// ServiceAccount's RBAC, the daemon as its DaemonSet's pod with hostPID, the runtime socket and
// its journal on hostPath, both with the certificates deploy/certs/generate.sh makes.
//
// The node's paths are a kind node's: containerd runs in a mount namespace of its own where
// /run/containerd (the runtime socket's directory deploy/daemon.yaml mounts) is containerd's
// directory and /var/lib/chaosplane (the daemon's journal) a directory of the plane, so a plane
// never touches a real node's socket or journal, and the daemon finds its journal again when
// the DaemonSet replaces its pod.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { ChaosplaneError } from '@chaosplane/sdk';
import { deployDir } from './deployDir.js';
import { podNetworkUnavailableReason } from './kubelet/podNetwork.js';
import { runKubectl } from './runKubectl.js';
import {
  prepareDevPlane,
  startDevCluster,
  type DevCluster,
  type DevClusterOptions,
} from './startDevCluster.js';

const run = promisify(execFile);

/** The namespace, workloads and labels of deploy/ (namespace.yaml, operator.yaml, daemon.yaml). */
export const DEPLOYED = {
  namespace: 'chaosplane',
  operator: { deployment: 'chaosplane-operator', selector: 'app.kubernetes.io/name=chaosplane-operator' },
  daemon: { daemonSet: 'chaosplane-daemon', selector: 'app.kubernetes.io/name=chaosplane-daemon' },
  /** The leader election Lease of the operator's replicas. */
  lease: 'chaosplane-operator',
  /** The image deploy/ names, which the kustomization replaces with the imported one. */
  image: 'ghcr.io/chaosplane/chaosplane',
} as const;

/** Options of {@link startDeployedControlPlane}. */
export interface DeployedControlPlaneOptions extends DevClusterOptions {
  /**
   * The image's OCI archive (scripts/build-image.sh writes .chaosplane/image/chaosplane-<version>.oci.tar),
   * imported before anything else of {@link DevClusterOptions.images}.
   */
  image: string;
  /** The deploy/ directory applied; the repository's by default. */
  deploy?: string;
  /** How long the operator's and the daemon's rollouts get to finish; 180 s by default. */
  readyTimeoutMs?: number;
}

/** A dev cluster running deploy/: the operator and the daemon as pods. */
export interface DeployedControlPlane extends DevCluster {
  /** The image reference the pods run (the archive's name for it). */
  image: string;
  /** The directory of the kustomization applied: deploy/ with the image named. */
  kustomization: string;
  /** Runs the real kubectl against the plane (argv only); resolves with its stdout. */
  kubectl(args: string[], stdin?: string): Promise<string>;
  /** The pods of the operator's Deployment, as the API lists them now. */
  operatorPods(): Promise<V1Pod[]>;
  /** The pods of the daemon's DaemonSet, as the API lists them now. */
  daemonPods(): Promise<V1Pod[]>;
  /** The name of the operator pod holding the leader Lease (undefined while none does). */
  leaderPod(): Promise<string | undefined>;
  /** Waits until the operator's Deployment and the daemon's DaemonSet are rolled out and ready. */
  waitReady(timeoutMs?: number): Promise<void>;
}

/** Splits `registry/repo:tag` (or `…@sha256:…`) into kustomize's newName and newTag or digest. */
export function kustomizeImage(reference: string): { newName: string; newTag?: string; digest?: string } {
  const at = reference.indexOf('@');
  if (at >= 0) return { newName: reference.slice(0, at), digest: reference.slice(at + 1) };
  const colon = reference.lastIndexOf(':');
  return colon > reference.lastIndexOf('/')
    ? { newName: reference.slice(0, colon), newTag: reference.slice(colon + 1) }
    : { newName: reference };
}

/** Writes the kustomization that applies `deploy` with `image`; returns its directory. */
async function writeKustomization(dir: string, deploy: string, image: string): Promise<string> {
  const overlay = path.join(dir, 'deployed');
  await mkdir(overlay, { recursive: true });
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    // kustomize refuses an absolute path to a base.
    resources: [path.relative(overlay, deploy)],
    images: [{ name: DEPLOYED.image, ...kustomizeImage(image) }],
  };
  await writeFile(
    path.join(overlay, 'kustomization.yaml'),
    // JSON is YAML: kustomize reads it as it is.
    `${JSON.stringify(kustomization, null, 2)}\n`,
  );
  return overlay;
}

/** Why the deployed plane cannot run here, or undefined. */
function deployedUnavailableReason(options: DeployedControlPlaneOptions, deploy: string | undefined) {
  if (deploy === undefined)
    return "chaosplane dev --deployed applies the repository's deploy/ (run it from a clone)";
  if (!existsSync(options.image))
    return `no image archive at ${options.image}: build it with sudo npm run image (scripts/build-image.sh, minutes)`;
  const network = podNetworkUnavailableReason();
  if (network !== undefined)
    return `the operator reaches the daemon at its pod IP, but pod networks cannot be made here: ${network}`;
  return undefined;
}

/** The pods of the plane matching `selector` in deploy/'s namespace. */
async function podsOf(cluster: Omit<DevCluster, 'stop'>, selector: string): Promise<V1Pod[]> {
  const list = await cluster.kube.request<{ items: V1Pod[] }>(
    'GET',
    `/api/v1/namespaces/${DEPLOYED.namespace}/pods?labelSelector=${encodeURIComponent(selector)}`,
  );
  return list.items;
}

/** The operator pod named by the Lease's holder (`<pod name>-<pid>`, the operator's default identity). */
async function leaderOf(cluster: Omit<DevCluster, 'stop'>): Promise<string | undefined> {
  const lease = await cluster.kube
    .request<{ spec?: { holderIdentity?: string } }>(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${DEPLOYED.namespace}/leases/${DEPLOYED.lease}`,
    )
    .catch((error: unknown) => {
      if (ChaosplaneError.isKind(error, 'not-found')) return undefined;
      throw error;
    });
  const holder = lease?.spec?.holderIdentity;
  if (!holder) return undefined;
  const pods = await podsOf(cluster, DEPLOYED.operator.selector);
  return pods.map(pod => pod.metadata?.name ?? '').find(name => name !== '' && holder.startsWith(`${name}-`));
}

/** Applies deploy/ as deploy/README says: the namespace, the certificates' Secrets in it, then the kustomization. */
async function applyDeploy(
  kubectl: (args: string[], stdin?: string) => Promise<string>,
  where: { deploy: string; dir: string; image: string; options: DeployedControlPlaneOptions },
): Promise<string> {
  const { deploy, dir, image, options } = where;
  await kubectl(['apply', '-f', path.join(deploy, 'namespace.yaml')]);
  const generate = path.join(deploy, 'certs', 'generate.sh');
  const { stdout: secrets } = await run('bash', [generate, path.join(dir, 'deploy-certs')], {
    signal: options.signal,
  });
  await kubectl(['apply', '-f', '-'], secrets);
  const kustomization = await writeKustomization(dir, deploy, image);
  options.log.info(`$ kubectl apply -k ${kustomization}`);
  await kubectl(['apply', '-k', kustomization]);
  return kustomization;
}

/**
 * Starts the dev cluster and runs deploy/ on it from the image: call `stop()` (or abort the
 * signal, then `stop()`). Needs root, containerd, the CNI plugins, kubectl and the image archive.
 */
export async function startDeployedControlPlane(
  options: DeployedControlPlaneOptions,
): Promise<DeployedControlPlane> {
  const deploy = options.deploy ?? deployDir();
  const unavailable = deployedUnavailableReason(options, deploy);
  if (unavailable !== undefined || deploy === undefined)
    throw new ChaosplaneError('runtime', unavailable ?? '');
  const { dir, cleanups } = await prepareDevPlane(options);
  const cleanup = () => cleanups.run();
  try {
    const cluster = await startDevCluster(
      { ...options, images: [options.image, ...(options.images ?? [])] },
      dir,
      cleanups,
      {
        nodeBinds: network => ({
          binds: [
            { source: '{dir}', target: '/run/containerd' },
            { source: path.join(dir, 'node', 'var', 'lib', 'chaosplane'), target: '/var/lib/chaosplane' },
          ],
          sharedDirs: network ? [network.netnsDir] : [],
        }),
      },
    );
    const [image] = cluster.images;
    if (image === undefined) throw new ChaosplaneError('invalid', `${options.image} names no image`);

    const kubectl = (args: string[], stdin?: string) =>
      runKubectl(cluster.kubeconfigPath, args, {
        signal: options.signal,
        ...(stdin !== undefined ? { stdin } : {}),
      });
    const kustomization = await applyDeploy(kubectl, { deploy, dir, image, options });

    const waitReady = async (timeoutMs = options.readyTimeoutMs ?? 180_000) => {
      const timeout = `--timeout=${Math.ceil(timeoutMs / 1000)}s`;
      await kubectl([
        'rollout',
        'status',
        '-n',
        DEPLOYED.namespace,
        `deployment/${DEPLOYED.operator.deployment}`,
        timeout,
      ]);
      await kubectl([
        'rollout',
        'status',
        '-n',
        DEPLOYED.namespace,
        `daemonset/${DEPLOYED.daemon.daemonSet}`,
        timeout,
      ]);
    };
    await waitReady();
    options.log.info('deploy/ is running: the operator and the daemon are ready as pods', { image });
    return {
      ...cluster,
      image,
      kustomization,
      kubectl,
      operatorPods: () => podsOf(cluster, DEPLOYED.operator.selector),
      daemonPods: () => podsOf(cluster, DEPLOYED.daemon.selector),
      leaderPod: () => leaderOf(cluster),
      waitReady,
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

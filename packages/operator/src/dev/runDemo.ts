// SPDX-License-Identifier: Apache-2.0
// `chaosplane dev --demo`: Chaos Mesh's "Extend Chaos Daemon Interface" flow, for real. The
// busybox pods run on containerd, kubectl applies examples/helloworld.yaml, the operator
// applies each record through the daemon, which runs `ps aux` in each container; then kubectl
// deletes the experiment and the finalizer goes.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { ChaosplaneError, PHASE_INJECTED, type ChaosObject, type Logger } from '@chaosplane/core';
import type { DevControlPlane } from './startDevControlPlane.js';
import { applyManifestFile, applyManifests, parseManifests } from './manifests.js';

const run = promisify(execFile);

/** What the demo saw, for the caller (and the end-to-end test) to check. */
export interface DemoResult {
  /** `status.experiment.containerRecords` once every record was Injected. */
  records: Array<{ id: string; phase: string; injectedCount: number }>;
  /** True when kubectl drove it (false: client-node, when kubectl is missing). */
  usedKubectl: boolean;
}

async function hasKubectl(): Promise<boolean> {
  try {
    await run('kubectl', ['version', '--client'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

async function kubectl(kubeconfig: string, args: string[], log: Logger): Promise<void> {
  log.info(`$ kubectl ${args.join(' ')}`);
  const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 120_000 });
  for (const line of stdout.trim().split('\n').filter(Boolean)) log.info(`  ${line}`);
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new ChaosplaneError('internal', `demo: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}

/** Runs the demo on a started control plane. */
export async function runDemo(plane: DevControlPlane, examples: string, log: Logger): Promise<DemoResult> {
  const manifest = path.join(examples, 'helloworld.yaml');
  const [chaos] = parseManifests(await readFile(manifest, 'utf8')) as [KubernetesObject];
  const namespace = chaos.metadata!.namespace!;
  const name = chaos.metadata!.name!;
  const custom = plane.kube.makeApiClient(CustomObjectsApi);
  const read = () =>
    custom
      .getNamespacedCustomObject({
        group: 'chaos-mesh.org',
        version: 'v1alpha1',
        namespace,
        plural: 'helloworldchaos',
        name,
      })
      .then(
        obj => obj as ChaosObject,
        (error: unknown) => {
          if ((error as { code?: number }).code === 404) return null;
          throw error;
        },
      );

  await applyManifestFile(plane.kube, path.join(examples, 'busybox.yaml'));
  const pods = await plane.kubelet.waitRunning('busybox', ['busybox-0', 'busybox-1'], 60_000);
  for (const pod of pods) {
    log.info('target pod', {
      pod: `busybox/${pod.metadata?.name}`,
      container: pod.status?.containerStatuses?.[0]?.containerID,
    });
  }

  const usedKubectl = await hasKubectl();
  if (usedKubectl) await kubectl(plane.kubeconfigPath, ['apply', '-f', manifest], log);
  else {
    log.warn('kubectl not found: applying with client-node instead');
    await applyManifests(plane.kube, [chaos]);
  }

  const injected = await until('every record Injected', 120_000, async () => {
    const obj = await read();
    const records = obj?.status?.experiment?.containerRecords;
    return records && records.length > 0 && records.every(r => r.phase === PHASE_INJECTED)
      ? records
      : undefined;
  });
  for (const record of injected)
    log.info('record', { id: record.id, phase: record.phase, injectedCount: record.injectedCount });

  if (usedKubectl)
    await kubectl(plane.kubeconfigPath, ['delete', '-f', manifest, '--wait=true', '--timeout=120s'], log);
  else {
    await custom.deleteNamespacedCustomObject({
      group: 'chaos-mesh.org',
      version: 'v1alpha1',
      namespace,
      plural: 'helloworldchaos',
      name,
    });
  }
  await until('the experiment to be gone (finalizer removed)', 120_000, async () =>
    (await read()) === null ? true : undefined,
  );
  log.info('experiment deleted: the finalizer was removed after every record was recovered');
  return {
    records: injected.map(r => ({ id: r.id, phase: r.phase, injectedCount: r.injectedCount })),
    usedKubectl,
  };
}

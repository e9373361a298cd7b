// SPDX-License-Identifier: Apache-2.0
// `chaosplane dev --demo`: Chaos Mesh's "Extend Chaos Daemon Interface" flow, for real. The
// busybox pods run on containerd, kubectl applies examples/helloworld.yaml, the operator
// applies each record through the daemon, which runs `ps aux` in each container; then kubectl
// deletes the experiment and the finalizer goes.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { resourcePath } from '@chaosplane/kube';
import { parseManifests } from '@chaosplane/operator';
import { ChaosplaneError, PHASE_INJECTED, type ChaosObject, type Logger } from '@chaosplane/sdk';
import { applyManifestFile, applyManifests } from './applyManifests.js';
import { eventually } from './eventually/index.js';
import { runKubectl } from './runKubectl.js';
import type { DevCluster } from './startDevCluster.js';

const run = promisify(execFile);

/** What the demo saw, for the caller (and the end-to-end test) to check. */
export interface DemoResult {
  /** `status.experiment.containerRecords` once every record was Injected. */
  records: Array<{ id: string; phase: string; injectedCount: number }>;
  /** True when kubectl drove it (false: the kube layer, when kubectl is missing). */
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
  const stdout = await runKubectl(kubeconfig, args);
  for (const line of stdout.trim().split('\n').filter(Boolean)) log.info(`  ${line}`);
}

/** Runs the demo on a started control plane (its operator and daemon processes or pods). */
export async function runDemo(plane: DevCluster, examples: string, log: Logger): Promise<DemoResult> {
  const manifest = path.join(examples, 'helloworld.yaml');
  const [chaos] = parseManifests(await readFile(manifest, 'utf8'));
  const namespace = chaos!.metadata!.namespace!;
  const name = chaos!.metadata!.name!;
  const objectPath = resourcePath(
    { group: 'chaos-mesh.org', version: 'v1alpha1', plural: 'helloworldchaos' },
    namespace,
    name,
  );
  const read = () =>
    plane.kube.request<ChaosObject>('GET', objectPath).catch((error: unknown) => {
      if (ChaosplaneError.isKind(error, 'not-found')) return null;
      throw error;
    });

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
    log.warn('kubectl not found: applying through the kube layer instead');
    await applyManifests(plane.kube, [chaos!]);
  }

  const injected = await eventually(
    async () => {
      const records = (await read())?.status?.experiment?.containerRecords;
      return records && records.length > 0 && records.every(r => r.phase === PHASE_INJECTED)
        ? records
        : undefined;
    },
    { what: 'every record is Injected', timeoutMs: 120_000, intervalMs: 200 },
  );
  for (const record of injected)
    log.info('record', { id: record.id, phase: record.phase, injectedCount: record.injectedCount });

  if (usedKubectl)
    await kubectl(plane.kubeconfigPath, ['delete', '-f', manifest, '--wait=true', '--timeout=120s'], log);
  else await plane.kube.request('DELETE', objectPath);
  await eventually(async () => (await read()) === null, {
    what: 'the experiment is gone (finalizer removed)',
    timeoutMs: 120_000,
    intervalMs: 200,
  });
  log.info('experiment deleted: the finalizer was removed after every record was recovered');
  return {
    records: injected.map(r => ({ id: r.id, phase: r.phase, injectedCount: r.injectedCount })),
    usedKubectl,
  };
}

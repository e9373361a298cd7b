// SPDX-License-Identifier: Apache-2.0
// What `chaosplane dev` prints once it runs: commands that work as printed, for the kinds it
// loaded (their examples, when examples/ has some), the dry run with the daemons asked, a pod's
// log and a shell in its container through kubectl, and a container's host PID and its namespaces
// entered from the host; with --deployed, deploy/'s pods and their logs.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DeployedControlPlane, DevControlPlane } from '@chaosplane/dev';
import type { ChaosKind } from '@chaosplane/sdk';

/** The example manifests (`examples/*.yaml`) that hold an object of `kind`, relative to the cwd. */
async function examplesOf(examples: string | undefined, kind: ChaosKind): Promise<string[]> {
  if (examples === undefined) return [];
  const files: string[] = [];
  for (const name of (await readdir(examples)).filter(n => n.endsWith('.yaml')).sort()) {
    const text = await readFile(path.join(examples, name), 'utf8');
    if (new RegExp(`^kind: ${kind.kind}$`, 'm').test(text))
      files.push(path.relative(process.cwd(), path.join(examples, name)));
  }
  return files;
}

/**
 * The lines `chaosplane dev` prints: per loaded kind, its examples (or how to find out about
 * it), the dry run with the daemons asked, a pod's log and a shell in its container, and how to
 * find a container's host PID and enter its namespaces as the daemon does.
 */
export async function devHints(
  plane: DevControlPlane,
  kinds: readonly ChaosKind[],
  examples: string | undefined,
): Promise<string[]> {
  const kubectl = `kubectl --kubeconfig ${plane.kubeconfigPath}`;
  const lines = [`  ${kubectl} get pods -n busybox -o wide`];
  let sample: string | undefined;
  for (const kind of kinds) {
    const files = await examplesOf(examples, kind);
    sample ??= files[0];
    if (files.length === 0)
      lines.push(`  ${kubectl} explain ${kind.plural}.spec   # ${kind.kind}: no example in examples/`);
    for (const file of files) lines.push(`  ${kubectl} apply -f ${file}`);
  }
  const certs = plane.certs.dir;
  lines.push(
    '  # a dry run: the targets a manifest would hit, and whether each node can take the fault',
    `  npx chaosplane explain -f ${sample ?? '<manifest>'} --kubeconfig ${plane.kubeconfigPath} ` +
      `--daemon-port ${plane.daemon.grpcPort} --daemon-ca ${certs}/ca.crt --daemon-cert ${certs}/client.crt --daemon-key ${certs}/client.key`,
    "  # a pod's log, and a shell in its container (the local kubelet serves both, as a node's does):",
    `  ${kubectl} logs -n busybox busybox-0`,
    `  ${kubectl} exec -it -n busybox busybox-0 -- sh`,
    "  # a pod container's host PID (containerd's task list; its socket and state are under --dir),",
    '  # and a shell in its namespaces as root on this host, as the daemon enters them:',
    `  ctr --address ${plane.containerd.socketPath} --namespace ${plane.containerd.namespace} task ls`,
    '  nsenter --target <PID> --mount --uts --ipc --net --pid -- /bin/sh',
  );
  return lines;
}

/**
 * The lines `chaosplane dev --deployed` prints: deploy/'s pods, their logs (the seed's step 6),
 * an experiment to apply, a pod's replacement by its Deployment, and a shell in a target.
 */
export async function deployedHints(
  plane: DeployedControlPlane,
  examples: string | undefined,
): Promise<string[]> {
  const kubectl = `kubectl --kubeconfig ${plane.kubeconfigPath}`;
  const leader = (await plane.leaderPod()) ?? '<operator pod>';
  const daemon = (await plane.daemonPods())[0]?.metadata?.name ?? '<daemon pod>';
  const example =
    examples !== undefined
      ? path.relative(process.cwd(), path.join(examples, 'helloworld.yaml'))
      : '<manifest>';
  return [
    `  ${kubectl} get pods -n chaosplane -o wide`,
    `  ${kubectl} apply -f ${example}`,
    '  # the seed\'s step 6: the leader says "Apply helloworld chaos" per record, the daemon shows ps aux',
    `  ${kubectl} logs -n chaosplane ${leader}`,
    `  ${kubectl} logs -n chaosplane ${daemon}`,
    '  # the Deployment replaces a deleted operator pod (the other replica takes the lease); the',
    "  # DaemonSet replaces the daemon's, which finds its journal again on the node",
    `  ${kubectl} delete pod -n chaosplane ${leader}`,
    `  ${kubectl} exec -it -n busybox busybox-0 -- sh`,
  ];
}

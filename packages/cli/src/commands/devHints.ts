// SPDX-License-Identifier: Apache-2.0
// What `chaosplane dev` prints once it runs: commands that work as printed, for the kinds it
// loaded (their examples, when examples/ has some), the dry run with the daemons asked, a pod's
// log and a shell in its container through kubectl.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DevControlPlane } from '@chaosplane/dev';
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
 * it), the dry run with the daemons asked, a pod's log and a shell in its container.
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
  );
  return lines;
}

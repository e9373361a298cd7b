// SPDX-License-Identifier: Apache-2.0
// The dev plane's operator runs as its ServiceAccount, as in a cluster: deploy/rbac is applied
// (the operator's roles, the aggregated per-plugin roles), the chaos-kinds and install-crds
// roles are generated for the plugins actually loaded (as `chaosplane crds --rbac-out` does),
// and the operator gets a kubeconfig holding a token of `chaosplane:chaosplane-operator`. The
// emulator enforces RBAC, so a missing rule fails here as it would in a cluster.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateOperatorRbac } from '@chaosplane/engine';
import type { KubeEmulator } from '@chaosplane/kube-emulator';
import { parseManifests, type ManifestObject } from '@chaosplane/operator';
import type { KubeClient } from '@chaosplane/sdk';
import { loadPlugins } from '@chaosplane/service';
import { applyManifests } from './applyManifests.js';

/** The operator's ServiceAccount in deploy/rbac/operator.yaml. */
export const OPERATOR_SERVICE_ACCOUNT = { namespace: 'chaosplane', name: 'chaosplane-operator' };

/** The token's lifetime: the dev plane's session, generously (a Deployment's pod would renew it). */
const TOKEN_SECONDS = 7 * 24 * 3600;

/** The RBAC files of deploy/kustomization.yaml, but the generated chaos-kinds role (made for the loaded kinds instead). */
async function kustomizedRbacFiles(deploy: string): Promise<string[]> {
  const [kustomization] = parseManifests(await readFile(path.join(deploy, 'kustomization.yaml'), 'utf8'));
  return ((kustomization?.resources as string[] | undefined) ?? [])
    .filter(r => r.startsWith('rbac/') && r !== 'rbac/chaos-kinds.yaml')
    .map(r => path.join(deploy, r));
}

/**
 * Applies the operator's RBAC for `plugins` (deploy/rbac plus the generated roles of the loaded
 * kinds, --install-crds's included), issues a token of its ServiceAccount and writes a
 * kubeconfig with it into `dir`; returns that kubeconfig's path.
 */
export async function operatorServiceAccountKubeconfig(options: {
  kube: KubeClient;
  emulator: KubeEmulator;
  deploy: string;
  plugins: string[];
  pluginsFrom?: string;
  dir: string;
}): Promise<string> {
  const objects: ManifestObject[] = [];
  for (const file of await kustomizedRbacFiles(options.deploy))
    objects.push(...parseManifests(await readFile(file, 'utf8')));
  const loaded = await loadPlugins(
    options.plugins,
    options.pluginsFrom !== undefined ? { from: options.pluginsFrom } : {},
  );
  const roles = generateOperatorRbac(loaded.map(p => p.kind));
  for (const generated of [roles.kinds, roles.readCrds, roles.readCrdsBinding, roles.installCrds])
    objects.push(generated as unknown as ManifestObject);
  await applyManifests(options.kube, objects);
  const { token } = await options.emulator.createToken(
    OPERATOR_SERVICE_ACCOUNT.namespace,
    OPERATOR_SERVICE_ACCOUNT.name,
    {
      expirationSeconds: TOKEN_SECONDS,
    },
  );
  const file = path.join(options.dir, 'operator.kubeconfig');
  await writeFile(file, options.emulator.kubeConfigFor(token), { mode: 0o600 });
  return file;
}

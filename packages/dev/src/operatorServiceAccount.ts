// SPDX-License-Identifier: Apache-2.0
// The dev plane's operator runs as its ServiceAccount, as in a cluster: deploy/rbac is applied
// (the operator's roles, the aggregated per-plugin roles), the chaos-kinds, orchestration and
// install-crds roles are generated for the plugins actually loaded (as `chaosplane crds
// --orchestration --rbac-out` does; deploy/'s copies name the bundled kinds only, so an
// out-of-tree plugin's kind would be refused), and the operator gets a kubeconfig holding a
// token of `chaosplane:chaosplane-operator`. The emulator enforces RBAC, so a missing rule fails
// here as it would in a cluster.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KubeEmulator } from '@chaosplane/kube-emulator';
import { operatorRoles, parseManifests, type ManifestObject } from '@chaosplane/operator';
import type { KubeClient } from '@chaosplane/sdk';
import { loadPlugins } from '@chaosplane/service';
import { applyManifests } from './applyManifests.js';

/** The operator's ServiceAccount in deploy/rbac/operator.yaml. */
export const OPERATOR_SERVICE_ACCOUNT = { namespace: 'chaosplane', name: 'chaosplane-operator' };

/** The token's lifetime: the dev plane's session, generously (a Deployment's pod would renew it). */
const TOKEN_SECONDS = 7 * 24 * 3600;

/** deploy/rbac's files generated for the bundled kinds: made for the loaded kinds instead. */
const GENERATED_FOR_BUNDLED = new Set(['rbac/chaos-kinds.yaml', 'rbac/orchestration.yaml']);

/** The RBAC files of deploy/kustomization.yaml, but the roles generated from the kinds. */
async function kustomizedRbacFiles(deploy: string): Promise<string[]> {
  const [kustomization] = parseManifests(await readFile(path.join(deploy, 'kustomization.yaml'), 'utf8'));
  return ((kustomization?.resources as string[] | undefined) ?? [])
    .filter(r => r.startsWith('rbac/') && !GENERATED_FOR_BUNDLED.has(r))
    .map(r => path.join(deploy, r));
}

/**
 * Applies the operator's RBAC for `plugins` (deploy/rbac plus the generated roles of the loaded
 * kinds, orchestration's and --install-crds's included: the plane's operator runs both), issues
 * a token of its ServiceAccount and writes a kubeconfig with it into `dir`; returns its path.
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
  const roles = operatorRoles(
    loaded.map(p => p.kind),
    { orchestration: true },
  );
  const generated = [
    roles.kinds,
    roles.readCrds,
    roles.readCrdsBinding,
    roles.installCrds,
    roles.orchestration,
  ];
  for (const role of generated) if (role !== undefined) objects.push(role as unknown as ManifestObject);
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

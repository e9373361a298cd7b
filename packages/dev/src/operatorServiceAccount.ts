// SPDX-License-Identifier: Apache-2.0
// The dev plane's operator runs as its ServiceAccount, as in a cluster: deploy/rbac's written
// files are applied (the operator's own roles), its generated ones are made again for the plugins
// actually loaded (as `chaosplane crds --orchestration --rbac-out` does: the chaos-kinds,
// orchestration and install-crds roles, and each plugin's declared operatorAccess; deploy/'s
// copies are for the bundled plugins, so an out-of-tree kind would be refused and a plugin not
// loaded would lend its access), and the operator gets a kubeconfig holding a token of
// `chaosplane:chaosplane-operator`. The emulator enforces RBAC, so a rule a plugin did not
// declare fails here as it would in a cluster.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GENERATED_RBAC_HEADER, PLUGIN_ACCESS_LABEL } from '@chaosplane/engine';
import type { KubeEmulator } from '@chaosplane/kube-emulator';
import { operatorRoles, parseManifests, type ManifestObject } from '@chaosplane/operator';
import { ChaosplaneError, type KubeClient } from '@chaosplane/sdk';
import { loadPlugins } from '@chaosplane/service';
import { applyManifests } from './applyManifests.js';

/** The operator's ServiceAccount in deploy/rbac/operator.yaml. */
export const OPERATOR_SERVICE_ACCOUNT = { namespace: 'chaosplane', name: 'chaosplane-operator' };

/** The token's lifetime: the dev plane's session, generously (a Deployment's pod would renew it). */
const TOKEN_SECONDS = 7 * 24 * 3600;

/** The objects of deploy/kustomization.yaml's RBAC files, but not the generated ones. */
async function writtenRbacObjects(deploy: string): Promise<ManifestObject[]> {
  const [kustomization] = parseManifests(await readFile(path.join(deploy, 'kustomization.yaml'), 'utf8'));
  const objects: ManifestObject[] = [];
  for (const resource of (kustomization?.resources as string[] | undefined) ?? []) {
    if (!resource.startsWith('rbac/')) continue;
    const text = await readFile(path.join(deploy, resource), 'utf8');
    if (!text.startsWith(GENERATED_RBAC_HEADER)) objects.push(...parseManifests(text));
  }
  return objects;
}

/**
 * Deletes the access roles of plugins not loaded now: the plane keeps its state in its directory,
 * and a role applied by an earlier run with other plugins would still be aggregated.
 */
async function deleteStaleAccessRoles(kube: KubeClient, current: ReadonlySet<string>): Promise<void> {
  const roles = await kube.request<{ items: Array<{ metadata: { name: string } }> }>(
    'GET',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    { query: { labelSelector: PLUGIN_ACCESS_LABEL } },
  );
  for (const { metadata } of roles.items) {
    if (current.has(metadata.name)) continue;
    await kube
      .request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${metadata.name}`)
      .catch((error: unknown) => {
        if (!ChaosplaneError.isKind(error, 'not-found')) throw error;
      });
  }
}

/**
 * Applies the operator's RBAC for `plugins` (deploy/rbac's written roles plus the generated roles
 * of the loaded plugins, orchestration's and --install-crds's included: the plane's operator runs
 * both), issues
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
  const objects = await writtenRbacObjects(options.deploy);
  const loaded = await loadPlugins(
    options.plugins,
    options.pluginsFrom !== undefined ? { from: options.pluginsFrom } : {},
  );
  const roles = operatorRoles(loaded, { orchestration: true });
  const generated = [
    roles.kinds,
    roles.readCrds,
    roles.readCrdsBinding,
    roles.installCrds,
    roles.orchestration,
    ...roles.pluginAccess.map(access => access.role),
  ];
  for (const role of generated) if (role !== undefined) objects.push(role as unknown as ManifestObject);
  await applyManifests(options.kube, objects);
  await deleteStaleAccessRoles(
    options.kube,
    new Set(roles.pluginAccess.map(access => access.role.metadata.name)),
  );
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

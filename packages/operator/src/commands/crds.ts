// SPDX-License-Identifier: Apache-2.0
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  generateNamespaceDefaultingPolicy,
  namespaceDefaultingPolicyToYaml,
  NAMESPACE_DEFAULTING_POLICY,
  rbacToYaml,
  writeCrdFiles,
} from '@chaosplane/engine';
import { createChaosKindTable, orchestrationCrds } from '@chaosplane/orchestration';
import { loadPlugins } from '@chaosplane/service';
import { operatorRoles } from './operatorRoles.js';

/** Options of {@link generateCrdFiles}. */
export interface GenerateCrdFilesOptions {
  /** Plugin package names or paths. */
  plugins: readonly string[];
  /** Output directory (e.g. `deploy/crds`). */
  out: string;
  /** Directory plugin package names are resolved from. */
  from?: string;
  /** Where to write the operator's ClusterRoles for these kinds (`deploy/rbac`); none when unset. */
  rbacOut?: string;
  /**
   * Also the Schedule, Workflow, WorkflowNode and StatusCheck CRDs embedding these kinds (and,
   * with `rbacOut`, the orchestration role). They replace the cluster's, so give every kind the
   * operator loads; off by default, as a plugin author wants the CRD of their own kind. With it
   * comes the namespace-defaulting warning policy of these kinds (a ValidatingAdmissionPolicy
   * and its binding, in `out`), which also replaces the cluster's.
   */
  orchestration?: boolean;
}

/**
 * Loads the plugins and writes the CRD YAML of each kind into `out` (with `orchestration`, the
 * Schedule, Workflow, WorkflowNode and StatusCheck CRDs that embed those kinds, and the
 * namespace-defaulting warning policy). Returns the files written.
 */
export async function generateCrdFiles(options: GenerateCrdFilesOptions): Promise<string[]> {
  const plugins = await loadPlugins(
    options.plugins,
    options.from === undefined ? {} : { from: options.from },
  );
  const kinds = plugins.map(p => p.kind);
  const orchestration = options.orchestration === true;
  const written = await writeCrdFiles(
    kinds,
    options.out,
    orchestration ? orchestrationCrds(createChaosKindTable(kinds)) : [],
  );
  const policy = orchestration ? generateNamespaceDefaultingPolicy(kinds) : undefined;
  if (policy !== undefined) {
    const file = path.join(options.out, `admissionregistration.k8s.io_${NAMESPACE_DEFAULTING_POLICY}.yaml`);
    await writeFile(file, namespaceDefaultingPolicyToYaml(policy));
    written.push(file);
  }
  if (options.rbacOut !== undefined) {
    const roles = operatorRoles(plugins, { orchestration });
    await mkdir(options.rbacOut, { recursive: true });
    const files: [string, string][] = [
      [
        path.join(options.rbacOut, 'chaos-kinds.yaml'),
        rbacToYaml(
          [roles.kinds, roles.readCrds, roles.readCrdsBinding],
          'The chaos kinds the operator loads: their objects and status (aggregated into chaosplane-operator),\n' +
            "# and reading their CRDs (with orchestration, Schedule's, Workflow's, WorkflowNode's and StatusCheck's\n" +
            '# too: the start-up check reads them all), bound cluster-wide on its own (CRDs are cluster-scoped: a\n' +
            '# RoleBinding in --target-namespace mode could not grant them).',
        ),
      ],
      [
        path.join(options.rbacOut, 'install-crds.yaml'),
        rbacToYaml(
          roles.installCrds,
          'Optional: only for --install-crds (not in deploy/kustomization.yaml).',
        ),
      ],
    ];
    if (roles.orchestration !== undefined)
      files.push([
        path.join(options.rbacOut, 'orchestration.yaml'),
        rbacToYaml(
          roles.orchestration,
          'What Schedule, Workflow and StatusCheck add: their own kinds, creating and deleting the chaos kinds they run (by name), Task pods and their logs, the workloads a StatusCheck reads.',
        ),
      ]);
    for (const { plugin, role } of roles.pluginAccess) {
      const reasons = plugin.operatorAccess.map(
        rule => `#   ${rule.resources.join(', ')}: ${rule.verbs.join(', ')}. ${rule.reason}`,
      );
      files.push([
        path.join(options.rbacOut, `${plugin.kind.plural}.yaml`),
        rbacToYaml(
          role,
          `What ${plugin.kind.kind}'s controller needs beyond the operator's own access (its operatorAccess),\n` +
            '# aggregated into chaosplane-operator; leave this file out with the plugin:\n' +
            reasons.join('\n'),
        ),
      ]);
    }
    for (const [file, text] of files) {
      await writeFile(file, text);
      written.push(file);
    }
  }
  return written;
}

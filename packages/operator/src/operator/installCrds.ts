// SPDX-License-Identifier: Apache-2.0
// `--install-crds`: create each plugin's CRD, and the orchestration kinds' CRDs (which embed the
// plugins' specs), or update them in place when they already exist; then the namespace-defaulting
// warning policy (installPolicy.ts), skipped with a log line on clusters that do not serve it.
// The CRD goes out as raw JSON: client-node's typed ApiextensionsV1Api would pass it through
// its models and silently drop `enum`, `x-kubernetes-validations` and
// `x-kubernetes-preserve-unknown-fields`.
import { generateCrd } from '@chaosplane/engine';
import { createChaosKindTable, orchestrationCrds } from '@chaosplane/orchestration';
import type { ChaosKind, KubeClient, Logger } from '@chaosplane/sdk';
import { createOrReplace } from './createOrReplace.js';
import { installNamespaceDefaultingPolicy } from './installPolicy.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/**
 * Creates or upgrades the CRD of every kind and, unless `orchestration` is false, those of
 * Schedule, Workflow, WorkflowNode and StatusCheck, then the namespace-defaulting warning policy
 * of the kinds (where the cluster serves ValidatingAdmissionPolicies); returns the CRD names
 * written.
 */
export async function installCrds(
  client: KubeClient,
  kinds: readonly ChaosKind[],
  log: Logger,
  orchestration = true,
): Promise<string[]> {
  const names: string[] = [];
  const crds = [
    ...kinds.map(generateCrd),
    ...(orchestration ? orchestrationCrds(createChaosKindTable(kinds)) : []),
  ];
  for (const crd of crds) {
    const name = crd.metadata.name;
    const write = await createOrReplace(client, CRDS, crd);
    log.info(write === 'created' ? 'CRD installed' : 'CRD upgraded', { crd: name });
    names.push(name);
  }
  await installNamespaceDefaultingPolicy(client, kinds, log);
  return names;
}

// SPDX-License-Identifier: Apache-2.0
// `--install-crds` also installs the namespace-defaulting warning policy (a
// ValidatingAdmissionPolicy with validationActions: Warn, and its binding; see
// @chaosplane/engine's namespaceDefaulting.ts), created or replaced like the CRDs. The API is GA
// since Kubernetes 1.30: on an older cluster, which does not serve it, the operator logs that the
// warning is not installed and goes on (the NamespaceDefaulted Event still reports the defaulting).
import { generateNamespaceDefaultingPolicy } from '@chaosplane/engine';
import { ChaosplaneError, type ChaosKind, type KubeClient, type Logger } from '@chaosplane/sdk';
import { createOrReplace } from './createOrReplace.js';

const API = '/apis/admissionregistration.k8s.io/v1';

/** Whether the cluster serves ValidatingAdmissionPolicies and their bindings (admissionregistration.k8s.io/v1). */
async function servesPolicies(client: KubeClient): Promise<boolean> {
  const discovery = await client
    .request<{ resources?: Array<{ name: string }> }>('GET', API)
    .catch((error: unknown) => {
      if (ChaosplaneError.isKind(error, 'not-found')) return undefined;
      throw error;
    });
  const names = new Set((discovery?.resources ?? []).map(r => r.name));
  return names.has('validatingadmissionpolicies') && names.has('validatingadmissionpolicybindings');
}

/**
 * Installs the namespace-defaulting warning policy of `kinds` and its binding; returns their
 * name, or undefined when the cluster does not serve the API (logged) or no kind has a selector.
 */
export async function installNamespaceDefaultingPolicy(
  client: KubeClient,
  kinds: readonly ChaosKind[],
  log: Logger,
): Promise<string | undefined> {
  const generated = generateNamespaceDefaultingPolicy(kinds);
  if (generated === undefined) return undefined;
  if (!(await servesPolicies(client))) {
    log.warn(
      'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy is not served (Kubernetes older than 1.30): the apply-time warning for defaulted selector namespaces is not installed; the NamespaceDefaulted Event still reports it',
      { policy: generated.policy.metadata.name },
    );
    return undefined;
  }
  const name = generated.policy.metadata.name;
  const policy = await createOrReplace(client, `${API}/validatingadmissionpolicies`, generated.policy);
  const binding = await createOrReplace(
    client,
    `${API}/validatingadmissionpolicybindings`,
    generated.binding,
  );
  log.info('admission policy installed', { policy: name, policyWrite: policy, bindingWrite: binding });
  return name;
}

// SPDX-License-Identifier: Apache-2.0
// Before the engine starts: each loaded kind's CRD must be served in the version the plugin speaks
// and have a status subresource. A CRD that Chaos Mesh's Helm chart left behind has none (its
// controllers write status with Update): the engine's status writes would fail and its objects
// would sit with our finalizer, never recovered. So the operator refuses to start, saying which
// CRD and how to fix it, before it has touched any object; `--install-crds` replaces such CRDs.
import { ChaosplaneError, type ChaosKind, type KubeClient } from '@chaosplane/sdk';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** The parts of a served CRD this check reads. */
interface ServedCrd {
  metadata: { labels?: Record<string, string> };
  spec: { versions?: { name: string; served?: boolean; subresources?: { status?: object } }[] };
}

/** What is wrong with one kind's CRD, or undefined when it can be run. */
async function crdProblem(kube: KubeClient, kind: ChaosKind): Promise<string | undefined> {
  const name = `${kind.plural}.${kind.group}`;
  const crd = await kube.request<ServedCrd>('GET', `${CRDS}/${name}`).catch((error: unknown) => {
    if (ChaosplaneError.isKind(error, 'not-found')) return undefined;
    throw error;
  });
  if (crd === undefined) return `CRD ${name} is not installed`;
  const version = crd.spec.versions?.find(v => v.name === kind.version);
  if (version === undefined || version.served === false) return `CRD ${name} does not serve ${kind.version}`;
  if (version.subresources?.status === undefined) {
    const whose =
      crd.metadata.labels?.['app.kubernetes.io/part-of'] === 'chaosplane'
        ? ''
        : " (it looks like Chaos Mesh's)";
    return `CRD ${name} has no status subresource${whose}: the operator could not record what it injects`;
  }
  return undefined;
}

/**
 * Checks the CRD of every kind.
 * @throws ChaosplaneError of kind `invalid` naming every CRD that cannot be run, and the fix
 */
export async function checkCrds(kube: KubeClient, kinds: readonly ChaosKind[]): Promise<void> {
  const problems: string[] = [];
  for (const kind of kinds) {
    const problem = await crdProblem(kube, kind);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length === 0) return;
  throw new ChaosplaneError(
    'invalid',
    `${problems.join('; ')}. Start the operator with --install-crds to install or replace its CRDs ` +
      '(objects of those kinds are kept), or apply deploy/crds; nothing was started.',
    { field: 'install-crds' },
  );
}

// SPDX-License-Identifier: Apache-2.0
// Before the engine starts: each loaded kind's CRD must be served in the version the plugin speaks
// and have a status subresource. A CRD that Chaos Mesh's Helm chart left behind has none (its
// controllers write status with Update): the engine's status writes would fail and its objects
// would sit with our finalizer, never recovered. With orchestration, the same holds for the
// Schedule, Workflow, WorkflowNode and StatusCheck CRDs, which must also embed every loaded kind:
// a Schedule CRD installed for other kinds (Chaos Mesh's, or ours before a plugin was added)
// prunes or refuses the spec of a kind it does not know. So the operator refuses to start, saying
// which CRD and how to fix it, before it has touched any object; `--install-crds` replaces such
// CRDs.
import { generateCrd, type CustomResourceDefinitionObject, type JsonSchema } from '@chaosplane/engine';
import { createChaosKindTable, orchestrationCrds } from '@chaosplane/orchestration';
import { ChaosplaneError, type ChaosKind, type KubeClient } from '@chaosplane/sdk';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** The parts of a served CRD this check reads. */
interface ServedCrd {
  metadata: { labels?: Record<string, string> };
  spec: {
    versions?: {
      name: string;
      served?: boolean;
      subresources?: { status?: object };
      schema?: { openAPIV3Schema?: JsonSchema };
    }[];
  };
}

/** What the operator needs of one CRD: the one it would install, and the kinds it must embed. */
interface ExpectedCrd {
  crd: CustomResourceDefinitionObject;
  /** Embedded chaos kinds by field name (`podChaos` → PodChaos); empty for a chaos kind's own CRD. */
  embeds: ReadonlyMap<string, string>;
}

/** The schema under `properties.<key>` (or `items` for `[]`) of `schema`, if it has one. */
function child(schema: JsonSchema | undefined, key: string): JsonSchema | undefined {
  if (schema === undefined) return undefined;
  if (key === '[]') return schema['items'] as JsonSchema | undefined;
  return (schema['properties'] as Record<string, JsonSchema> | undefined)?.[key];
}

/** Paths (`spec`, `templates`, `[]`, `podChaos`) in `schema` ending in a field of `fields`. */
function embeddedPaths(
  schema: JsonSchema,
  fields: ReadonlyMap<string, string>,
  at: string[] = [],
): string[][] {
  const found: string[][] = [];
  const properties = (schema['properties'] as Record<string, JsonSchema> | undefined) ?? {};
  for (const [key, sub] of Object.entries(properties)) {
    if (fields.has(key)) found.push([...at, key]);
    else found.push(...embeddedPaths(sub, fields, [...at, key]));
  }
  const items = schema['items'] as JsonSchema | undefined;
  if (items !== undefined) found.push(...embeddedPaths(items, fields, [...at, '[]']));
  return found;
}

/** The first loaded kind whose embedded spec `served` lacks, as `Kind (path)`; undefined when all are there. */
function missingEmbed(served: JsonSchema | undefined, expected: ExpectedCrd): string | undefined {
  if (expected.embeds.size === 0) return undefined;
  const ours = expected.crd.spec.versions[0]!.schema.openAPIV3Schema;
  for (const fieldPath of embeddedPaths(ours, expected.embeds)) {
    let node = served;
    for (const key of fieldPath) node = child(node, key);
    if (node === undefined)
      return `${expected.embeds.get(fieldPath.at(-1)!)} (${fieldPath.join('.').replaceAll('.[]', '[]')})`;
  }
  return undefined;
}

/** What is wrong with one CRD, or undefined when the operator can run on it. */
async function crdProblem(kube: KubeClient, expected: ExpectedCrd): Promise<string | undefined> {
  const name = expected.crd.metadata.name;
  const crd = await kube.request<ServedCrd>('GET', `${CRDS}/${name}`).catch((error: unknown) => {
    if (ChaosplaneError.isKind(error, 'not-found')) return undefined;
    throw error;
  });
  if (crd === undefined) return `CRD ${name} is not installed`;
  const ours = expected.crd.spec.versions[0]!;
  const version = crd.spec.versions?.find(v => v.name === ours.name);
  if (version === undefined || version.served === false) return `CRD ${name} does not serve ${ours.name}`;
  const whose =
    crd.metadata.labels?.['app.kubernetes.io/part-of'] === 'chaosplane'
      ? ''
      : " (it looks like Chaos Mesh's)";
  const shape = statusProblem(
    ours.subresources?.status !== undefined,
    version.subresources?.status !== undefined,
  );
  if (shape !== undefined) return `CRD ${name} ${shape.replace(':', `${whose}:`)}`;
  const missing = missingEmbed(version.schema?.openAPIV3Schema, expected);
  if (missing !== undefined)
    return `CRD ${name} does not embed ${missing}${whose}: it was made for other chaos kinds`;
  return undefined;
}

/** What is wrong with a CRD's status subresource, given whether ours has one. */
function statusProblem(wanted: boolean, served: boolean): string | undefined {
  if (wanted && !served) return 'has no status subresource: the operator could not record what it injects';
  // Schedule's controller writes its status with the object, as Chaos Mesh's does; a status
  // subresource would make the API server drop it.
  if (!wanted && served) return "has a status subresource: the operator's status writes would be dropped";
  return undefined;
}

/** The CRDs the operator runs on: each kind's and, with orchestration, the four that embed them. */
function expectedCrds(kinds: readonly ChaosKind[], orchestration: boolean): ExpectedCrd[] {
  const own = kinds.map(kind => ({ crd: generateCrd(kind), embeds: new Map<string, string>() }));
  if (!orchestration) return own;
  const table = createChaosKindTable(kinds);
  const embeds = new Map(table.all.map(entry => [entry.field, entry.kind]));
  return [...own, ...orchestrationCrds(table).map(crd => ({ crd, embeds }))];
}

/**
 * Checks the CRD of every kind and, unless `options.orchestration` is false, the Schedule,
 * Workflow, WorkflowNode and StatusCheck CRDs (as `--install-crds` installs them).
 * @throws ChaosplaneError of kind `invalid` naming every CRD that cannot be run, and the fix
 */
export async function checkCrds(
  kube: KubeClient,
  kinds: readonly ChaosKind[],
  options: { orchestration?: boolean } = {},
): Promise<void> {
  const problems: string[] = [];
  for (const expected of expectedCrds(kinds, options.orchestration ?? true)) {
    const problem = await crdProblem(kube, expected);
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

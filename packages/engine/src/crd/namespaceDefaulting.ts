// SPDX-License-Identifier: Apache-2.0
// When a chaos object's pod selector names no namespace, its pods are selected in the object's
// own namespace, as in Chaos Mesh, whose defaulting webhook writes `namespaces: [<ns>]` into the
// spec. Chaosplane has no webhook server: the engine reports the defaulting with an Event
// (NamespaceDefaulted), and a ValidatingAdmissionPolicy generated here (validationActions: Warn)
// tells the user at `kubectl apply` time. Both decide with the same condition, stated once
// here: a selector is present, its `namespaces` is absent or empty, and it has no `pods`.
import type { ChaosKind, ChaosObject } from '@chaosplane/sdk';
import { celString } from '@chaosplane/sdk';
import { stringify } from 'yaml';
import { toKubernetesSchema } from './generateCrd.js';

/**
 * The spec path of a selector key's pod selector (`.` → `spec.selector`, `.Target` →
 * `spec.target.selector`, the engine's naming of selector keys) when its namespaces are
 * defaulted; undefined when they are not (or the selector spec has no `selector`).
 */
export function defaultedNamespaceField(selectorKey: string, selectorSpec: unknown): string | undefined {
  const selector = (selectorSpec as { selector?: { namespaces?: unknown[]; pods?: object } } | undefined)
    ?.selector;
  if (selector === undefined || (selector.namespaces?.length ?? 0) > 0 || selector.pods !== undefined)
    return undefined;
  const field = selectorKey === '.' ? '' : `.${selectorKey.slice(1, 2).toLowerCase()}${selectorKey.slice(2)}`;
  return `spec${field}.selector.namespaces`;
}

/** The `…selector.namespaces` fields of `obj` whose namespaces the engine defaults, in selector-key order. */
export function defaultedNamespaceFields(kind: ChaosKind, obj: ChaosObject): string[] {
  const refs = kind.selectors(obj as never);
  return Object.keys(refs)
    .sort()
    .flatMap(key => defaultedNamespaceField(key, refs[key]!.spec) ?? []);
}

type SchemaNode = { properties?: Record<string, SchemaNode> };

/**
 * The paths of the pod selectors in a kind's spec schema (`spec.selector`, `spec.target.selector`):
 * properties named `selector` whose schema has `namespaces`, outside lists.
 */
export function podSelectorPaths(kind: ChaosKind): string[] {
  const paths: string[] = [];
  const walk = (node: SchemaNode, path: string): void => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      if (name === 'selector' && child.properties?.['namespaces'] !== undefined)
        paths.push(`${path}.selector`);
      else walk(child, `${path}.${name}`);
    }
  };
  walk(toKubernetesSchema(kind.spec) as SchemaNode, 'spec');
  return paths.sort();
}

/** The name of the generated policy and of its binding. */
export const NAMESPACE_DEFAULTING_POLICY = 'chaosplane-namespace-defaulting';

const PART_OF = { 'app.kubernetes.io/part-of': 'chaosplane' };

/** A ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1), as plain data. */
export interface ValidatingAdmissionPolicyObject {
  apiVersion: 'admissionregistration.k8s.io/v1';
  kind: 'ValidatingAdmissionPolicy';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    failurePolicy: 'Ignore' | 'Fail';
    matchConstraints: {
      resourceRules: Array<{
        apiGroups: string[];
        apiVersions: string[];
        resources: string[];
        operations: string[];
      }>;
    };
    matchConditions: Array<{ name: string; expression: string }>;
    validations: Array<{ expression: string; message: string; messageExpression: string; reason: string }>;
  };
}

/** Its binding, as plain data. */
export interface ValidatingAdmissionPolicyBindingObject {
  apiVersion: 'admissionregistration.k8s.io/v1';
  kind: 'ValidatingAdmissionPolicyBinding';
  metadata: { name: string; labels: Record<string, string> };
  spec: { policyName: string; validationActions: Array<'Warn' | 'Deny' | 'Audit'> };
}

/** `has()` of every step down to `path` (`object.spec.target.selector`), so a missing parent is no error. */
function presentCel(path: string): string {
  const steps = path.split('.');
  return steps
    .slice(2)
    .map((_, i) => `has(${steps.slice(0, i + 3).join('.')})`)
    .join(' && ');
}

/** The CEL of the engine's condition on the selector at `path` (`spec.selector`): true when defaulted. */
function defaultedCel(path: string): string {
  const selector = `object.${path}`;
  return (
    `${presentCel(selector)} && ` +
    `(!has(${selector}.namespaces) || size(${selector}.namespaces) == 0) && !has(${selector}.pods)`
  );
}

/** One validation per selector path, limited to the resources whose spec has it when others do not. */
function validationFor(
  path: string,
  resources: string[],
  all: string[],
): ValidatingAdmissionPolicyObject['spec']['validations'][number] {
  const field = `${path}.namespaces`;
  const guard =
    resources.length === all.length
      ? ''
      : `!((request.resource.group + '/' + request.resource.resource) in [${resources.map(celString).join(', ')}]) || `;
  const tail = ", the object's own namespace (as Chaos Mesh's defaulting webhook would write it)";
  return {
    expression: `${guard}!(${defaultedCel(path)})`,
    message: `${field}: not set; defaulted to the object's own namespace`,
    messageExpression: `${celString(`${field}: not set; defaulted to ["`)} + object.metadata.namespace + ${celString(`"]${tail}`)}`,
    reason: 'Invalid',
  };
}

/**
 * The ValidatingAdmissionPolicy that warns, on create and on a spec change of a chaos object,
 * for each pod selector whose namespaces the engine will default, and its binding
 * (validationActions: Warn, so no write is ever refused; failurePolicy: Ignore, so an
 * evaluation error never is either). Undefined when no kind has a pod selector. The
 * orchestration kinds (Schedule, Workflow) are not covered: the chaos objects they create are,
 * and their defaulting is reported by the engine's Event on those objects.
 */
export function generateNamespaceDefaultingPolicy(
  kinds: readonly ChaosKind[],
): { policy: ValidatingAdmissionPolicyObject; binding: ValidatingAdmissionPolicyBindingObject } | undefined {
  const withSelectors = kinds
    .map(kind => ({ kind, paths: podSelectorPaths(kind) }))
    .filter(k => k.paths.length > 0)
    .sort((a, b) => (a.kind.plural < b.kind.plural ? -1 : 1));
  if (withSelectors.length === 0) return undefined;
  const groups = [...new Set(withSelectors.map(k => k.kind.group))].sort();
  const all = withSelectors.map(k => `${k.kind.group}/${k.kind.plural}`);
  const byPath = new Map<string, string[]>();
  for (const { kind, paths } of withSelectors)
    for (const path of paths) byPath.set(path, [...(byPath.get(path) ?? []), `${kind.group}/${kind.plural}`]);
  const policy: ValidatingAdmissionPolicyObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: NAMESPACE_DEFAULTING_POLICY, labels: PART_OF },
    spec: {
      failurePolicy: 'Ignore',
      matchConstraints: {
        resourceRules: groups.map(group => {
          const inGroup = withSelectors.filter(k => k.kind.group === group).map(k => k.kind);
          return {
            apiGroups: [group],
            apiVersions: [...new Set(inGroup.map(k => k.version))].sort(),
            resources: inGroup.map(k => k.plural),
            operations: ['CREATE', 'UPDATE'],
          };
        }),
      },
      // An update that leaves the spec alone (finalizers, labels) is not warned about again.
      matchConditions: [
        {
          name: 'spec-written',
          expression: "request.operation == 'CREATE' || object.spec != oldObject.spec",
        },
      ],
      validations: [...byPath.keys()].sort().map(path => validationFor(path, byPath.get(path)!, all)),
    },
  };
  const binding: ValidatingAdmissionPolicyBindingObject = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: NAMESPACE_DEFAULTING_POLICY, labels: PART_OF },
    spec: { policyName: NAMESPACE_DEFAULTING_POLICY, validationActions: ['Warn'] },
  };
  return { policy, binding };
}

/** The first line of the generated policy file. */
export const GENERATED_POLICY_HEADER =
  '# Generated by `npm run generate` from the loaded plugins. Do not edit.';

/** The policy and its binding as one YAML stream, with the generated header. */
export function namespaceDefaultingPolicyToYaml(
  generated: NonNullable<ReturnType<typeof generateNamespaceDefaultingPolicy>>,
): string {
  return (
    `${GENERATED_POLICY_HEADER}\n` +
    "# Warns on `kubectl apply` when a chaos object's pod selector names no namespace (pods are then\n" +
    "# selected in the object's own namespace). Needs Kubernetes 1.30+ (admissionregistration.k8s.io/v1).\n" +
    `${stringify(generated.policy, { lineWidth: 0 })}---\n${stringify(generated.binding, { lineWidth: 0 })}`
  );
}

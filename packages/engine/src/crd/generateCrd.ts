// SPDX-License-Identifier: Apache-2.0
// A chaos kind's CustomResourceDefinition, derived from the same schema that gives its
// TypeScript type and its validation. The output is a structural schema a real
// kube-apiserver accepts (see structuralViolations).
import { stringify } from 'yaml';
import type { ChaosKind } from '@chaosplane/sdk';
import {
  CHAOSPLANE_KEYWORDS,
  recordsAsAdditionalProperties,
  toPlainSchema,
  walkSchema,
  type JsonSchema,
} from '../api/jsonSchema.js';
import { keywordRules } from './keywordRules.js';
import { ChaosStatusSchema } from './statusSchema.js';

/** The CRD object (apiextensions.k8s.io/v1), as plain data. */
export interface CustomResourceDefinitionObject {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    scope: 'Namespaced' | 'Cluster';
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JsonSchema };
      subresources?: { status: Record<string, never> };
      additionalPrinterColumns?: Array<{
        name: string;
        type: string;
        jsonPath: string;
        description?: string;
      }>;
    }>;
  };
}

/** The spec or status schema as Kubernetes wants it: records as maps, Chaosplane keywords removed. */
export function toKubernetesSchema(schema: object): JsonSchema {
  const plain = recordsAsAdditionalProperties(toPlainSchema(schema as JsonSchema));
  walkSchema(plain, node => {
    // Keywords only Chaosplane reads become CEL rules an API server enforces.
    const rules = keywordRules(node);
    appendRules(node, rules.self);
    if (rules.items.length > 0 && typeof node['items'] === 'object' && node['items'] !== null)
      appendRules(node['items'] as JsonSchema, rules.items);
    for (const keyword of CHAOSPLANE_KEYWORDS) delete node[keyword];
    // TypeBox may write `additionalProperties: false`; structural schemas forbid it beside properties.
    if (node['additionalProperties'] === false) delete node['additionalProperties'];
  });
  return plain;
}

/** Adds CEL rules to a schema node's `x-kubernetes-validations`. */
function appendRules(node: JsonSchema, rules: readonly object[]): void {
  if (rules.length === 0) return;
  const existing = Array.isArray(node['x-kubernetes-validations'])
    ? (node['x-kubernetes-validations'] as object[])
    : [];
  node['x-kubernetes-validations'] = [...existing, ...rules.map(rule => ({ ...rule }))];
}

/**
 * A kind's spec schema as its CRD carries it: the keywords' CEL rules, the kind's own, and Chaos
 * Mesh's immutability rule. The engine validates with the same rules.
 */
export function crdSpecSchema(kind: ChaosKind): JsonSchema {
  const spec = toKubernetesSchema(kind.spec);
  appendRules(spec, kind.validations);
  appendRules(spec, [{ rule: 'self == oldSelf', message: 'Cannot update chaos spec' }]);
  return spec;
}

/** Generates the CRD of one chaos kind. */
export function generateCrd(kind: ChaosKind): CustomResourceDefinitionObject {
  const spec = crdSpecSchema(kind);
  const status = toKubernetesSchema(ChaosStatusSchema);
  // Plugins may keep their own status beside the shared one (Chaos Mesh's custom status).
  status['x-kubernetes-preserve-unknown-fields'] = true;
  // Action and Duration columns, as Chaos Mesh's kinds print them, only for kinds that have the
  // field (kubectl would show an empty column).
  const properties = spec['properties'];
  const has = (field: string) => typeof properties === 'object' && properties !== null && field in properties;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${kind.plural}.${kind.group}`, labels: { 'app.kubernetes.io/part-of': 'chaosplane' } },
    spec: {
      group: kind.group,
      names: {
        kind: kind.kind,
        listKind: `${kind.kind}List`,
        plural: kind.plural,
        singular: kind.singular,
        ...(kind.shortNames.length > 0 ? { shortNames: [...kind.shortNames] } : {}),
        categories: ['chaos'],
      },
      scope: kind.namespaced ? 'Namespaced' : 'Cluster',
      versions: [
        {
          name: kind.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            ...(has('action') ? [{ name: 'Action', type: 'string', jsonPath: '.spec.action' }] : []),
            ...(has('duration') ? [{ name: 'Duration', type: 'string', jsonPath: '.spec.duration' }] : []),
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: `${kind.kind} is a Chaosplane chaos experiment.`,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status,
              },
            },
          },
        },
      ],
    },
  };
}

/** The CRD as YAML, with a header that says it is generated. */
export function crdToYaml(crd: CustomResourceDefinitionObject): string {
  return `# Generated by \`npm run generate\` from the plugin's schema. Do not edit.\n${stringify(crd, { lineWidth: 0 })}`;
}

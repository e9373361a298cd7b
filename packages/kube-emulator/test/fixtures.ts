// SPDX-License-Identifier: Apache-2.0
/** CRDs used by several tests. */

/** A namespaced CRD with status subresource, validation, defaults and two versions. */
export const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'], categories: ['all'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'integer', minimum: 1, maximum: 10 },
                  color: { type: 'string', enum: ['red', 'blue'], default: 'red' },
                  tags: { type: 'array', items: { type: 'string', maxLength: 5 } },
                  free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      },
      {
        name: 'v1beta1',
        served: true,
        storage: false,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

/** A cluster-scoped CRD without a status subresource. */
export const gadgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Cluster',
    names: { plural: 'gadgets', kind: 'Gadget' },
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { mode: { type: 'string' } } },
              status: { type: 'object', properties: { ok: { type: 'boolean' } } },
            },
          },
        },
      },
    ],
  },
};

/**
 * A namespaced CRD of `group` with one version, v1, served and stored, whose `spec` has these
 * properties; `plural` ends in "s" (the singular drops it, the kind capitalises that).
 */
export function specCrd(
  group: string,
  plural: string,
  specProperties: Record<string, unknown>,
  resourceVersion?: string,
) {
  const singular = plural.slice(0, -1);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular, kind: singular[0]!.toUpperCase() + singular.slice(1) },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: specProperties } },
            },
          },
        },
      ],
    },
  };
}

// SPDX-License-Identifier: Apache-2.0
// Chaos Mesh's selector types (api/v1alpha1/selector.go), written once as schemas: each yields
// its TypeScript type (Static), its CRD openAPIV3Schema and its runtime validation.
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from './schemaHelpers.js';

const StringMap = (description: string) => Type.Record(Type.String(), Type.String(), { description });

// Bounds of what the CRD's CEL rules iterate over. A real API server estimates a rule's cost from
// the declared maxItems/maxProperties/maxLength (without them: what fits in a 3 MiB request) and
// refuses a CRD over its budget; the orchestration kinds embed every selector up to 128 times.
// Label keys and values have Kubernetes' own limits; the counts are far above real selectors.
/** A qualified name: a DNS subdomain prefix (253), `/`, a name (63). */
const MAX_LABEL_KEY_LENGTH = 317;
/** A label value. */
const MAX_LABEL_VALUE_LENGTH = 63;
/** Entries of one label map (labelSelectors, nodeSelectors). */
const MAX_LABEL_SELECTORS = 32;
/** Set-based requirements of one selector, and values of one requirement. */
const MAX_EXPRESSION_SELECTORS = 8;

/** A map of label keys to label values, checked with the API server's label syntax. */
const LabelMap = (description: string) =>
  Type.Record(Type.String(), Type.String({ maxLength: MAX_LABEL_VALUE_LENGTH }), {
    description,
    labelMap: true,
    maxProperties: MAX_LABEL_SELECTORS,
  });

/** One requirement of a set-based label selector (`metav1.LabelSelectorRequirement`). */
export const LabelSelectorRequirementSchema = Type.Object(
  {
    key: Type.String({
      description: 'The label key the requirement applies to.',
      maxLength: MAX_LABEL_KEY_LENGTH,
    }),
    operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'], {
      description: 'In, NotIn, Exists or DoesNotExist.',
    }),
    values: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Values for In and NotIn (non-empty); must be empty for Exists and DoesNotExist.',
      }),
    ),
  },
  { labelRequirement: true },
);
/** A set-based label selector requirement. */
export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirementSchema>;

/** The selection modes of Chaos Mesh. */
export const SELECTOR_MODES = ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'] as const;
/** The schema of a selection mode. */
export const SelectorModeSchema = StringEnum(SELECTOR_MODES, {
  description: 'one, all, fixed, fixed-percent or random-max-percent.',
});
/** How many of the matching targets are picked. */
export type SelectorMode = Static<typeof SelectorModeSchema>;

/** The pod phases a `podPhaseSelectors` entry may name (optionally prefixed with `!`). */
export const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

/** Which pods: Chaos Mesh's `PodSelectorSpec` (GenericSelectorSpec inline). */
export const PodSelectorSpecSchema = Type.Object({
  namespaces: Type.Optional(
    Type.Array(Type.String(), {
      description: 'Namespaces to select from; empty means the chaos object’s own namespace.',
    }),
  ),
  labelSelectors: Type.Optional(LabelMap('Labels every selected pod carries (equality).')),
  expressionSelectors: Type.Optional(
    Type.Array(LabelSelectorRequirementSchema, {
      description: 'Set-based label requirements, ANDed.',
      maxItems: MAX_EXPRESSION_SELECTORS,
    }),
  ),
  annotationSelectors: Type.Optional(StringMap('Annotations every selected pod carries (equality).')),
  fieldSelectors: Type.Optional(
    StringMap('Pod fields the API server can select on (metadata.name, spec.nodeName, status.phase, …).'),
  ),
  podPhaseSelectors: Type.Optional(
    // Ten entries of at most ten characters (`!Succeeded`) name every phase, included or not.
    Type.Array(Type.String({ maxLength: 10 }), {
      description: 'Pod phases to include (Running) or exclude (!Failed).',
      podPhases: true,
      maxItems: 10,
    }),
  ),
  nodes: Type.Optional(Type.Array(Type.String(), { description: 'Names of the nodes the pods run on.' })),
  nodeSelectors: Type.Optional(LabelMap('Labels of the nodes the pods run on.')),
  pods: Type.Optional(
    Type.Record(Type.String(), Type.Array(Type.String()), {
      description: 'Explicit pods: namespace to pod names. When set, every other field is ignored.',
    }),
  ),
});
/** Which pods a chaos targets. */
export type PodSelectorSpec = Static<typeof PodSelectorSpecSchema>;

/** The properties of Chaos Mesh's `PodSelector`, inlined into specs. */
export const PodSelectorProperties = {
  selector: PodSelectorSpecSchema,
  mode: SelectorModeSchema,
  value: Type.Optional(
    Type.String({
      description: 'With fixed: the number of pods; with fixed-percent and random-max-percent: a percentage.',
      // An int64 is at most 20 characters with its sign; the rules reading it cost by its length.
      maxLength: 32,
    }),
  ),
};

/** `PodSelector`: a selector spec, a mode and its value. */
export const PodSelectorSchema = Type.Object(PodSelectorProperties, { podSelectorValue: true });
/** `PodSelector`: a selector spec, a mode and its value. */
export type PodSelector = Static<typeof PodSelectorSchema>;

/** The properties of Chaos Mesh's `ContainerSelector`, inlined into specs. */
export const ContainerSelectorProperties = {
  ...PodSelectorProperties,
  containerNames: Type.Optional(
    Type.Array(Type.String(), {
      description: 'Containers to target; empty means each pod’s first container.',
    }),
  ),
};

/** `ContainerSelector`: a `PodSelector` plus container names. */
export const ContainerSelectorSchema = Type.Object(ContainerSelectorProperties, { podSelectorValue: true });
/** `ContainerSelector`: a `PodSelector` plus container names. */
export type ContainerSelector = Static<typeof ContainerSelectorSchema>;

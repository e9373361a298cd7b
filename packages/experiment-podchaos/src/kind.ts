// SPDX-License-Identifier: Apache-2.0
// PodChaos with Chaos Mesh's spec (api/v1alpha1/podchaos_types.go): an action, a container
// selector inline, a grace period for pod-kill and a duration. pod-kill and container-kill are
// one-shot; pod-failure lasts until its duration ends or the object is deleted or paused.
import {
  ContainerSelectorProperties,
  DurationString,
  StringEnum,
  Type,
  containerSelector,
  podSelector,
  type ChaosKindDefinition,
  type ChaosObject,
  type ContainerTarget,
  type PodTarget,
  type CelValidation,
  type SelectorRef,
  type Static,
} from '@chaosplane/sdk';

/** The three PodChaos actions, as Chaos Mesh spells them. */
export const POD_CHAOS_ACTIONS = ['pod-kill', 'pod-failure', 'container-kill'] as const;
/** One PodChaos action. */
export type PodChaosAction = (typeof POD_CHAOS_ACTIONS)[number];

/** The PodChaos spec schema: one source for its type, its CRD schema and its validation. */
export const PodChaosSpecSchema = Type.Object(
  {
    action: StringEnum(POD_CHAOS_ACTIONS, {
      description:
        'pod-kill deletes pods, pod-failure makes them unavailable, container-kill kills containers.',
    }),
    ...ContainerSelectorProperties,
    gracePeriod: Type.Optional(
      Type.Integer({
        minimum: 0,
        format: 'int64',
        description:
          'pod-kill: seconds the pod is given to terminate gracefully; 0 (the default) deletes it at once.',
      }),
    ),
    duration: Type.Optional(
      DurationString({ description: 'How long pod-failure lasts (Go duration); unset means until deleted.' }),
    ),
  },
  { podSelectorValue: true, description: 'Which pods or containers fail, and how.' },
);

/** The PodChaos spec. */
export type PodChaosSpec = Static<typeof PodChaosSpecSchema>;

/** Chaos Mesh's message when container-kill names no container. */
export const CONTAINER_NAME_REQUIRED = 'the name of container is required on container-kill action';

/**
 * container-kill must name the containers to kill (Chaos Mesh's podchaos_webhook.go); pod-kill
 * and pod-failure act on whole pods and would silently ignore `containerNames`, so it is refused
 * (beyond Chaos Mesh). CEL: the API server refuses them at `kubectl apply`, and the engine too.
 */
const containerNameRules: CelValidation[] = [
  {
    rule: "self.action != 'container-kill' || (has(self.containerNames) && size(self.containerNames) > 0)",
    message: CONTAINER_NAME_REQUIRED,
    fieldPath: '.containerNames',
  },
  {
    rule: "self.action == 'container-kill' || !has(self.containerNames) || size(self.containerNames) == 0",
    messageExpression:
      "self.action + ' acts on whole pods and would ignore containerNames: use container-kill, or remove containerNames'",
    fieldPath: '.containerNames',
    reason: 'FieldValueForbidden',
  },
];

/** True for the actions that happen once and are never recovered: pod-kill and container-kill. */
export function isOneShotAction(action: string): boolean {
  return action === 'pod-kill' || action === 'container-kill';
}

/** What PodChaos acts on: pods for pod-kill and pod-failure, containers for container-kill. */
export type PodChaosTarget = PodTarget | ContainerTarget;

/** The PodChaos kind (chaos-mesh.org/v1alpha1, namespaced). */
export const podChaosKind = {
  kind: 'PodChaos',
  plural: 'podchaos',
  singular: 'podchaos',
  spec: PodChaosSpecSchema,
  validations: containerNameRules,
  isOneShot: obj => isOneShotAction(obj.spec.action),
  // Pods for pod-kill and pod-failure (record ids ns/pod), containers for container-kill.
  selectors: (obj: ChaosObject<PodChaosSpec>) =>
    obj.spec.action === 'container-kill'
      ? { '.': containerSelector(obj.spec) }
      : { '.': podSelector(obj.spec) },
} satisfies ChaosKindDefinition<
  typeof PodChaosSpecSchema,
  Record<string, SelectorRef<unknown, PodChaosTarget>>
>;

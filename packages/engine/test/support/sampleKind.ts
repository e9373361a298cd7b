// SPDX-License-Identifier: Apache-2.0
// A PodChaos-shaped kind used by the engine's tests: a container selector inline, an action,
// a duration and a cross-field rule. It lives in tests, not in the engine.
import {
  ContainerSelectorProperties,
  Type,
  definePlugin,
  DurationString,
  StringEnum,
  containerSelector,
  type Violation,
} from '@chaosplane/sdk';

export const SampleSpec = Type.Object(
  {
    action: StringEnum(['pod-kill', 'pod-failure', 'container-kill']),
    ...ContainerSelectorProperties,
    duration: Type.Optional(DurationString()),
    gracePeriod: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { podSelectorValue: true },
);

export const sampleKind = definePlugin({
  kind: {
    kind: 'SampleChaos',
    plural: 'samplechaos',
    spec: SampleSpec,
    isOneShot: obj => obj.spec.action !== 'pod-failure',
    selectors: obj => ({ '.': containerSelector(obj.spec) }),
    rules: [
      (spec, path): Violation[] =>
        spec.action === 'container-kill' && (spec.containerNames ?? []).length === 0
          ? [
              {
                field: `${path}.containerNames`,
                message: 'the name of container is required on container-kill action',
              },
            ]
          : [],
    ],
  },
}).kind;

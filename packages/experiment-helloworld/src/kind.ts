// SPDX-License-Identifier: Apache-2.0
// HelloWorldChaos: the kind of Chaos Mesh's "Extend Chaos Daemon Interface" guide. Its spec
// is a container selector inline plus an optional duration, and it is one-shot.
import { type Static, Type } from '@sinclair/typebox';
import {
  ContainerSelectorProperties,
  DurationString,
  containerSelector,
  type ChaosKindDefinition,
} from '@chaosplane/core';

/** The HelloWorldChaos spec schema: one source for its type, CRD schema and validation. */
export const HelloWorldChaosSpecSchema = Type.Object(
  {
    ...ContainerSelectorProperties,
    duration: Type.Optional(DurationString({ description: 'How long the experiment lasts (Go duration).' })),
  },
  { podSelectorValue: true, description: 'Which containers say hello.' },
);

/** The HelloWorldChaos spec. */
export type HelloWorldChaosSpec = Static<typeof HelloWorldChaosSpecSchema>;

/** The HelloWorldChaos kind (chaos-mesh.org/v1alpha1, namespaced, one-shot). */
export const helloWorldChaosKind: ChaosKindDefinition<typeof HelloWorldChaosSpecSchema> = {
  kind: 'HelloWorldChaos',
  plural: 'helloworldchaos',
  singular: 'helloworldchaos',
  spec: HelloWorldChaosSpecSchema,
  isOneShot: () => true,
  selectors: obj => ({ '.': containerSelector(obj.spec) }),
};

// SPDX-License-Identifier: Apache-2.0
// SignalChaos: sends one signal to the main process of each selected container. Its spec is a
// container selector inline, the signal, and an optional duration; it is one-shot (a signal
// cannot be taken back, so there is nothing to recover).
import {
  ContainerSelectorProperties,
  DurationString,
  StringEnum,
  Type,
  containerSelector,
  type ChaosObject,
  type Static,
} from '@chaosplane/sdk';
import { SUPPORTED_SIGNALS } from './signals.js';

/** The SignalChaos spec schema: one source for its type, CRD schema and validation. */
export const SignalChaosSpecSchema = Type.Object(
  {
    ...ContainerSelectorProperties,
    signal: StringEnum(SUPPORTED_SIGNALS, {
      description: "The signal sent to each selected container's main process.",
    }),
    duration: Type.Optional(DurationString({ description: 'How long the experiment lasts (Go duration).' })),
  },
  { podSelectorValue: true, description: 'Which containers receive which signal.' },
);

/** The SignalChaos spec. */
export type SignalChaosSpec = Static<typeof SignalChaosSpecSchema>;

/** The SignalChaos kind (chaos-mesh.org/v1alpha1, namespaced, one-shot). */
export const signalChaosKind = {
  kind: 'SignalChaos',
  plural: 'signalchaos',
  singular: 'signalchaos',
  namespaced: true,
  spec: SignalChaosSpecSchema,
  isOneShot: () => true,
  selectors: (obj: ChaosObject<SignalChaosSpec>) => ({ '.': containerSelector(obj.spec) }),
};

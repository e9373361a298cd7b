// SPDX-License-Identifier: Apache-2.0
// NetworkChaos with Chaos Mesh's spec (api/v1alpha1/networkchaos_types.go and the TcParameter of
// podnetworkchaos_types.go): an action, the pod selector inline, a direction, an optional second
// selector (`target`) and external targets, the device, and one parameter block per action.
import {
  DurationString,
  PodSelectorProperties,
  PodSelectorSchema,
  StringEnum,
  Type,
  podSelector,
  type ChaosKindDefinition,
  type ChaosObject,
  type PodTarget,
  type SelectorRef,
  type Static,
} from '@chaosplane/sdk';
import { networkChaosRules } from './rules.js';
import {
  deviceRules,
  externalTargetRules,
  networkChaosValidations,
  percentRules,
  rateRules,
} from './validations.js';

/** The seven NetworkChaos actions, as Chaos Mesh spells them. */
export const NETWORK_CHAOS_ACTIONS = [
  'netem',
  'delay',
  'loss',
  'duplicate',
  'corrupt',
  'partition',
  'bandwidth',
] as const;
/** One NetworkChaos action. */
export type NetworkChaosAction = (typeof NETWORK_CHAOS_ACTIONS)[number];

/** The actions done with netem: each may combine every netem block of the spec, as in Chaos Mesh. */
export const NETEM_ACTIONS: readonly NetworkChaosAction[] = [
  'netem',
  'delay',
  'loss',
  'duplicate',
  'corrupt',
];

/** Chaos Mesh's pattern for latency and jitter (the API server refuses compound durations like `1m30s`). */
const LATENCY_PATTERN = '^[0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h)$';

// Bounds of the strings the CRD's CEL rules read: a real API server estimates each rule's cost
// from them (unbounded, from the 3 MiB request) and refuses a CRD over its budget; Schedule and
// Workflow embed this spec in every template. Each is far above any value the field takes.
/** A percentage or a rate: digits, a point, an exponent, a unit. */
const MAX_NUMBER_LENGTH = 32;
/** A duration (`90ms`). */
const MAX_DURATION_LENGTH = 64;
/** An interface name (15 characters in Linux) with an `@if…` suffix. */
const MAX_DEVICE_LENGTH = 64;
/** A host name (253) with `:port`. */
const MAX_EXTERNAL_TARGET_LENGTH = 259;
/** External targets of one NetworkChaos. */
const MAX_EXTERNAL_TARGETS = 8;

/** A percentage written as a string (`"25"`), as Chaos Mesh's FloatStr. */
const Percent = (description: string) =>
  Type.String({ description, maxLength: MAX_NUMBER_LENGTH, 'x-kubernetes-validations': percentRules });
const Correlation = () =>
  Type.Optional(Percent('How much each random draw depends on the previous one, in percent; 0 by default.'));

/** `delay`: netem latency, jitter and reordering. */
export const DelaySpecSchema = Type.Object({
  latency: Type.String({
    pattern: LATENCY_PATTERN,
    goDuration: true,
    maxLength: MAX_DURATION_LENGTH,
    description: 'Added latency (90ms).',
  }),
  correlation: Correlation(),
  jitter: Type.Optional(
    Type.String({
      pattern: LATENCY_PATTERN,
      goDuration: true,
      maxLength: MAX_DURATION_LENGTH,
      description: 'Variation of the latency.',
    }),
  ),
  reorder: Type.Optional(
    Type.Object({
      reorder: Percent('Percentage of packets sent at once, ahead of the delayed ones.'),
      correlation: Correlation(),
      gap: Type.Integer({ minimum: 0, description: 'Reorder every gap-th packet.' }),
    }),
  ),
});

/** `loss`: the percentage of packets dropped. */
export const LossSpecSchema = Type.Object({
  loss: Percent('Percentage of packets lost.'),
  correlation: Correlation(),
});
/** `duplicate`: the percentage of packets sent twice. */
export const DuplicateSpecSchema = Type.Object({
  duplicate: Percent('Percentage of packets duplicated.'),
  correlation: Correlation(),
});
/** `corrupt`: the percentage of packets with a flipped bit. */
export const CorruptSpecSchema = Type.Object({
  corrupt: Percent('Percentage of packets corrupted.'),
  correlation: Correlation(),
});

const UINT32 = 4_294_967_295;

/** `bandwidth`: a token bucket filter (tc tbf). */
export const BandwidthSpecSchema = Type.Object({
  rate: Type.String({
    description:
      'The rate: an integer and a unit (bps, kbps, mbps, gbps, tbps, bit, kbit, mbit, gbit, tbit).',
    maxLength: MAX_NUMBER_LENGTH,
    'x-kubernetes-validations': rateRules,
  }),
  limit: Type.Integer({
    minimum: 1,
    maximum: UINT32,
    format: 'int32',
    description: 'Bytes that may queue waiting for tokens.',
  }),
  buffer: Type.Integer({
    minimum: 1,
    maximum: UINT32,
    format: 'int32',
    description: 'Size of the bucket in bytes (tbf burst).',
  }),
  peakrate: Type.Optional(
    Type.Integer({
      minimum: 0,
      format: 'int64',
      description: 'Maximum depletion rate of the bucket, bytes per second.',
    }),
  ),
  minburst: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: UINT32,
      format: 'int32',
      description: 'Size of the peakrate bucket (tbf mtu).',
    }),
  ),
});

/** `rate`: a netem rate limit, combined with the other netem blocks. */
export const RateSpecSchema = Type.Object({
  rate: Type.String({
    description: 'The rate, as in bandwidth.rate.',
    maxLength: MAX_NUMBER_LENGTH,
    'x-kubernetes-validations': rateRules,
  }),
});

/** The NetworkChaos spec schema: one source for its type, its CRD schema and its validation. */
export const NetworkChaosSpecSchema = Type.Object(
  {
    action: StringEnum(NETWORK_CHAOS_ACTIONS, {
      description:
        'partition drops traffic; bandwidth limits it; netem, delay, loss, duplicate and corrupt disturb it.',
    }),
    ...PodSelectorProperties,
    device: Type.Optional(
      Type.String({
        description: 'The network interface of the selected pods; eth0 by default (eth0@if12 means eth0).',
        maxLength: MAX_DEVICE_LENGTH,
        'x-kubernetes-validations': deviceRules,
      }),
    ),
    direction: Type.Optional(
      StringEnum(['to', 'from', 'both'], {
        default: 'to',
        description: 'to: traffic from the selected pods to the targets; from: back; both.',
      }),
    ),
    target: Type.Optional(PodSelectorSchema),
    targetDevice: Type.Optional(
      Type.String({
        description: 'The network interface of the target pods; eth0 by default.',
        maxLength: MAX_DEVICE_LENGTH,
        'x-kubernetes-validations': deviceRules,
      }),
    ),
    externalTargets: Type.Optional(
      Type.Array(
        Type.String({
          maxLength: MAX_EXTERNAL_TARGET_LENGTH,
          'x-kubernetes-validations': externalTargetRules,
        }),
        {
          description: 'Addresses outside the cluster: IPs, CIDRs or host names, each optionally with :port.',
          maxItems: MAX_EXTERNAL_TARGETS,
        },
      ),
    ),
    remoteCluster: Type.Optional(
      Type.String({ description: 'Chaos Mesh multi-cluster field; not supported.' }),
    ),
    delay: Type.Optional(DelaySpecSchema),
    loss: Type.Optional(LossSpecSchema),
    duplicate: Type.Optional(DuplicateSpecSchema),
    corrupt: Type.Optional(CorruptSpecSchema),
    bandwidth: Type.Optional(BandwidthSpecSchema),
    rate: Type.Optional(RateSpecSchema),
    duration: Type.Optional(
      DurationString({ description: 'How long the fault lasts (Go duration); unset means until deleted.' }),
    ),
  },
  { podSelectorValue: true, description: 'Which pods lose, slow or disturb their network traffic, and how.' },
);

/** The NetworkChaos spec. */
export type NetworkChaosSpec = Static<typeof NetworkChaosSpecSchema>;

/** The selector key of the target pods, as Chaos Mesh names it. */
export const TARGET_SELECTOR_KEY = '.Target';

/** The NetworkChaos kind (chaos-mesh.org/v1alpha1, namespaced): the selected pods, and the target pods when set. */
// Annotated rather than `satisfies`: the inferred type would spell the whole spec out in the API
// report, in an order that depends on the order tsc checks files.
export const networkChaosKind: ChaosKindDefinition<
  typeof NetworkChaosSpecSchema,
  Record<string, SelectorRef<unknown, PodTarget>>
> = {
  kind: 'NetworkChaos',
  plural: 'networkchaos',
  singular: 'networkchaos',
  spec: NetworkChaosSpecSchema,
  validations: networkChaosValidations,
  rules: networkChaosRules,
  selectors: (obj: ChaosObject<NetworkChaosSpec>) => {
    const { selector, mode, value, target } = obj.spec;
    const selectors: Record<string, SelectorRef<unknown, PodTarget>> = {
      '.': podSelector({ selector, mode, ...(value !== undefined ? { value } : {}) }),
    };
    if (target) selectors[TARGET_SELECTOR_KEY] = podSelector(target);
    return selectors;
  },
};

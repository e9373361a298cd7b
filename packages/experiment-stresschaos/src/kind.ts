// SPDX-License-Identifier: Apache-2.0
// StressChaos with Chaos Mesh's spec (api/v1alpha1/stresschaos_types.go): the container selector
// inline, `stressors` (cpu and memory) or `stressngStressors`, and a duration.
import {
  ContainerSelectorProperties,
  DurationString,
  Type,
  containerSelector,
  type ChaosKindDefinition,
  type ChaosObject,
  type ContainerTarget,
  type SelectorRef,
  type Static,
} from '@chaosplane/sdk';
import { stressChaosRules } from './rules.js';
import { memorySizeRules, stressChaosValidations, workersRules } from './validations.js';

/** stress-ng's limit on the workers of one stressor, as Chaos Mesh's CRD states it. */
export const MAX_WORKERS = 8192;

const Workers = () =>
  Type.Integer({
    maximum: MAX_WORKERS,
    description: 'How many stress-ng workers (1 to 8192).',
    'x-kubernetes-validations': workersRules,
  });

const Options = (description: string) => Type.Optional(Type.Array(Type.String(), { description }));

/** `stressors.cpu`: workers that load the CPU. */
export const CpuStressorSchema = Type.Object({
  workers: Workers(),
  load: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 100,
      description: 'Percent load of each worker: 0 is a sleep, 100 full load (the default).',
    }),
  ),
  options: Options('More stress-ng arguments ("--cpu 2"), each split on whitespace; checked (see docs).'),
});

/** `stressors.memory`: workers that hold memory. */
export const MemoryStressorSchema = Type.Object({
  workers: Workers(),
  size: Type.Optional(
    Type.String({
      // Sizes are short; the bound keeps the CEL rules' cost estimate small on a real API server.
      maxLength: 64,
      description:
        'The memory held by all workers together: bytes (256MB, 64MiB: KiB, MiB… are binary) or a percentage of the container’s memory limit (25%).',
      'x-kubernetes-validations': memorySizeRules,
    }),
  ),
  oomScoreAdj: Type.Optional(
    Type.Integer({
      minimum: -1000,
      maximum: 1000,
      default: 0,
      description:
        'The stressor’s oom_score_adj: -1000 protects it (the container’s own processes go first), 1000 exposes it.',
    }),
  ),
  options: Options('More stress-ng --vm-* arguments, each split on whitespace; checked (see docs).'),
});

/** The StressChaos spec schema: one source for its type, its CRD schema and its validation. */
export const StressChaosSpecSchema = Type.Object(
  {
    ...ContainerSelectorProperties,
    stressors: Type.Optional(
      Type.Object(
        { memory: Type.Optional(MemoryStressorSchema), cpu: Type.Optional(CpuStressorSchema) },
        { description: 'The stressors: cpu, memory or both.' },
      ),
    ),
    stressngStressors: Type.Optional(
      Type.String({
        description:
          'stress-ng arguments in one string ("--cpu 2 --vm 1"), instead of stressors; checked (see docs).',
      }),
    ),
    duration: Type.Optional(DurationString()),
    remoteCluster: Type.Optional(
      Type.String({ description: 'Chaos Mesh multi-cluster field; not supported.' }),
    ),
  },
  { podSelectorValue: true, description: 'Which containers are put under CPU or memory stress, and how.' },
);

/** The StressChaos spec. */
export type StressChaosSpec = Static<typeof StressChaosSpecSchema>;

/** The StressChaos kind (chaos-mesh.org/v1alpha1, namespaced): one record per selected container. */
// Annotated rather than `satisfies`: the inferred type would spell the whole spec out in the API
// report, in an order that depends on the order tsc checks files.
export const stressChaosKind: ChaosKindDefinition<
  typeof StressChaosSpecSchema,
  Record<string, SelectorRef<unknown, ContainerTarget>>
> = {
  kind: 'StressChaos',
  plural: 'stresschaos',
  singular: 'stresschaos',
  spec: StressChaosSpecSchema,
  validations: stressChaosValidations,
  rules: stressChaosRules,
  selectors: (obj: ChaosObject<StressChaosSpec>) => ({ '.': containerSelector(obj.spec) }),
};

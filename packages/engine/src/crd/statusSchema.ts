// SPDX-License-Identifier: Apache-2.0
// The CRD schema of Chaos Mesh's status (api/v1alpha1/common_types.go) that every chaos kind
// shares. The TypeScript types live in the SDK; the checks at the end keep the two in step.
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum, type ChaosStatus, type ContainerRecord } from '@chaosplane/sdk';

/** `ChaosCondition`. */
export const ChaosConditionSchema = Type.Object({
  type: Type.String(),
  status: Type.String({ description: 'True, False or Unknown.' }),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});

/** `RecordEvent`: one apply or recover attempt of a record. */
export const RecordEventSchema = Type.Object({
  type: Type.String({ description: 'Succeeded or Failed.' }),
  operation: Type.String({ description: 'Apply or Recover.' }),
  message: Type.Optional(Type.String()),
  timestamp: Type.Optional(Type.String({ format: 'date-time' })),
});

/** `Record`: one selected target and where it is in its cycle. */
export const ContainerRecordSchema = Type.Object({
  id: Type.String(),
  selectorKey: Type.String(),
  phase: Type.String(),
  injectedCount: Type.Integer(),
  recoveredCount: Type.Integer(),
  events: Type.Optional(Type.Array(RecordEventSchema)),
  instanceId: Type.Optional(
    Type.String({
      description:
        'Chaosplane extension: the instance selected (pod UID, container id), to tell it from a replacement with the same name.',
    }),
  ),
  inFlight: Type.Optional(
    StringEnum(['Apply', 'Recover'], {
      description:
        'Chaosplane extension: the call that is running, persisted before it starts; after a crash, its outcome is unknown.',
    }),
  ),
});

/** `ExperimentStatus`. */
export const ExperimentStatusSchema = Type.Object({
  desiredPhase: Type.Optional(StringEnum(['Run', 'Stop'])),
  containerRecords: Type.Optional(Type.Array(ContainerRecordSchema)),
});

/** `ChaosStatus`: the status every chaos kind shares. */
export const ChaosStatusSchema = Type.Object({
  conditions: Type.Optional(Type.Array(ChaosConditionSchema)),
  experiment: Type.Optional(ExperimentStatusSchema),
});

// Compile-time: every field of the SDK's types is in the schema, and the other way round.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Keys<T> = keyof T & string;
const recordFields: Same<Keys<ContainerRecord>, Keys<Static<typeof ContainerRecordSchema>>> = true;
// ChaosStatus has an index signature for a kind's own fields; its named fields are these two.
const statusFields: Same<
  keyof Pick<ChaosStatus, 'conditions' | 'experiment'>,
  Keys<Static<typeof ChaosStatusSchema>>
> = true;
void recordFields;
void statusFields;

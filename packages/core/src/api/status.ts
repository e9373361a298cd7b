// SPDX-License-Identifier: Apache-2.0
// Chaos Mesh's status types (api/v1alpha1/common_types.go), JSON-compatible.
import { type Static, Type } from '@sinclair/typebox';
import { StringEnum } from './schema-helpers.js';

/** The four condition types every chaos object carries. */
export const CONDITION_TYPES = ['Selected', 'AllInjected', 'AllRecovered', 'Paused'] as const;
/** A chaos condition type. */
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** `ChaosCondition`. */
export const ChaosConditionSchema = Type.Object({
  type: Type.String(),
  status: Type.String({ description: 'True, False or Unknown.' }),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
/** One condition of a chaos object. */
export interface ChaosCondition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

/** `RecordEvent`: one apply or recover attempt of a record. */
export const RecordEventSchema = Type.Object({
  type: Type.String({ description: 'Succeeded or Failed.' }),
  operation: Type.String({ description: 'Apply or Recover.' }),
  message: Type.Optional(Type.String()),
  timestamp: Type.Optional(Type.String({ format: 'date-time' })),
});
/** One apply or recover attempt of a record. */
export interface RecordEvent {
  type: 'Succeeded' | 'Failed';
  operation: 'Apply' | 'Recover';
  message?: string;
  timestamp?: string;
}

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
});
/** One selected target (`ns/pod` or `ns/pod/container`) and its phase. */
export type ContainerRecord = Omit<Static<typeof ContainerRecordSchema>, 'events'> & {
  events?: RecordEvent[];
};

/** The desired phase of an experiment. */
export type DesiredPhase = 'Run' | 'Stop';

/** `ExperimentStatus`. */
export const ExperimentStatusSchema = Type.Object({
  desiredPhase: Type.Optional(StringEnum(['Run', 'Stop'])),
  containerRecords: Type.Optional(Type.Array(ContainerRecordSchema)),
});
/** Where the experiment should be and where each record is. */
export interface ExperimentStatus {
  desiredPhase?: DesiredPhase;
  containerRecords?: ContainerRecord[];
}

/** `ChaosStatus`: the status every chaos kind shares. */
export const ChaosStatusSchema = Type.Object({
  conditions: Type.Optional(Type.Array(ChaosConditionSchema)),
  experiment: Type.Optional(ExperimentStatusSchema),
});
/** The status every chaos kind shares; kinds may add their own fields beside it. */
export interface ChaosStatus {
  conditions?: ChaosCondition[];
  experiment?: ExperimentStatus;
  [custom: string]: unknown;
}

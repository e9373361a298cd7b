// SPDX-License-Identifier: Apache-2.0
// Chaos Mesh's status types (api/v1alpha1/common_types.go), JSON-compatible. The CRD schema of
// these types lives with the CRD generator; a compile-time check keeps the two in step. Nested
// types are written inline so the SDK's surface stays small; the framework entry names them.

/**
 * One selected target (`ns/pod` or `ns/pod/container`) and where it is in its cycle: Chaos
 * Mesh's `Record`, with two additive fields.
 */
export interface ContainerRecord {
  /** The target: `ns/pod`, `ns/pod/container`, or a plugin selector kind's own form. */
  id: string;
  /** The key of the selector that picked it (`.` for the spec itself). */
  selectorKey: string;
  /** `Not Injected`, `Injected`, or a sub-phase of one. */
  phase: string;
  /** How many applies succeeded. */
  injectedCount: number;
  /** How many recovers succeeded. */
  recoveredCount: number;
  /** The newest apply and recover attempts, oldest first. */
  events?: {
    type: 'Succeeded' | 'Failed';
    operation: 'Apply' | 'Recover';
    message?: string;
    timestamp?: string;
  }[];
  /** Chaosplane: the instance selected (pod UID, container id), to tell it from a replacement. */
  instanceId?: string;
  /**
   * Chaosplane: the call that is running, persisted before it starts. Left behind by a crash,
   * it says the call's outcome is unknown, and the engine recovers before it trusts `phase`.
   */
  inFlight?: 'Apply' | 'Recover';
}

/** The status every chaos kind shares (Chaos Mesh's `ChaosStatus`); kinds may add fields beside it. */
export interface ChaosStatus {
  /** `Selected`, `AllInjected`, `AllRecovered` and `Paused`. */
  conditions?: {
    type: 'Selected' | 'AllInjected' | 'AllRecovered' | 'Paused';
    status: 'True' | 'False' | 'Unknown';
    reason?: string;
    message?: string;
  }[];
  /** Where the experiment should be (`Run` or `Stop`) and where each record is. */
  experiment?: {
    desiredPhase?: 'Run' | 'Stop';
    containerRecords?: ContainerRecord[];
  };
  /** A kind's own status fields, kept beside the shared ones. */
  [custom: string]: unknown;
}

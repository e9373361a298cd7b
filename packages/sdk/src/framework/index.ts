// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/sdk/framework: what Chaosplane's own packages (engine, selectors, daemon, operator)
 * share beyond the plugin API: the DI groups and registry contracts, the daemon connector,
 * Chaos Mesh's annotation and finalizer names, and the selector schema's parts. Plugins never
 * need it; it is not covered by the plugin API's stability promise.
 * @packageDocumentation
 */
import { PHASE_NOT_INJECTED } from '../api/phase.js';
import type { ChaosStatus, ContainerRecord } from '../api/status.js';

export {
  DEFAULT_CHAOS_GROUP,
  DEFAULT_CHAOS_VERSION,
  PAUSE_ANNOTATION,
  CLEAN_FINALIZER_ANNOTATION,
  CLEAN_FINALIZER_FORCED,
  RECORDS_FINALIZER,
  INJECT_ANNOTATION,
  INJECT_ENABLED,
} from '../api/constants.js';
export {
  LabelSelectorRequirementSchema,
  SELECTOR_MODES,
  SelectorModeSchema,
  POD_PHASES,
  PodSelectorSpecSchema,
  ContainerSelectorSchema,
  type LabelSelectorRequirement,
  type SelectorMode,
  type PodSelectorSpec,
} from '../api/selector.js';
export { parseDurationNanos } from '../api/duration.js';
export { selectorValueViolations } from '../api/selectorValue.js';
export { isChaosPlugin } from '../plugin/definePlugin.js';
export {
  CHAOS_IMPL,
  TARGET_SELECTOR,
  SELECTOR_REGISTRY,
  LOGGER,
  KUBE_CLIENT,
  DAEMON_CONNECTOR,
  type ChaosImplRegistration,
  type SelectorRegistry,
  type DaemonCall,
  type DaemonConnector,
} from './contracts.js';

/** One apply or recover attempt of a record. */
export type RecordEvent = NonNullable<ContainerRecord['events']>[number];
/** One condition of a chaos object. */
export type ChaosCondition = NonNullable<ChaosStatus['conditions']>[number];
/** A chaos condition type. */
export type ConditionType = ChaosCondition['type'];
/** Where the experiment should be and where each record is. */
export type ExperimentStatus = NonNullable<ChaosStatus['experiment']>;
/** The desired phase of an experiment. */
export type DesiredPhase = NonNullable<ExperimentStatus['desiredPhase']>;
/** The four condition types every chaos object carries, in the order they are written. */
export const CONDITION_TYPES: readonly ConditionType[] = [
  'Selected',
  'AllInjected',
  'AllRecovered',
  'Paused',
];

/**
 * True when nothing of `record` can be injected: its phase is exactly `Not Injected` and no call
 * is in flight. A record whose apply failed (or was cut off) keeps `inFlight` with the
 * `Not Injected` phase, since the call may have taken effect in part; such a record is not
 * recovered until a recover has succeeded, so a finalizer, `AllRecovered` and "finished" all
 * wait for it.
 */
export function isRecordRecovered(record: Pick<ContainerRecord, 'phase' | 'inFlight'>): boolean {
  return record.phase === PHASE_NOT_INJECTED && record.inFlight === undefined;
}

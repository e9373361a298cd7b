// SPDX-License-Identifier: Apache-2.0
// The contracts between Chaosplane's own packages: the DI groups the engine consumes, the
// selector registry, and the daemon connector behind `ctx.daemon`.
import type { DaemonClient, DaemonServiceDefinition } from '../daemon/DaemonClient.js';
import { defineToken } from '../di/tokens.js';
import type { KubeClient } from '../kube/KubeClient.js';
import type { Logger } from '../logging/Logger.js';
import type { ChaosKind } from '../plugin/definePlugin.js';
import type {
  SelectedTarget,
  SelectionContext,
  SelectorRef,
  Target,
  TargetSelector,
} from '../plugin/selection.js';
import type { ChaosImpl } from '../plugin/types.js';

/** What each plugin binds into the "impl" group: its kind and its implementation. */
export interface ChaosImplRegistration {
  /** The kind, defaults filled in. */
  kind: ChaosKind;
  /** Its implementation. */
  impl: ChaosImpl;
}

/** Dispatches a selector reference to the target selector of its kind. */
export interface SelectorRegistry {
  /** Selects the targets of one selector reference. */
  select(ref: SelectorRef, context: SelectionContext): Promise<SelectedTarget[]>;
  /** Reads a stored target back for an apply or recover (`not-found` when it is gone). */
  resolve(kind: string, target: SelectedTarget, signal: AbortSignal): Promise<Target>;
  /** The registered selector kinds. */
  kinds(): string[];
}

/** Who a daemon call acts for: the chaos object, the record, and when the fault must end. */
export interface DaemonCall {
  /** The record's target; its `nodeName` (or a pod's `status.hostIP`) says which daemon. */
  target: Target;
  /** The chaos object the call acts for. */
  chaos: { namespace: string; name: string; uid: string };
  /** The record id, followed by `:` and its selector key (no dot) for a selector other than `.`. */
  record: string;
  /** When the experiment's duration ends (ms since epoch): the daemon's own deadline for changes. */
  deadlineMs?: number;
  /** The default signal of every call. */
  signal: AbortSignal;
}

/** Makes the daemon clients of `ctx.daemon` (the operator binds its client pool). */
export interface DaemonConnector {
  /** A client of `definition` on the daemon of the call's target. */
  client<D extends DaemonServiceDefinition>(definition: D, call: DaemonCall): DaemonClient<D>;
  /**
   * Forgets where the daemon of `nodeName` was found: the engine saw it replaced by another
   * instance (a new pod, likely at a new address), so the next call looks it up again.
   */
  forgetNode?(nodeName: string): void;
}

/** The "impl" group: every plugin binds one registration; the engine takes them all. */
export const CHAOS_IMPL = defineToken<ChaosImplRegistration>('chaosplane.ChaosImpl');
/** The selector group: every target selector kind, taken by the registry. */
export const TARGET_SELECTOR = defineToken<TargetSelector>('chaosplane.TargetSelector');
/** The selector registry. */
export const SELECTOR_REGISTRY = defineToken<SelectorRegistry>('chaosplane.SelectorRegistry');
/** The process logger. */
export const LOGGER = defineToken<Logger>('chaosplane.Logger');
/** The operator's Kubernetes API client. */
export const KUBE_CLIENT = defineToken<KubeClient>('chaosplane.KubeClient');
/** The daemon connector behind `ctx.daemon`. */
export const DAEMON_CONNECTOR = defineToken<DaemonConnector>('chaosplane.DaemonConnector');

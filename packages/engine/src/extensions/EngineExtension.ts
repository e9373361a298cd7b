// SPDX-License-Identifier: Apache-2.0
// The extension point next to the chaos kinds: controllers over objects that are not chaos
// experiments themselves (Schedule, Workflow, StatusCheck) run in the engine's terms, so they
// follow its leader election and graceful stop, and share its connection, clock and Events.
// Plugins never see this: it is for Chaosplane's own packages, wired by the operator.
import type { KubeConnection } from '@chaosplane/kube';
import type { ChaosKind, Logger } from '@chaosplane/sdk';
import type { Clock } from '../clock/clock.js';
import type { EventRecorder } from '../events/createEventRecorder.js';

/** What an extension's controllers get for one term of the engine. */
export interface ExtensionContext {
  /** The connection to the API server (the engine's). */
  kube: KubeConnection;
  /** The clock of experiment time (schedules, deadlines). */
  clock: Clock;
  /** The engine's logger. */
  log: Logger;
  /** The chaos kinds the engine reconciles (from the loaded plugins). */
  kinds: readonly ChaosKind[];
  /** Namespace-scoped mode: the only namespace reconciled; every namespace when undefined. */
  namespace: string | undefined;
  /** Events reported as `source.component` (Chaos Mesh names one per controller). */
  readonly events: (component: string) => EventRecorder;
  /** True once the term is stopping: finish what is in flight, start nothing new. */
  readonly stopping: () => boolean;
  /** Aborted on a hard stop (the grace period is over, or the lease was lost). */
  signal: AbortSignal;
}

/** An extension's controllers for one term. */
export interface ExtensionRun {
  /** Runs until `signal` aborts (a graceful stop); resolves once everything has stopped. */
  run(signal: AbortSignal): Promise<void>;
}

/** Controllers the engine runs beside the chaos kinds' controllers (see EngineOptions.extensions). */
export interface EngineExtension {
  /** A name for logs. */
  readonly name: string;
  /** Starts the extension's controllers for a term; called once per term (per won lease). */
  start(context: ExtensionContext): ExtensionRun;
}

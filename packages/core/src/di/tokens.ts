// SPDX-License-Identifier: Apache-2.0
// DI tokens. One `Symbol.for` per group, so two copies of core still agree on identity.

/** The "impl" group: every plugin binds one {@link ChaosImplRegistration}; the engine multi-injects them. */
export const CHAOS_IMPL = Symbol.for('chaosplane.core.ChaosImpl');
/** The selector registry ({@link SelectorRegistry}). */
export const SELECTOR_REGISTRY = Symbol.for('chaosplane.core.SelectorRegistry');
/** The selector group: every {@link TargetSelector} kind, multi-injected by the registry. */
export const TARGET_SELECTOR = Symbol.for('chaosplane.core.TargetSelector');
/** The operator's `KubeConfig`. */
export const KUBE_CONFIG = Symbol.for('chaosplane.core.KubeConfig');
/** The process {@link Logger}. */
export const LOGGER = Symbol.for('chaosplane.core.Logger');
/** The controller-side daemon client pool. */
export const DAEMON_CLIENT_POOL = Symbol.for('chaosplane.core.DaemonClientPool');

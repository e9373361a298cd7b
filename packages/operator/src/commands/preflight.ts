// SPDX-License-Identifier: Apache-2.0
// The dry run's last question, per target: would `apply` work there? Each plugin that can tell
// (a `preflight` on its implementation) is asked with the context `apply` would get, its daemon
// client included, before anything runs.
import {
  PHASE_NOT_INJECTED,
  type ChaosImpl,
  type ChaosObject,
  type ImplContext,
  type KubeClient,
  type Target,
} from '@chaosplane/sdk';
import type { DaemonConnector, SelectorRegistry } from '@chaosplane/sdk/framework';
import type { SelectionExplanation } from '@chaosplane/selectors';
import { createSilentLogger } from '@chaosplane/service';

/** What a preflight found for one target. */
export interface PreflightFinding {
  /** The target's id (its record id). */
  target: string;
  /** Why apply would fail there; never empty (targets without problems are left out). */
  problems: string[];
}

/** What {@link preflightObject} needs. */
export interface PreflightDeps {
  impl: ChaosImpl;
  registry: SelectorRegistry;
  /** Daemon clients; without them, plugins that need a daemon cannot answer. */
  daemons: DaemonConnector | undefined;
  kube: KubeClient;
  signal: AbortSignal;
}

/** Reads back every selected target of each selector key (gone ones left out). */
async function resolveSelections(
  deps: PreflightDeps,
  selections: Record<string, SelectionExplanation>,
): Promise<Map<string, Target[]>> {
  const resolved = new Map<string, Target[]>();
  for (const [key, explanation] of Object.entries(selections)) {
    const targets: Target[] = [];
    for (const selected of explanation.targets) {
      const target = await deps.registry
        .resolve(explanation.kind, selected, deps.signal)
        .catch(() => undefined);
      if (target) targets.push(target);
    }
    resolved.set(key, targets);
  }
  return resolved;
}

/** The context `apply` would get for `target` of `key`, its Events dropped. */
function contextFor(
  deps: PreflightDeps,
  obj: ChaosObject,
  key: string,
  target: Target,
  resolved: Map<string, Target[]>,
): ImplContext {
  const chaos = {
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
  };
  const record = {
    id: target.id,
    selectorKey: key,
    phase: PHASE_NOT_INJECTED,
    injectedCount: 0,
    recoveredCount: 0,
  };
  const daemons = deps.daemons;
  return {
    obj,
    record,
    target,
    targetsOf: selectorKey => Promise.resolve(resolved.get(selectorKey) ?? []),
    daemon: definition => {
      if (daemons === undefined) throw new Error('no daemon access: give the --daemon-* flags');
      return daemons.client(definition, { target, chaos, record: target.id, signal: deps.signal });
    },
    kube: deps.kube,
    events: { normal: () => undefined, warning: () => undefined },
    log: createSilentLogger(),
    signal: deps.signal,
  };
}

/**
 * Asks the plugin's preflight about every selected target of `obj`; a preflight that throws
 * is a problem too (it says why it could not tell).
 */
export async function preflightObject(
  deps: PreflightDeps,
  obj: ChaosObject,
  selections: Record<string, SelectionExplanation>,
): Promise<PreflightFinding[]> {
  const preflight = deps.impl.preflight?.bind(deps.impl);
  if (preflight === undefined) return [];
  const resolved = await resolveSelections(deps, selections);
  const findings: PreflightFinding[] = [];
  for (const [key, targets] of resolved) {
    for (const target of targets) {
      const problems = await preflight(contextFor(deps, obj, key, target, resolved)).catch(
        (error: unknown) => [
          `could not be checked: ${error instanceof Error ? error.message : String(error)}`,
        ],
      );
      if (problems.length > 0) findings.push({ target: target.id, problems });
    }
  }
  return findings;
}

// SPDX-License-Identifier: Apache-2.0
// Routes a chaos object's action (`spec.action` by default) to the implementation registered
// for it, as Chaos Mesh's action multiplexer does for PodChaos, NetworkChaos, AWSChaos…: one
// kind, several sub-implementations, one of which serves each object.
import type { ChaosObject } from '../api/objects.js';
import { ChaosplaneError } from '../errors/ChaosplaneError.js';
import type { Target } from './selection.js';
import type { ChaosImpl, ImplContext } from './types.js';

/** A {@link ChaosImpl} that also tells which actions it serves. */
export interface ActionMultiplexer<Spec, T extends Target = Target> extends ChaosImpl<Spec, T> {
  /** Applies through the implementation of the object's action; an unknown action rejects. */
  apply(ctx: ImplContext<Spec, T>): Promise<string>;
  /** Recovers through the implementation of the object's action; an unknown action rejects. */
  recover(ctx: ImplContext<Spec, T>): Promise<string>;
  /** Every action with an implementation, in registration order. */
  readonly actions: readonly string[];
  /** The implementation serving `action`, or undefined. */
  implFor(action: string): ChaosImpl<Spec, T> | undefined;
}

function defaultActionOf(obj: ChaosObject<unknown>): string | undefined {
  const action = (obj.spec as { action?: unknown } | undefined)?.action;
  return typeof action === 'string' ? action : undefined;
}

/** `group/version, Kind=Kind`, the way Go prints a GroupVersionKind. */
function groupVersionKind(obj: ChaosObject<unknown>): string {
  return `${obj.apiVersion}, Kind=${obj.kind}`;
}

/**
 * Builds a {@link ChaosImpl} that hands each call to the implementation of the object's
 * action. A key may list several actions separated by commas (`'delay,loss,netem'`), like the
 * `action:"…"` tags of Chaos Mesh. An object whose action has no implementation fails with
 * Chaos Mesh's message `unknown action: Action: <action>, GroupVersionKind: <gvk>`; the error
 * keeps the record where it was (`Not Injected` on apply, `Injected` on recover), so the engine
 * retries it with back-off and a record never flips phase on a spec it cannot serve.
 *
 * @throws ChaosplaneError of kind `invalid` when an action is empty or listed twice.
 * @example
 * createActionMultiplexer({ 'pod-kill': podKill, 'pod-failure': podFailure, 'container-kill': containerKill })
 */
export function createActionMultiplexer<Spec, T extends Target = Target>(
  impls: Readonly<Record<string, ChaosImpl<Spec, T>>>,
  options: {
    /** Reads the action of an object; `spec.action` by default. */
    actionOf?: (obj: ChaosObject<Spec>) => string | undefined;
  } = {},
): ActionMultiplexer<Spec, T> {
  const byAction = new Map<string, ChaosImpl<Spec, T>>();
  for (const [key, impl] of Object.entries(impls)) {
    for (const action of key.split(',').map(a => a.trim())) {
      if (action === '') {
        throw new ChaosplaneError('invalid', `action list ${JSON.stringify(key)} has an empty action`, {
          field: 'actions',
        });
      }
      if (byAction.has(action)) {
        throw new ChaosplaneError('invalid', `action ${JSON.stringify(action)} has two implementations`, {
          field: 'actions',
        });
      }
      byAction.set(action, impl);
    }
  }
  const actionOf = options.actionOf ?? (defaultActionOf as (obj: ChaosObject<Spec>) => string | undefined);

  function route(context: ImplContext<Spec, T>): ChaosImpl<Spec, T> {
    const action = actionOf(context.obj);
    const impl = action === undefined ? undefined : byAction.get(action);
    if (impl !== undefined) return impl;
    // The record keeps the phase it is in: it never flips on a spec this kind cannot serve.
    throw new ChaosplaneError(
      'invalid',
      `unknown action: Action: ${action ?? ''}, GroupVersionKind: ${groupVersionKind(context.obj)}`,
      { field: 'spec.action', phase: context.record.phase },
    );
  }

  return {
    actions: [...byAction.keys()],
    implFor: action => byAction.get(action),
    // async: an unknown action rejects like any other failed call.
    apply: async context => route(context).apply(context),
    recover: async context => route(context).recover(context),
    async whenTargetGone(context, error) {
      const impl = route(context as ImplContext<Spec, T>);
      if (impl.whenTargetGone === undefined) throw error;
      return impl.whenTargetGone(context, error);
    },
  };
}

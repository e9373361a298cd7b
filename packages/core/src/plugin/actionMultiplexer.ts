// SPDX-License-Identifier: Apache-2.0
// Routes a chaos object's action (`spec.action` by default) to the implementation registered
// for it, as Chaos Mesh's action multiplexer does for PodChaos, NetworkChaos, AWSChaos…: one
// kind, several sub-implementations, one of which serves each object.
import type { ChaosObject } from '../api/ChaosObject.js';
import { ChaosplaneError } from '../errors/ChaosplaneError.js';
import type { ChaosImpl, ImplContext } from './types.js';

/** Options of {@link createActionMultiplexer}. */
export interface ActionMultiplexerOptions<Spec> {
  /** Reads the action of an object; `spec.action` by default. */
  actionOf?: (obj: ChaosObject<Spec>) => string | undefined;
}

/** A {@link ChaosImpl} that also tells which actions it serves. */
export interface ActionMultiplexer<Spec> extends ChaosImpl<Spec> {
  /** Every action with an implementation, in registration order. */
  readonly actions: readonly string[];
  /** The implementation serving `action`, or undefined. */
  implFor(action: string): ChaosImpl<Spec> | undefined;
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
export function createActionMultiplexer<Spec>(
  impls: Readonly<Record<string, ChaosImpl<Spec>>>,
  options: ActionMultiplexerOptions<Spec> = {},
): ActionMultiplexer<Spec> {
  const byAction = new Map<string, ChaosImpl<Spec>>();
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

  function route(context: ImplContext<Spec>): ChaosImpl<Spec> {
    const action = actionOf(context.obj);
    const impl = action === undefined ? undefined : byAction.get(action);
    if (impl !== undefined) return impl;
    const error = new ChaosplaneError(
      'invalid',
      `unknown action: Action: ${action ?? ''}, GroupVersionKind: ${groupVersionKind(context.obj)}`,
      { field: 'spec.action' },
    );
    // The engine keeps the phase a thrown error carries (`Object.assign(error, { phase })`):
    // the record stays where it is.
    throw Object.assign(error, { phase: context.records[context.index]!.phase });
  }

  return {
    actions: [...byAction.keys()],
    implFor: action => byAction.get(action),
    apply: context => {
      try {
        return route(context).apply(context);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    recover: context => {
      try {
        return route(context).recover(context);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
  };
}

// SPDX-License-Identifier: Apache-2.0
// Step 4's first half: one record per target of every selector of an object that has none.
import { PHASE_NOT_INJECTED, type ChaosKind, type ChaosObject, type ContainerRecord } from '@chaosplane/sdk';
import type { SelectorRegistry } from '@chaosplane/sdk/framework';
import { defaultedNamespaceField } from '../crd/namespaceDefaulting.js';
import type { SelectionNote } from '../steps/conditions.js';

/** The records of a selection (and the selectors whose namespaces were defaulted), or why it produced none. */
export type Selection = { records: ContainerRecord[]; defaulted: string[] } | { note: SelectionNote };

/**
 * Selects the targets of every selector of `obj`: one Not Injected record per target, or the
 * note of the first selector that failed or selected nothing.
 */
export async function selectRecords(
  kind: ChaosKind,
  selectors: SelectorRegistry,
  obj: ChaosObject,
  signal: AbortSignal,
): Promise<Selection> {
  const refs = kind.selectors(obj as never);
  const records: ContainerRecord[] = [];
  const defaulted: string[] = [];
  // Sorted keys: the order of records does not depend on object key order.
  for (const selectorKey of Object.keys(refs).sort()) {
    const ref = refs[selectorKey]!;
    let targets;
    try {
      targets = await selectors.select(ref, {
        namespace: obj.metadata.namespace ?? 'default',
        signal,
      });
    } catch (error) {
      const message = `selector "${selectorKey}": ${error instanceof Error ? error.message : String(error)}`;
      return { note: { reason: 'SelectionFailed', message } };
    }
    if (targets.length === 0) {
      return { note: { reason: 'NoTargets', message: `selector "${selectorKey}" selected no target` } };
    }
    const field = defaultedNamespaceField(selectorKey, ref.spec);
    if (field !== undefined) defaulted.push(field);
    for (const target of targets)
      records.push({
        id: target.id,
        selectorKey,
        phase: PHASE_NOT_INJECTED,
        injectedCount: 0,
        recoveredCount: 0,
        ...(target.instanceId ? { instanceId: target.instanceId } : {}),
      });
  }
  return { records, defaulted };
}

// SPDX-License-Identifier: Apache-2.0
// The chaos kinds a Schedule or a Workflow can spawn: every loaded plugin's kind, each with the
// field its spec takes when embedded. Computed from the loaded kinds, so a plugin kind outside
// the bundled ones is schedulable as soon as the operator loads it.
import { ChaosplaneError, type ChaosKind } from '@chaosplane/sdk';
import { FLOW_TEMPLATE_TYPES, SCHEDULE_KIND, WORKFLOW_KIND } from '../api/constants.js';
import { embedFieldName } from './embedFieldName.js';

/** One embeddable chaos kind. */
export interface EmbeddedKind {
  /** The kind (`PodChaos`), which is also the Schedule `type` and the template type. */
  kind: string;
  /** The JSON field of its embedded spec (`podChaos`). */
  field: string;
  /** The loaded kind. */
  chaos: ChaosKind;
}

/** The embeddable kinds, by kind and by field. */
export interface ChaosKindTable {
  /** In the order the plugins were loaded. */
  readonly all: readonly EmbeddedKind[];
  /** The entry of a kind name; undefined for unknown kinds. */
  byKind(kind: string): EmbeddedKind | undefined;
  /** The entry whose embedded field is `field`. */
  byField(field: string): EmbeddedKind | undefined;
  /** The Schedule `type` values: every kind, and `Workflow`. */
  scheduleTypes(): string[];
  /** The workflow `templateType` values: the flow types and every kind. */
  templateTypes(): string[];
}

/** Builds the table of `kinds`; throws when two kinds would embed under one field. */
export function createChaosKindTable(kinds: readonly ChaosKind[]): ChaosKindTable {
  const all: EmbeddedKind[] = [];
  const byKind = new Map<string, EmbeddedKind>();
  const byField = new Map<string, EmbeddedKind>();
  const reserved = new Set<string>([WORKFLOW_KIND, SCHEDULE_KIND, ...FLOW_TEMPLATE_TYPES]);
  for (const chaos of kinds) {
    const entry: EmbeddedKind = { kind: chaos.kind, field: embedFieldName(chaos.kind), chaos };
    if (reserved.has(chaos.kind) || byField.has(entry.field) || byKind.has(entry.kind)) {
      throw new ChaosplaneError(
        'plugin',
        `chaos kind ${chaos.kind} cannot be scheduled: its name or embedded field ${entry.field} is taken`,
        { field: 'kind' },
      );
    }
    all.push(entry);
    byKind.set(entry.kind, entry);
    byField.set(entry.field, entry);
  }
  return {
    all,
    byKind: kind => byKind.get(kind),
    byField: field => byField.get(field),
    scheduleTypes: () => [...all.map(e => e.kind), WORKFLOW_KIND],
    templateTypes: () => [...FLOW_TEMPLATE_TYPES, ...all.map(e => e.kind)],
  };
}

// SPDX-License-Identifier: Apache-2.0
// Field selectors on pods: the fields the kube-apiserver can select pods on
// (pkg/registry/core/pod/strategy.go, mirrored by Chaos Mesh's field selector), with the
// operators the API server accepts (`=`, `==`, `!=`).
import { ChaosplaneError } from '@chaosplane/sdk';
import type { PodRecord } from '../model/records.js';

/** The pod fields a field selector may name, and how each is read from a pod record. */
export const POD_SELECTABLE_FIELDS: Readonly<Record<string, (pod: PodRecord) => string>> = Object.freeze({
  'metadata.name': pod => pod.name,
  'metadata.namespace': pod => pod.namespace,
  'spec.nodeName': pod => pod.nodeName,
  'spec.restartPolicy': pod => pod.restartPolicy,
  'spec.schedulerName': pod => pod.schedulerName,
  'spec.serviceAccountName': pod => pod.serviceAccountName,
  'status.phase': pod => pod.phase,
  'status.podIP': pod => pod.podIP,
  'status.nominatedNodeName': pod => pod.nominatedNodeName,
});

/** One compiled field requirement. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
  /** True when the pod satisfies the requirement. */
  matches(pod: PodRecord): boolean;
  /** The requirement in the API server's field-selector syntax, value escaped. */
  readonly text: string;
}

/** Escapes a field-selector value as the API server expects (`\`, `,` and `=` get a backslash). */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, character => `\\${character}`);
}

/**
 * Compiles `fieldSelectors`. Chaos Mesh's map means equality (`{spec.nodeName: node-1}`); a value
 * may also start with `!=` (not equal) or `==`/`=` (equal), the operators of the API server's
 * syntax. Field values of these fields never start with `=` or `!`, so the prefixes are unambiguous.
 * @throws ChaosplaneError kind `invalid` naming the field when the field is not selectable.
 */
export function compileFieldSelectors(
  fieldSelectors: Readonly<Record<string, string>> | undefined,
  fieldPath = 'selector.fieldSelectors',
): FieldRequirement[] {
  return Object.entries(fieldSelectors ?? {}).map(([field, raw]) => {
    const read = Object.hasOwn(POD_SELECTABLE_FIELDS, field) ? POD_SELECTABLE_FIELDS[field] : undefined;
    if (read === undefined) {
      throw new ChaosplaneError(
        'invalid',
        `${fieldPath}: field label not supported: ${field} (pods can be selected on ${Object.keys(POD_SELECTABLE_FIELDS).join(', ')})`,
        { field: `${fieldPath}.${field}` },
      );
    }
    let operator: '=' | '!=' = '=';
    let value = raw;
    if (raw.startsWith('!=')) {
      operator = '!=';
      value = raw.slice(2);
    } else if (raw.startsWith('==')) {
      value = raw.slice(2);
    } else if (raw.startsWith('=')) {
      value = raw.slice(1);
    }
    const text = `${field}${operator}${escapeFieldValue(value)}`;
    return operator === '='
      ? { field, operator, value, text, matches: pod => read(pod) === value }
      : { field, operator, value, text, matches: pod => read(pod) !== value };
  });
}

/** The field-selector query string of a list of requirements, for a LIST call. */
export function toFieldSelectorString(requirements: readonly FieldRequirement[]): string {
  return requirements.map(requirement => requirement.text).join(',');
}

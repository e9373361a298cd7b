// SPDX-License-Identifier: Apache-2.0
/**
 * Update rules of built-in kinds that clients trip over when the emulator is too lenient:
 * pod specs are mostly immutable, immutable ConfigMaps/Secrets, fixed service cluster IPs.
 */
import { type FieldError, quoteValue } from '../errors.js';
import { type KubeObject, type ResourceType, isMap } from '../types.js';

const POD_SPEC_MESSAGE =
  'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** The pod spec with the fields an update may change blanked out. */
function podSpecForComparison(spec: unknown): string {
  if (!isMap(spec)) return JSON.stringify(spec ?? null);
  const copy = structuredClone(spec);
  for (const list of ['containers', 'initContainers']) {
    const containers = copy[list];
    if (Array.isArray(containers)) for (const c of containers) if (isMap(c)) delete c.image;
  }
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  delete copy.schedulingGates;
  delete copy.ephemeralContainers;
  return JSON.stringify(copy, Object.keys(flatten(copy)).sort());
}

/** All keys at any depth, so JSON.stringify with a key list sorts every level. */
function flatten(v: unknown, out: Record<string, true> = {}): Record<string, true> {
  if (Array.isArray(v)) v.forEach(x => flatten(x, out));
  else if (isMap(v))
    for (const [k, x] of Object.entries(v)) {
      out[k] = true;
      flatten(x, out);
    }
  return out;
}

/** Errors for an update of a built-in object that the apiserver would refuse. */
export function validateBuiltinUpdate(
  next: KubeObject,
  existing: KubeObject,
  type: ResourceType,
): FieldError[] {
  if (type.group !== '') return [];
  const errors: FieldError[] = [];
  switch (type.plural) {
    case 'pods':
      if (podSpecForComparison(next.spec) !== podSpecForComparison(existing.spec)) {
        errors.push({ field: 'spec', type: 'FieldValueForbidden', detail: POD_SPEC_MESSAGE });
      }
      break;
    case 'configmaps':
    case 'secrets':
      if (existing.immutable === true) {
        if (next.immutable !== true) {
          errors.push({
            field: 'immutable',
            type: 'FieldValueForbidden',
            detail: 'Forbidden: field is immutable when `immutable` is set',
          });
        }
        for (const field of ['data', 'binaryData']) {
          if (JSON.stringify(next[field] ?? {}) !== JSON.stringify(existing[field] ?? {})) {
            errors.push({
              field,
              type: 'FieldValueForbidden',
              detail: 'Forbidden: field is immutable when `immutable` is set',
            });
          }
        }
      }
      break;
    case 'services': {
      const before = isMap(existing.spec) ? existing.spec.clusterIP : undefined;
      const after = isMap(next.spec) ? next.spec.clusterIP : undefined;
      if (typeof before === 'string' && before !== '' && after !== before) {
        errors.push({
          field: 'spec.clusterIPs[0]',
          type: 'FieldValueInvalid',
          detail: `Invalid value: ${quoteValue(after)}: may not change once set`,
        });
      }
      break;
    }
    default:
      break;
  }
  return errors;
}

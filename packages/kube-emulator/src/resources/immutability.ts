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

const IMMUTABLE_DETAIL = 'Forbidden: field is immutable when `immutable` is set';

/** Pods: only the fields in POD_SPEC_MESSAGE may change. */
function podUpdateErrors(next: KubeObject, existing: KubeObject): FieldError[] {
  if (podSpecForComparison(next.spec) === podSpecForComparison(existing.spec)) return [];
  return [{ field: 'spec', type: 'FieldValueForbidden', detail: POD_SPEC_MESSAGE }];
}

/** ConfigMaps and Secrets marked `immutable`: it stays set and the data stays as it is. */
function immutableDataErrors(next: KubeObject, existing: KubeObject): FieldError[] {
  if (existing.immutable !== true) return [];
  const errors: FieldError[] = [];
  if (next.immutable !== true) {
    errors.push({ field: 'immutable', type: 'FieldValueForbidden', detail: IMMUTABLE_DETAIL });
  }
  for (const field of ['data', 'binaryData']) {
    if (JSON.stringify(next[field] ?? {}) !== JSON.stringify(existing[field] ?? {})) {
      errors.push({ field, type: 'FieldValueForbidden', detail: IMMUTABLE_DETAIL });
    }
  }
  return errors;
}

/** Services: a cluster IP, once set, stays. */
function clusterIpErrors(next: KubeObject, existing: KubeObject): FieldError[] {
  const before = isMap(existing.spec) ? existing.spec.clusterIP : undefined;
  const after = isMap(next.spec) ? next.spec.clusterIP : undefined;
  if (typeof before !== 'string' || before === '' || after === before) return [];
  return [
    {
      field: 'spec.clusterIPs[0]',
      type: 'FieldValueInvalid',
      detail: `Invalid value: ${quoteValue(after)}: may not change once set`,
    },
  ];
}

/** The update rules of core/v1 kinds, by plural. */
const UPDATE_RULES = new Map<string, (next: KubeObject, existing: KubeObject) => FieldError[]>([
  ['pods', podUpdateErrors],
  ['configmaps', immutableDataErrors],
  ['secrets', immutableDataErrors],
  ['services', clusterIpErrors],
]);

/** Errors for an update of a built-in object that the apiserver would refuse. */
export function validateBuiltinUpdate(
  next: KubeObject,
  existing: KubeObject,
  type: ResourceType,
): FieldError[] {
  if (type.group !== '') return [];
  return UPDATE_RULES.get(type.plural)?.(next, existing) ?? [];
}

// SPDX-License-Identifier: Apache-2.0
// StressChaos's checks in the engine: Chaos Mesh's webhook checks (stressors present, the size's
// format) with its messages; and beyond it, what Chaos Mesh admits but cannot work:
// workers ≤ 0 (silently skipped there), a memory stressor without a size or of size 0 (memStress
// allocates nothing), stressngStressors (ignored there) beside stressors, options it would pass to
// stress-ng as root on the node, memStress's own flags, the unsupported remoteCluster. All but the
// stress-ng options are also CEL rules on the CRD (validations.ts), refused at `kubectl apply`;
// these keep Go's exact wording, which the engine reports first.
import type { SpecRule, Violation } from '@chaosplane/sdk';
import type { StressChaosSpec } from './kind.js';
import { checkMemorySize } from './size.js';
import { stressngArgs, stressorOptions } from './stressorArgv.js';

type Spec = StressChaosSpec;

/** Chaos Mesh's own message, from the check it wrote but never wired up. */
export const WORKERS_NOT_POSITIVE = 'workers should always be positive';
/** Chaos Mesh's message when no stressor is given (on the spec, or on an empty `stressors`). */
export const MISSING_STRESSORS = 'missing stressors';
/** Both ways of giving stressors at once. */
export const BOTH_STRESSOR_FORMS =
  'set either stressors or stressngStressors, not both: Chaos Mesh documents that stressngStressors wins, yet ignores it';
/** A memory stressor without a size (after `Required value: `, the API server's prefix). */
export const SIZE_REQUIRED =
  "Chaos Mesh's memStress allocates nothing without a size; give bytes (256MB) or a percentage of the container's memory limit (25%)";
/** Chaos Mesh's multi-cluster field. */
export const REMOTE_CLUSTER_UNSUPPORTED = 'remote clusters are not supported by Chaosplane: remove it';

/** Chaos Mesh's two "missing stressors" checks. */
function presence(spec: Spec, path: string): Violation[] {
  const { stressors, stressngStressors } = spec;
  if ((stressngStressors ?? '') === '' && stressors === undefined)
    return [{ field: path, message: MISSING_STRESSORS }];
  if (stressors !== undefined && stressors.memory === undefined && stressors.cpu === undefined)
    return [{ field: `${path}.stressors`, message: MISSING_STRESSORS }];
  if (stressors !== undefined && (stressngStressors ?? '') !== '')
    return [{ field: `${path}.stressngStressors`, message: BOTH_STRESSOR_FORMS }];
  return [];
}

/** Workers of each stressor: beyond Chaos Mesh, which skips a stressor of 0 workers silently. */
function workers(spec: Spec, path: string): Violation[] {
  return (['cpu', 'memory'] as const).flatMap(name => {
    const stressor = spec.stressors?.[name];
    if (stressor === undefined || stressor.workers > 0) return [];
    return [{ field: `${path}.stressors.${name}.workers`, message: WORKERS_NOT_POSITIVE }];
  });
}

/** The memory size: Chaos Mesh's format check, and required (memStress allocates nothing without). */
function memorySize(spec: Spec, path: string): Violation[] {
  const memory = spec.stressors?.memory;
  if (memory === undefined) return [];
  const field = `${path}.stressors.memory.size`;
  if (memory.size === undefined || memory.size === '')
    return [{ field, message: `Required value: ${SIZE_REQUIRED}` }];
  const checked = checkMemorySize(memory.size);
  return checked.ok ? [] : [{ field, message: checked.message }];
}

/** Options and stressngStressors: stress-ng arguments StressChaos admits. */
function options(spec: Spec, path: string): Violation[] {
  const out: Violation[] = [];
  for (const name of ['cpu', 'memory'] as const) {
    const stressor = spec.stressors?.[name];
    if (stressor?.options === undefined) continue;
    const checked = stressorOptions(name, stressor.options);
    if (!checked.ok) out.push({ field: `${path}.stressors.${name}.options`, message: checked.message });
  }
  if ((spec.stressngStressors ?? '') !== '') {
    const checked = stressngArgs(spec.stressngStressors!);
    if (!checked.ok) out.push({ field: `${path}.stressngStressors`, message: checked.message });
  }
  if (spec.remoteCluster !== undefined && spec.remoteCluster !== '')
    out.push({ field: `${path}.remoteCluster`, message: REMOTE_CLUSTER_UNSUPPORTED });
  return out;
}

/** Every semantic rule of StressChaos. */
export const stressChaosRules: SpecRule<Spec>[] = [presence, workers, memorySize, options];

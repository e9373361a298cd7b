// SPDX-License-Identifier: Apache-2.0
/**
 * StressChaos as a Chaosplane plugin: Chaos Mesh's CPU and memory stressors (and stress-ng
 * arguments of one's own), run by the node's daemon as stress-ng in the target container's pid
 * namespace and, from their first instruction, in its cgroups: the stress is the container's,
 * bounded by its limits.
 * @packageDocumentation
 */
import { definePlugin } from '@chaosplane/sdk';
import { createStressChaosImpl } from './controller.js';
import { stressChaosDaemon } from './daemon/stressChaosDaemon.js';
import { stressChaosKind } from './kind.js';

export {
  CpuStressorSchema,
  MAX_WORKERS,
  MemoryStressorSchema,
  StressChaosSpecSchema,
  stressChaosKind,
  type StressChaosSpec,
} from './kind.js';
export { WORKERS_NOT_POSITIVE } from './rules.js';
export { checkMemorySize, sizeInBytes, type MemorySize, type SizeCheck } from './size.js';
export {
  STRESS_NG,
  cpuArgv,
  memoryArgv,
  stressngArgv,
  type CpuStress,
  type MemoryStress,
  type StressorName,
} from './stressorArgv.js';
export { STRESSOR_CLASSES } from './stressngOptions.js';
export { createStressChaosImpl } from './controller.js';
export { StressChaosDaemonDefinition } from './gen/chaosplane/stresschaos/v1/stresschaos.js';

export default definePlugin({
  kind: stressChaosKind,
  controller: () => createStressChaosImpl(),
  daemon: stressChaosDaemon,
});

// SPDX-License-Identifier: Apache-2.0
// The chaos kinds the orchestration tests schedule: the bundled plugins' and an out-of-tree one.
import helloWorld from '@chaosplane/experiment-helloworld';
import networkChaos from '@chaosplane/experiment-networkchaos';
import podChaos from '@chaosplane/experiment-podchaos';
import type { ChaosKind } from '@chaosplane/sdk';
import signalChaos from '../../../../examples/plugin-signal/src/index.js';
import { createChaosKindTable } from '../../src/kinds/chaosKindTable.js';

/** The bundled kinds plus SignalChaos (examples/plugin-signal). */
export const KINDS: ChaosKind[] = [helloWorld.kind, podChaos.kind, networkChaos.kind, signalChaos.kind];

/** Their table. */
export const TABLE = createChaosKindTable(KINDS);

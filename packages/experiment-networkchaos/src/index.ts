// SPDX-License-Identifier: Apache-2.0
/**
 * NetworkChaos as a Chaosplane plugin.
 * @packageDocumentation
 */
export { networkChaosKind, NetworkChaosSpecSchema, type NetworkChaosSpec } from './kind.js';

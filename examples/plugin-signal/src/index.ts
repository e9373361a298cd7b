// SPDX-License-Identifier: Apache-2.0
/**
 * SignalChaos, an out-of-tree Chaosplane plugin: sends a signal (SIGKILL, SIGTERM, SIGSTOP…)
 * to the main process of selected containers. Built only on the public APIs of
 * `@chaosplane/core` and `@chaosplane/daemon`; load it with `--plugin chaosplane-plugin-signal`.
 * @packageDocumentation
 */
import { definePlugin } from '@chaosplane/core';
import { createSignalImpl } from './controller.js';
import { signalDaemon } from './daemon.js';
import { signalChaosKind } from './kind.js';

export { SignalChaosSpecSchema, signalChaosKind, type SignalChaosSpec } from './kind.js';
export {
  SUPPORTED_SIGNALS,
  isSupportedSignal,
  requireSupportedSignal,
  type SupportedSignal,
} from './signals.js';
export { createSignalImpl } from './controller.js';
export { signalDaemon } from './daemon.js';
export {
  SignalDaemonDefinition,
  type SendSignalRequest,
  type SendSignalResponse,
} from './gen/chaosplane/examples/signal/v1/signal.js';

export default definePlugin({
  kind: signalChaosKind,
  controller: createSignalImpl,
  daemon: signalDaemon,
});

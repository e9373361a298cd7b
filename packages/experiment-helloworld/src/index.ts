// SPDX-License-Identifier: Apache-2.0
/**
 * HelloWorldChaos as a Chaosplane plugin: the seed of Chaos Mesh's "Extend Chaos Daemon
 * Interface" guide, built only on the public APIs of @chaosplane/core and @chaosplane/daemon.
 * @packageDocumentation
 */
import { definePlugin } from '@chaosplane/core';
import { createHelloWorldImpl } from './controller.js';
import { helloWorldDaemon } from './daemon.js';
import { helloWorldChaosKind } from './kind.js';

export { HelloWorldChaosSpecSchema, helloWorldChaosKind, type HelloWorldChaosSpec } from './kind.js';
export { createHelloWorldImpl } from './controller.js';
export { helloWorldDaemon } from './daemon.js';
export {
  HelloWorldDaemonDefinition,
  type ExecHelloWorldRequest,
  type ExecHelloWorldResponse,
} from './gen/chaosplane/helloworld/v1/helloworld.js';

export default definePlugin({
  kind: helloWorldChaosKind,
  controller: createHelloWorldImpl,
  daemon: helloWorldDaemon,
});

// SPDX-License-Identifier: Apache-2.0
// The daemon half of HelloWorldChaos: container id → PID through the runtime client, then
// `ps aux` inside the container's mount and pid namespaces through the process manager (argv, no
// shell). The `ps` that runs is the container's own binary, which its tenant controls: it runs as
// nobody (no capabilities), never as host root.
import { defineDaemonHandler } from '@chaosplane/daemon';
import { HelloWorldDaemonDefinition } from './gen/chaosplane/helloworld/v1/helloworld.js';

// The overflow uid/gid: owns nothing, holds no capabilities.
const NOBODY = { uid: 65534, gid: 65534 };

/** HelloWorldChaos's daemon handler registration. */
export const helloWorldDaemon = defineDaemonHandler({
  service: HelloWorldDaemonDefinition,
  handler: deps => ({
    async execHelloWorldChaos(request, context) {
      const log = deps.loggerFor(context);
      const { pid } = await deps.runtimes.pidOf(request.containerId, context.signal);
      const result = await deps.processManager.run({
        pid,
        namespaces: ['mnt', 'pid'],
        runAs: NOBODY,
        argv: ['ps', 'aux'],
        signal: context.signal,
      });
      log.info('ps aux in container', { containerId: request.containerId, pid, output: result.stdout });
      return { output: result.stdout, pid };
    },
  }),
});

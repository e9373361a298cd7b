// SPDX-License-Identifier: Apache-2.0
/**
 * HelloWorldChaos, the seed of Chaos Mesh's "Extend Chaos Daemon Interface" guide.
 * @packageDocumentation
 */
import { defineDaemonHandler } from '@chaosplane/daemon/plugin';
import {
  ContainerSelectorProperties,
  DurationString,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  Type,
  containerSelector,
  definePlugin,
} from '@chaosplane/sdk';
import { HelloWorldDaemonDefinition } from './gen/chaosplane/helloworld/v1/helloworld.js';

export { HelloWorldDaemonDefinition };

/** The HelloWorldChaos spec: which containers say hello, and how long the object lives. */
export const HelloWorldChaosSpecSchema = Type.Object(
  { ...ContainerSelectorProperties, duration: Type.Optional(DurationString()) },
  { podSelectorValue: true, description: 'Which containers say hello.' },
);

export default definePlugin({
  kind: {
    kind: 'HelloWorldChaos',
    plural: 'helloworldchaos',
    spec: HelloWorldChaosSpecSchema,
    isOneShot: () => true,
    selectors: obj => ({ '.': containerSelector(obj.spec) }),
  },
  controller: {
    async apply({ target, daemon, events, log }) {
      log.info('Apply helloworld chaos', { containerId: target.containerId, node: target.nodeName });
      const hello = daemon(HelloWorldDaemonDefinition);
      const { output, pid } = await hello.execHelloWorldChaos({ containerId: target.containerId });
      // Events are capped: `ps aux` of a busy container is long.
      events.normal('HelloWorld', `ps aux in ${target.id} (pid ${pid}):\n${output.slice(0, 900)}`);
      return PHASE_INJECTED;
    },
    recover: () => PHASE_NOT_INJECTED, // saying hello leaves nothing behind
  },
  daemon: defineDaemonHandler({
    service: HelloWorldDaemonDefinition,
    handler: daemon => ({
      // `ps` is the container's own binary, which its tenant controls: it runs as nobody.
      async execHelloWorldChaos(request, context) {
        const call = daemon.call(context);
        const container = await call.container(request.containerId);
        const { pid } = container;
        const { stdout } = await container.run(['ps', 'aux'], { as: 'nobody', namespaces: ['mnt', 'pid'] });
        call.log.info('ps aux in container', { containerId: request.containerId, pid, output: stdout });
        return { output: stdout, pid };
      },
    }),
  }),
});

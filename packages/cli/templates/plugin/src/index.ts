/**
 * __KIND__, a Chaosplane plugin: while the experiment runs, each selected container holds a file
 * (`spec.path`, `spec.content`), written as the container's own user; recovering removes it.
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
import { __SERVICE__Definition } from './gen/__PROTO_DIR__/plugin.js';

/** The __KIND__ spec: which containers, which file, and for how long. */
export const SpecSchema = Type.Object(
  {
    ...ContainerSelectorProperties,
    path: Type.String({ pattern: '^/', description: 'Absolute path of the file in each container.' }),
    content: Type.String({ description: 'What the file holds.' }),
    duration: Type.Optional(DurationString({ description: 'How long the file stays (Go duration).' })),
  },
  { podSelectorValue: true },
);

export default definePlugin({
  kind: {
    kind: '__KIND__',
    plural: '__PLURAL__',
    spec: SpecSchema,
    selectors: obj => ({ '.': containerSelector(obj.spec) }),
  },
  controller: {
    async apply({ obj, target, daemon, events }) {
      const { path, content } = obj.spec;
      const { applied } = await daemon(__SERVICE__Definition).writeFile({
        containerId: target.containerId,
        path,
        content,
      });
      if (applied) events.normal('FileWritten', `${path} in ${target.id}`);
      return PHASE_INJECTED;
    },
    async recover({ daemon }) {
      await daemon(__SERVICE__Definition).removeFile({});
      return PHASE_NOT_INJECTED;
    },
  },
  daemon: defineDaemonHandler({
    service: __SERVICE__Definition,
    handler: daemon => ({
      async writeFile(request, context) {
        const container = await daemon.call(context).container(request.containerId);
        // A lasting change: its undo is journaled first, and it is keyed by the chaos object and
        // record, so a repeated apply finds it in place and recover finds it again.
        return container.change('file', {
          as: 'container',
          apply: { argv: ['tee', request.path], stdin: request.content },
          undo: { argv: ['rm', '-f', request.path] },
        });
      },
      async removeFile(_request, context) {
        return { removed: await daemon.call(context).revert('file') };
      },
    }),
  }),
});

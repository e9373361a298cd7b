// SPDX-License-Identifier: Apache-2.0
// A test plugin with a service of its own (test.plugin.v1.Probe), registered without touching
// the core proto. To stay free of a generation step it reuses core messages as its request and
// response types: WhoCalls(VersionRequest) → VersionResponse; Wait(ContainerPidRequest with the
// milliseconds to wait in container_id) → VersionResponse.
import { daemonProto } from '@chaosplane/core';
import { defineDaemonHandler } from '@chaosplane/daemon';
import { delay } from 'abort-controller-x';

export const ProbeDefinition = {
  name: 'Probe',
  fullName: 'test.plugin.v1.Probe',
  methods: {
    whoCalls: {
      name: 'WhoCalls',
      requestType: daemonProto.VersionRequest,
      requestStream: false,
      responseType: daemonProto.VersionResponse,
      responseStream: false,
      options: {},
    },
    wait: {
      name: 'Wait',
      requestType: daemonProto.ContainerPidRequest,
      requestStream: false,
      responseType: daemonProto.VersionResponse,
      responseStream: false,
      options: {},
    },
  },
} as const;

export const probePlugin = defineDaemonHandler({
  service: ProbeDefinition,
  handler: deps => ({
    whoCalls(_request, context) {
      const chaos = deps.chaosOf(context);
      deps.loggerFor(context).info('probe called');
      return Promise.resolve({
        callerIdentity: deps.callerIdentity(context),
        version: chaos ? `${chaos.namespace}/${chaos.name}` : '',
        services: deps.runtimes.runtimes,
      });
    },
    async wait(request, context) {
      await delay(context.signal, Number(request.containerId));
      return { version: 'waited' };
    },
  }),
});

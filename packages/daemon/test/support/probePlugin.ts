// SPDX-License-Identifier: Apache-2.0
// A test plugin with a service of its own (test.plugin.v1.Probe), registered without touching
// the core proto. To stay free of a generation step it reuses core messages as its request and
// response types: WhoCalls(VersionRequest) → VersionResponse (caller, chaos object, record); Wait(ContainerPidRequest with the
// milliseconds to wait in container_id) → VersionResponse.
import * as daemonProto from '../../src/gen/chaosplane/daemon/v1/daemon.js';
import { defineDaemonHandler } from '../../src/plugin/defineDaemonHandler.js';
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
  handler: daemon => ({
    // What the call's scope says: the caller, the chaos object and the record.
    whoCalls(_request, context) {
      const call = daemon.call(context);
      call.log.info('probe called');
      return Promise.resolve({
        callerIdentity: call.caller,
        version: call.chaos ? `${call.chaos.namespace}/${call.chaos.name}` : '',
        services: call.record !== undefined ? [call.record] : [],
      });
    },
    async wait(request, context) {
      await delay(context.signal, Number(request.containerId));
      return { version: 'waited' };
    },
  }),
});

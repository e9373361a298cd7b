// SPDX-License-Identifier: Apache-2.0
// The CRI-O client against a SIMULATED CRI-O: CRI-O is not packaged for this Debian, so the
// endpoint is a real gRPC server on a unix socket speaking the CRI runtime.v1.RuntimeService
// subset the client uses (ContainerStatus verbose with info.info.pid, ListContainers). The
// containerd and Docker clients are tested against the real runtimes.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCrioClient } from '../src/runtime/createCrioClient.js';
import { createRuntimeResolver } from '../src/runtime/createRuntimeResolver.js';
import { createServer, type Server, ServerError, Status } from 'nice-grpc';

import { ContainerState, RuntimeServiceDefinition } from '../src/gen/cri/runtime/v1/cri.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cp-sim-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('CRI-O client over the CRI API (simulated CRI-O)', () => {
  let server: Server;
  beforeAll(async () => {
    server = createServer();
    server.add(RuntimeServiceDefinition, {
      containerStatus(request) {
        if (request.containerId === 'run1') {
          return Promise.resolve({
            status: { id: 'run1', state: ContainerState.CONTAINER_RUNNING },
            info: { info: JSON.stringify({ pid: 777, sandboxID: 's' }) },
          });
        }
        if (request.containerId === 'done1')
          return Promise.resolve({ status: { id: 'done1', state: ContainerState.CONTAINER_EXITED } });
        return Promise.reject(
          new ServerError(Status.NOT_FOUND, `could not find container "${request.containerId}"`),
        );
      },
      listContainers() {
        return Promise.resolve({
          containers: [{ id: 'run1', state: ContainerState.CONTAINER_RUNNING, labels: { x: 'y' } }],
        });
      },
      stopContainer() {
        return Promise.resolve({});
      },
    });
    await server.listen(`unix://${path.join(dir, 'crio.sock')}`);
  });
  afterAll(async () => {
    await server.shutdown();
  });

  it('reads the PID from the verbose status, reports exited and unknown containers, lists', async () => {
    const client = createCrioClient({ socketPath: path.join(dir, 'crio.sock') });
    try {
      const resolver = createRuntimeResolver([client]);
      expect(await resolver.pidOf('cri-o://run1')).toEqual({ pid: 777, runtime: 'cri-o' });
      await expect(resolver.pidOf('cri-o://done1')).rejects.toThrow(
        'container cri-o://done1 is not running (state CONTAINER_EXITED)',
      );
      await expect(resolver.pidOf('cri-o://gone')).rejects.toThrow(
        'container cri-o://gone not found by CRI-O',
      );
      expect(await client.list()).toEqual([{ id: 'cri-o://run1', running: true, labels: { x: 'y' } }]);
    } finally {
      client.close();
    }
  });
});

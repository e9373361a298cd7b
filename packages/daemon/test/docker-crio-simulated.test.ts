// SPDX-License-Identifier: Apache-2.0
// Docker and CRI-O clients against SIMULATED endpoints on unix sockets: dockerd is not installed
// on this machine and CRI-O is not packaged for this Debian. The Docker endpoint answers the
// Engine API paths the client uses (GET /containers/ID/json, POST /containers/ID/kill,
// GET /containers/json); the CRI-O endpoint is a real gRPC server speaking the CRI
// runtime.v1.RuntimeService subset (ContainerStatus verbose with info.info.pid, ListContainers).
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/core';
import { createCrioClient, createDockerClient, createRuntimeResolver } from '@chaosplane/daemon';
import { createServer, type Server, ServerError, Status } from 'nice-grpc';

import { ContainerState, RuntimeServiceDefinition } from '../src/gen/cri/runtime/v1/cri.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cp-sim-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Docker Engine API client (simulated dockerd)', () => {
  let server: http.Server;
  const requests: string[] = [];
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      const json = (status: number, body: unknown): void => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (request.url === '/containers/abc123/json')
        json(200, { State: { Pid: 4242, Running: true, Status: 'running' } });
      else if (request.url === '/containers/stopped1/json')
        json(200, { State: { Pid: 0, Running: false, Status: 'exited' } });
      else if (request.url === '/containers/abc123/kill?signal=SIGTERM') response.writeHead(204).end();
      else if (request.url === '/containers/json?all=1')
        json(200, [{ Id: 'abc123', State: 'running', Labels: { a: 'b' } }]);
      else json(404, { message: `No such container: ${request.url}` });
    });
    await new Promise<void>(resolve => server.listen(path.join(dir, 'docker.sock'), resolve));
  });
  afterAll(async () => {
    await new Promise(resolve => server.close(resolve));
  });

  it('reads State.Pid, reports stopped and unknown containers, kills and lists', async () => {
    const resolver = createRuntimeResolver([
      createDockerClient({ socketPath: path.join(dir, 'docker.sock') }),
    ]);
    expect(await resolver.pidOf('docker://abc123')).toEqual({ pid: 4242, runtime: 'docker' });
    await expect(resolver.pidOf('docker://stopped1')).rejects.toThrow(
      'container docker://stopped1 is not running (status exited)',
    );
    const unknown = await resolver.pidOf('docker://nope').catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(unknown, 'not-found')).toBe(true);
    await resolver.kill('docker://abc123', 'SIGTERM');
    expect(requests).toContain('POST /containers/abc123/kill?signal=SIGTERM');
    const { client } = resolver.clientFor('docker://abc123');
    expect(await client.list()).toEqual([{ id: 'docker://abc123', running: true, labels: { a: 'b' } }]);
    await expect(resolver.pidOf('containerd://abc123')).rejects.toThrow(
      /expected docker:\/\/ .* but found containerd:\/\//,
    );
  });
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

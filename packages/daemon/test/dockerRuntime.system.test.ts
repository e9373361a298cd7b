// SPDX-License-Identifier: Apache-2.0
// The Docker client against a real dockerd (Debian's docker.io) started privately on top of the
// test containerd, with a busybox image imported from a root filesystem (no registry).
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeIf } from '@chaosplane/testing';
import { ChaosplaneError } from '@chaosplane/sdk';
import { createDockerClient } from '../src/runtime/createDockerClient.js';
import { createRuntimeResolver } from '../src/runtime/createRuntimeResolver.js';
import { type ContainerRuntimeClient } from '../src/runtime/ContainerRuntime.js';
import {
  containerdUnavailableReason,
  dockerUnavailableReason,
  startContainerd,
  startDocker,
  type ContainerdEnvironment,
  type DockerEnvironment,
  type DockerTestContainer,
} from '@chaosplane/dev/harness';

describeIf(containerdUnavailableReason() ?? dockerUnavailableReason())('against a real dockerd', () => {
  let containerd: ContainerdEnvironment;
  let docker: DockerEnvironment;
  let client: ContainerRuntimeClient;
  let running: DockerTestContainer;
  let stopped: DockerTestContainer;

  beforeAll(async () => {
    containerd = await startContainerd();
    docker = await startDocker(containerd);
    client = createDockerClient({ socketPath: docker.socketPath });
    running = await docker.createContainer();
    stopped = await docker.createContainer();
    await docker.stopContainer(stopped.bareId);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await docker?.stop();
    await containerd?.stop();
  }, 120_000);

  it('reads State.Pid of a running container', async () => {
    expect(await createRuntimeResolver([client]).pidOf(running.id)).toEqual({
      pid: running.pid,
      runtime: 'docker',
    });
  });

  it('says a stopped container is not running and an unknown one is not found', async () => {
    await expect(client.pidOf(stopped.bareId)).rejects.toThrow(
      `container docker://${stopped.bareId} is not running (status exited)`,
    );
    const unknown = await client.pidOf('nosuchcontainer').catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(unknown, 'not-found')).toBe(true);
    expect((unknown as Error).message).toContain('container docker://nosuchcontainer not found by Docker');
  });

  it('lists and kills containers', async () => {
    const victim = await docker.createContainer();
    expect(await client.list()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: running.id, running: true }),
        expect.objectContaining({ id: victim.id, running: true }),
        expect.objectContaining({ id: stopped.id, running: false }),
      ]),
    );
    await client.kill(victim.bareId, 'SIGKILL');
    // Docker answers the kill once the signal is sent; the state follows shortly after.
    let failure: unknown;
    for (let i = 0; i < 100 && failure === undefined; i++) {
      failure = await client.pidOf(victim.bareId).then(
        () => new Promise(resolve => setTimeout(() => resolve(undefined), 50)),
        (e: unknown) => e,
      );
    }
    expect((failure as Error).message).toMatch(/is not running/);
  });
});

// SPDX-License-Identifier: Apache-2.0
// exec through the CRI-O client against a SIMULATED CRI-O: CRI-O cannot run on this machine
// (it is not packaged for this Debian), so the endpoint is a real gRPC server on a unix socket
// speaking the CRI runtime.v1.RuntimeService ExecSync call the client uses, answering as CRI-O
// does (NotFound for unknown or stopped containers). What CRI-O itself does with the command
// (user, capabilities, cgroup, timeout kill) is not exercised here; the containerd and Docker
// exec tests (runtimeExec.system.test.ts) run against the real runtimes.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/sdk';
import { createServer, type Server, ServerError, Status } from 'nice-grpc';

import { type ExecSyncRequest, RuntimeServiceDefinition } from '../src/gen/cri/runtime/v1/cri.js';
import { type ContainerRuntimeClient } from '../src/runtime/ContainerRuntime.js';
import { createCrioClient, CriExecSyncDefinition } from '../src/runtime/createCrioClient.js';

describe('CRI-O exec through CRI ExecSync (simulated CRI-O endpoint)', () => {
  let dir: string;
  let server: Server;
  let client: ContainerRuntimeClient;
  const requests: ExecSyncRequest[] = [];
  let cancelledCalls = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-crio-exec-'));
    server = createServer();
    const unused = (): Promise<never> =>
      Promise.reject(new ServerError(Status.UNIMPLEMENTED, 'not simulated'));
    server.add(RuntimeServiceDefinition, {
      listContainers: unused,
      containerStatus: unused,
      stopContainer: unused,
    });
    server.add(CriExecSyncDefinition, {
      execSync(request, context) {
        requests.push(request);
        if (request.containerId === 'done1') {
          return Promise.reject(new ServerError(Status.NOT_FOUND, 'container is not created or running'));
        }
        if (request.containerId !== 'run1') {
          return Promise.reject(
            new ServerError(Status.NOT_FOUND, `could not find container "${request.containerId}"`),
          );
        }
        const command = request.cmd.join(' ');
        if (command === 'sleep 100') {
          // Like CRI-O, only the runtime's own timeout would end it: wait for the caller to go.
          return new Promise((_, reject) =>
            context.signal.addEventListener('abort', () => {
              cancelledCalls++;
              reject(new Error('cancelled'));
            }),
          );
        }
        if (request.cmd[0] === 'no-such-program' || request.cmd[0] === '/etc/passwd') {
          // CRI-O passes on what runc said when it could not start the program.
          const why =
            request.cmd[0] === '/etc/passwd' ? 'permission denied' : 'executable file not found in $PATH';
          return Promise.reject(
            new ServerError(
              Status.UNKNOWN,
              `command error: exec failed: unable to start container process: exec: "${request.cmd[0]}": ${why}: unknown, stdout: , stderr: , exit code -1`,
            ),
          );
        }
        if (command === 'runtime broken') {
          return Promise.reject(
            new ServerError(Status.INTERNAL, 'conmon: failed to create the exec session'),
          );
        }
        if (command === 'id -u') return Promise.resolve({ stdout: Buffer.from('0\n'), exitCode: 0 });
        if (command === 'yes') {
          return Promise.resolve({ stdout: Buffer.from('y\n'.repeat(5000)), stderr: Buffer.from('e') });
        }
        return Promise.resolve({ stdout: Buffer.from(command), stderr: Buffer.from('oops\n'), exitCode: 3 });
      },
    });
    await server.listen(`unix://${path.join(dir, 'crio.sock')}`);
    client = createCrioClient({ socketPath: path.join(dir, 'crio.sock') });
  });

  afterAll(async () => {
    client?.close();
    await server?.shutdown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('returns stdout and exit code, passes argv literally and the timeout in whole seconds', async () => {
    expect(await client.exec('run1', { argv: ['id', '-u'] })).toEqual({
      stdout: '0\n',
      stderr: '',
      exitCode: 0,
      signal: null,
      truncated: false,
    });
    expect(requests.at(-1)).toEqual({ containerId: 'run1', cmd: ['id', '-u'], timeout: 60 });
    const literal = await client.exec('run1', { argv: ['echo', '$(id); `x`'], timeoutMs: 1500 });
    expect(literal).toEqual(
      expect.objectContaining({ stdout: 'echo $(id); `x`', stderr: 'oops\n', exitCode: 3 }),
    );
    expect(requests.at(-1)).toEqual({ containerId: 'run1', cmd: ['echo', '$(id); `x`'], timeout: 2 });
  });

  it('caps each stream at maxOutputBytes and says it truncated', async () => {
    const result = await client.exec('run1', { argv: ['yes'], maxOutputBytes: 10 });
    expect(result).toEqual(
      expect.objectContaining({ stdout: 'y\n'.repeat(5), stderr: 'e', truncated: true }),
    );
  });

  it("refuses stdin, naming the field and saying CRI-O's ExecSync has none", async () => {
    const before = requests.length;
    const failure = await client.exec('run1', { argv: ['cat'], stdin: 'x' }).catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(failure, 'invalid')).toBe(true);
    expect((failure as ChaosplaneError).field).toBe('stdin');
    expect((failure as Error).message).toContain("CRI-O's ExecSync has no stdin");
    expect(requests.length).toBe(before);
  });

  it('fails with kind not-found for unknown and stopped containers', async () => {
    for (const id of ['gone', 'done1']) {
      const failure = await client.exec(id, { argv: ['true'] }).catch((e: unknown) => e);
      expect(ChaosplaneError.isKind(failure, 'not-found')).toBe(true);
      expect((failure as Error).message).toContain(`cri-o://${id}`);
    }
  });

  it("fails with kind command, in the runtime's words, when the program cannot be started", async () => {
    for (const [program, why] of [
      ['no-such-program', 'executable file not found in $PATH'],
      ['/etc/passwd', 'permission denied'],
    ]) {
      const failure = await client.exec('run1', { argv: [program!, 'x'] }).catch((e: unknown) => e);
      expect(ChaosplaneError.isKind(failure, 'command')).toBe(true);
      expect((failure as Error).message).toContain(`"${program}" could not be started in cri-o://run1`);
      expect((failure as Error).message).toContain(why);
    }
  });

  it('keeps kind runtime for a failure of CRI-O itself and for an unreachable CRI-O', async () => {
    const broken = await client.exec('run1', { argv: ['runtime', 'broken'] }).catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(broken, 'runtime')).toBe(true);
    expect((broken as Error).message).toContain('conmon: failed to create the exec session');
    const nowhere = createCrioClient({ socketPath: path.join(dir, 'no-crio.sock') });
    try {
      const unreachable = await nowhere.exec('run1', { argv: ['no-such-program'] }).catch((e: unknown) => e);
      expect(ChaosplaneError.isKind(unreachable, 'runtime')).toBe(true);
    } finally {
      nowhere.close();
    }
  });

  it('fails with kind aborted on timeout and on cancel, dropping the call', async () => {
    const started = Date.now();
    const timedOut = await client
      .exec('run1', { argv: ['sleep', '100'], timeoutMs: 500 })
      .catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(timedOut, 'aborted')).toBe(true);
    expect((timedOut as Error).message).toContain('ran longer than 500 ms');
    expect(Date.now() - started).toBeLessThan(2000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const cancelled = await client
      .exec('run1', { argv: ['sleep', '100'], signal: controller.signal })
      .catch((e: unknown) => e);
    expect(ChaosplaneError.isKind(cancelled, 'aborted')).toBe(true);
    expect((cancelled as Error).message).toContain('the call was cancelled');
    // The simulated CRI-O saw both calls go away.
    for (let i = 0; i < 50 && cancelledCalls < 2; i++) await new Promise(resolve => setTimeout(resolve, 20));
    expect(cancelledCalls).toBe(2);
  });
});

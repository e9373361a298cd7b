// SPDX-License-Identifier: Apache-2.0
// Server behaviour that needs no container runtime: structured logs carrying the chaos object,
// the server-side cap on call time, graceful shutdown, and TLS 1.3 only.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import tls from 'node:tls';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChaosDaemonDefinition } from '../src/gen/chaosplane/daemon/v1/daemon.js';
import { createDaemonClientPool, type DaemonClientPool } from '../src/client/createDaemonClientPool.js';
import { createLogger } from '@chaosplane/service';
import { startDaemon, type RunningDaemon } from '@chaosplane/daemon';
import { mintCertificates, type MintedCertificates } from '@chaosplane/dev/harness';
import { type ClientError, Status } from 'nice-grpc';

import { ProbeDefinition, probePlugin } from './support/probePlugin.js';

describe('daemon server behaviour', () => {
  let certs: MintedCertificates;
  let stateDir: string;
  let daemon: RunningDaemon;
  let pool: DaemonClientPool;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    certs = await mintCertificates();
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-behaviour-'));
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n'))
        if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
    });
    daemon = await startDaemon({
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      tls: { caPem: certs.caPem, certPem: certs.serverCertPem, keyPem: certs.serverKeyPem },
      stateDir,
      runtimes: {},
      plugins: [probePlugin],
      logger: createLogger({ format: 'json', level: 'debug', stream }),
      maxCallMs: 1000,
    });
    pool = createDaemonClientPool({
      source: { resolve: () => Promise.resolve('localhost') },
      port: daemon.grpcPort,
      tls: { caPem: certs.caPem, certPem: certs.clientCertPem, keyPem: certs.clientKeyPem },
    });
  });

  afterAll(async () => {
    pool.close();
    await daemon.close();
    await rm(stateDir, { recursive: true, force: true });
    await rm(certs.dir, { recursive: true, force: true });
  });

  it('logs every call with the chaos object, method and verified caller', async () => {
    const probe = await pool.clientFor('n', ProbeDefinition, {
      chaos: { namespace: 'team-a', name: 'hello' },
    });
    await probe.whoCalls({});
    const core = await pool.clientFor('n', ChaosDaemonDefinition, {
      chaos: { namespace: 'team-a', name: 'hello' },
    });
    await core.containerPid({ containerId: 'containerd://abc' }).catch(() => undefined);
    expect(logLines).toContainEqual(
      expect.objectContaining({
        message: 'probe called',
        chaos: 'team-a/hello',
        plugin: 'test.plugin.v1.Probe',
      }),
    );
    expect(logLines).toContainEqual(
      expect.objectContaining({
        message: 'call refused',
        chaos: 'team-a/hello',
        method: '/chaosplane.daemon.v1.ChaosDaemon/ContainerPid',
        caller: 'chaosplane-controller',
        code: 'INVALID_ARGUMENT',
      }),
    );
  });

  it("cuts a call at the daemon's own limit with DEADLINE_EXCEEDED", async () => {
    const probe = await pool.clientFor('n', ProbeDefinition);
    const failure = (await probe.wait({ containerId: '60000' }).catch((e: unknown) => e)) as ClientError;
    expect(failure.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(failure.details).toBe("/test.plugin.v1.Probe/Wait ran longer than the daemon's 1000 ms limit");
  });

  it('speaks TLS 1.3 only', async () => {
    const handshake = (maxVersion: tls.SecureVersion): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = tls.connect({
          host: 'localhost',
          port: daemon.grpcPort,
          ca: certs.caPem,
          cert: certs.clientCertPem,
          key: certs.clientKeyPem,
          maxVersion,
          ALPNProtocols: ['h2'],
        });
        socket.once('secureConnect', () => {
          resolve(socket.getProtocol() ?? '');
          socket.destroy();
        });
        socket.once('error', reject);
      });
    expect(await handshake('TLSv1.3')).toBe('TLSv1.3');
    await expect(handshake('TLSv1.2')).rejects.toThrow(/protocol version|alert/i);
  });

  it('lets in-flight calls finish on graceful shutdown, then refuses new ones', async () => {
    const probe = await pool.clientFor('n', ProbeDefinition);
    const inFlight = probe.wait({ containerId: '300' });
    await new Promise(resolve => setTimeout(resolve, 50));
    const closing = daemon.close();
    expect(await inFlight).toEqual({ version: 'waited', services: [], callerIdentity: '' });
    await closing;
    const refused = (await probe.whoCalls({}).catch((e: unknown) => e)) as ClientError;
    expect(refused.code).toBe(Status.UNAVAILABLE);
  });
});

// SPDX-License-Identifier: Apache-2.0
// --allowed-client: the CA may sign more certificates than the operator's; only the allowed
// common names may call the daemon.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChaosDaemonDefinition } from '../src/gen/chaosplane/daemon/v1/daemon.js';
import { createDaemonClientPool } from '../src/client/createDaemonClientPool.js';
import { createSilentLogger } from '@chaosplane/service';
import { startDaemon, type RunningDaemon } from '@chaosplane/daemon';
import { mintCertificates, type MintedCertificates } from '@chaosplane/dev/harness';
import { Status } from 'nice-grpc';

describe('allowed clients', () => {
  let certs: MintedCertificates;
  const started: Array<{ daemon: RunningDaemon; stateDir: string }> = [];

  beforeAll(async () => {
    certs = await mintCertificates({ clientName: 'chaosplane-operator' });
  });
  afterAll(async () => {
    for (const { daemon, stateDir } of started) {
      await daemon.close();
      await rm(stateDir, { recursive: true, force: true });
    }
    await rm(certs.dir, { recursive: true, force: true });
  });

  async function versionCall(allowedClients: string[]): Promise<unknown> {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-allowed-'));
    const daemon = await startDaemon({
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      tls: { caPem: certs.caPem, certPem: certs.serverCertPem, keyPem: certs.serverKeyPem },
      stateDir,
      runtimes: {},
      logger: createSilentLogger(),
      allowedClients,
    });
    started.push({ daemon, stateDir });
    const pool = createDaemonClientPool({
      source: { resolve: () => Promise.resolve('localhost') },
      port: daemon.grpcPort,
      tls: { caPem: certs.caPem, certPem: certs.clientCertPem, keyPem: certs.clientKeyPem },
    });
    try {
      const client = await pool.clientFor('node', ChaosDaemonDefinition);
      return await client.version({}).catch((error: unknown) => error);
    } finally {
      pool.close();
    }
  }

  it('serves a caller whose certificate name is allowed', async () => {
    expect(await versionCall(['chaosplane-operator'])).toHaveProperty('version');
  });

  it('refuses a caller with a valid certificate of the CA whose name is not allowed', async () => {
    expect(await versionCall(['someone-else'])).toMatchObject({
      code: Status.PERMISSION_DENIED,
      details: 'caller "chaosplane-operator" is not an allowed client of this daemon',
    });
  });
});

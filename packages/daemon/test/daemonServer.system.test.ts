// SPDX-License-Identifier: Apache-2.0
// The daemon over real gRPC with mTLS (certificates minted per run with openssl), against a real
// containerd, reached through the operator's pool of @chaosplane/daemon/client.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeIf } from '@chaosplane/testing';
import { ChaosDaemonDefinition } from '../src/gen/chaosplane/daemon/v1/daemon.js';
import { createDaemonClientPool, type DaemonClientPool } from '../src/client/createDaemonClientPool.js';
import { startDaemon, type RunningDaemon } from '@chaosplane/daemon';
import {
  containerdUnavailableReason,
  mintCertificates,
  startContainerd,
  type ContainerdEnvironment,
  type MintedCertificates,
  type TestContainer,
} from '@chaosplane/dev/harness';
import { ChannelCredentials, ClientError, createChannel, createClient, Metadata, Status } from 'nice-grpc';

import { ProbeDefinition, probePlugin } from './support/probePlugin.js';

describeIf(containerdUnavailableReason())('chaos daemon over mTLS', () => {
  let certs: MintedCertificates;
  let otherCa: MintedCertificates;
  let containerd: ContainerdEnvironment;
  let container: TestContainer;
  let stateDir: string;
  let daemon: RunningDaemon;
  let pool: DaemonClientPool;

  beforeAll(async () => {
    [certs, otherCa] = await Promise.all([
      mintCertificates(),
      mintCertificates({ caName: 'intruder-ca', clientName: 'intruder' }),
    ]);
    containerd = await startContainerd();
    container = await containerd.createContainer();
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-daemon-'));
    daemon = await startDaemon({
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      httpHost: '127.0.0.1',
      httpPort: 0,
      tls: { caPem: certs.caPem, certPem: certs.serverCertPem, keyPem: certs.serverKeyPem },
      stateDir,
      runtimes: { containerd: { socketPath: containerd.socketPath, namespace: containerd.namespace } },
      plugins: [probePlugin],
    });
    pool = createDaemonClientPool({
      source: { resolve: node => Promise.resolve(node === 'node-a' ? 'localhost' : undefined) },
      port: daemon.grpcPort,
      tls: { caPem: certs.caPem, certPem: certs.clientCertPem, keyPem: certs.clientKeyPem },
      callTimeoutMs: 300,
    });
  }, 60_000);

  afterAll(async () => {
    pool?.close();
    await daemon?.close();
    await containerd?.stop();
    for (const dir of [stateDir, certs?.dir, otherCa?.dir])
      if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('tells a verified caller its identity, ignoring a spoofed identity header', async () => {
    const client = await pool.clientFor('node-a', ChaosDaemonDefinition);
    const version = await client.version(
      {},
      { metadata: Metadata({ 'x-chaosplane-peer-identity': 'someone-else' }) },
    );
    expect(version.callerIdentity).toBe('chaosplane-controller');
    expect(version.services).toEqual(['chaosplane.daemon.v1.ChaosDaemon', 'test.plugin.v1.Probe']);
  });

  it("serves a plugin's own service; its handler sees the caller, the chaos object and the record", async () => {
    const probe = await pool.clientFor('node-a', ProbeDefinition, {
      chaos: { namespace: 'team-a', name: 'hello', uid: 'u-1' },
      record: 'team-a/pod-0/main',
    });
    const answer = await probe.whoCalls({});
    expect(answer).toEqual({
      callerIdentity: 'chaosplane-controller',
      version: 'team-a/hello',
      services: ['team-a/pod-0/main'],
    });
  });

  it('refuses a client without a certificate', async () => {
    const channel = createChannel(`localhost:${daemon.grpcPort}`, ChannelCredentials.createSsl(certs.caPem));
    try {
      const client = createClient(ChaosDaemonDefinition, channel);
      const failure = await client.version({}).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ClientError);
      expect((failure as ClientError).code).toBe(Status.UNAVAILABLE);
    } finally {
      channel.close();
    }
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const channel = createChannel(
      `localhost:${daemon.grpcPort}`,
      ChannelCredentials.createSsl(certs.caPem, otherCa.clientKeyPem, otherCa.clientCertPem),
    );
    try {
      const client = createClient(ChaosDaemonDefinition, channel);
      const failure = await client.version({}).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ClientError);
      expect((failure as ClientError).code).toBe(Status.UNAVAILABLE);
    } finally {
      channel.close();
    }
  });

  it('returns the PID of a real container, and NOT_FOUND with a clear message for an unknown one', async () => {
    const client = await pool.clientFor('node-a', ChaosDaemonDefinition);
    expect(await client.containerPid({ containerId: container.id })).toEqual({
      pid: container.pid,
      runtime: 'containerd',
    });
    const failure = (await client
      .containerPid({ containerId: 'containerd://nope' })
      .catch((e: unknown) => e)) as ClientError;
    expect(failure.code).toBe(Status.NOT_FOUND);
    expect(failure.details).toContain('container containerd://nope not found in containerd namespace');
  });

  it('rejects container ids carrying shell syntax with INVALID_ARGUMENT', async () => {
    const client = await pool.clientFor('node-a', ChaosDaemonDefinition);
    for (const bad of [
      'containerd://x; rm -rf /',
      'containerd://$(reboot)',
      'containerd://`id`',
      'containerd://a\nb',
    ]) {
      const failure = (await client
        .containerPid({ containerId: bad })
        .catch((e: unknown) => e)) as ClientError;
      expect(failure.code).toBe(Status.INVALID_ARGUMENT);
      expect(failure.details).toMatch(/containerId .* invalid id/);
    }
    const mismatch = (await client
      .containerPid({ containerId: 'docker://abc' })
      .catch((e: unknown) => e)) as ClientError;
    expect(mismatch.code).toBe(Status.INVALID_ARGUMENT);
    expect(mismatch.details).toMatch(/expected containerd:\/\/ .* but found docker:\/\//);
  });

  it('kills a container through KillContainer, and refuses an unknown signal name', async () => {
    const client = await pool.clientFor('node-a', ChaosDaemonDefinition);
    const victim = await containerd.createContainer();
    const bad = (await client
      .killContainer({ containerId: victim.id, signal: 'SIGNOPE' })
      .catch((e: unknown) => e)) as ClientError;
    expect(bad.code).toBe(Status.INVALID_ARGUMENT);
    expect(bad.details).toBe('signal "SIGNOPE" is not a signal name such as SIGKILL');
    await client.killContainer({ containerId: victim.id });
    for (let i = 0; i < 100 && (await containerd.taskStatus(victim.bareId))?.status === 'RUNNING'; i++) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    expect((await containerd.taskStatus(victim.bareId))?.status).toBe('STOPPED');
    const stopped = (await client
      .containerPid({ containerId: victim.id })
      .catch((e: unknown) => e)) as ClientError;
    expect(stopped.code).toBe(Status.NOT_FOUND);
    expect(stopped.details).toMatch(/is not running \(task status STOPPED/);
  });

  it('enforces the per-call deadline of the pool', async () => {
    const probe = await pool.clientFor('node-a', ProbeDefinition);
    const failure = (await probe.wait({ containerId: '5000' }).catch((e: unknown) => e)) as ClientError;
    expect(failure).toBeInstanceOf(ClientError);
    expect(failure.code).toBe(Status.DEADLINE_EXCEEDED);
    // A client may ask for a longer deadline than the pool's.
    const patient = await pool.clientFor('node-a', ProbeDefinition, { callTimeoutMs: 10_000 });
    expect(await patient.wait({ containerId: '400' })).toEqual(
      expect.objectContaining({ version: 'waited' }),
    );
  });

  it('says when no daemon runs on a node', async () => {
    await expect(pool.clientFor('node-b', ChaosDaemonDefinition)).rejects.toThrow(
      /no chaos daemon found on node node-b/,
    );
  });

  it('lists, cancels and recovers tracked processes over gRPC', async () => {
    const started = await daemon.processManager.startManaged({
      identifier: 'team-a/hello/sleeper',
      pid: container.pid,
      namespaces: ['mnt', 'pid'],
      argv: ['sleep', '600'],
      chaos: { namespace: 'team-a', name: 'hello' },
    });
    const client = await pool.clientFor('node-a', ChaosDaemonDefinition);
    const { entries } = await client.listProcesses({ identifierPrefix: 'team-a/' });
    expect(entries).toEqual([
      expect.objectContaining({ uid: started.uid, pid: started.pid, chaosName: 'hello' }),
    ]);
    expect(await client.recoverAll({ chaosNamespace: 'team-a', chaosName: 'hello' })).toEqual({
      recoveredUids: [started.uid],
    });
    expect(existsSync(`/proc/${started.pid}`)).toBe(false);
    expect(await client.cancelProcess({ uid: started.uid })).toEqual({ found: false });
  });

  it('reports the reachability of each runtime in Health', async () => {
    const client = await pool.clientFor('node-a', ChaosDaemonDefinition);
    expect(await client.health({})).toEqual({
      status: 'SERVING',
      runtimes: ['containerd'],
      activeEntries: 0,
      runtimeHealth: [{ runtime: 'containerd', reachable: true, error: '' }],
    });
  });

  it('serves health and Prometheus metrics over HTTP', async () => {
    const health = await fetch(`http://127.0.0.1:${daemon.httpPort}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${daemon.httpPort}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ok']);
    const metrics = await (await fetch(`http://127.0.0.1:${daemon.httpPort}/metrics`)).text();
    expect(metrics).toMatch(
      /chaosplane_daemon_grpc_requests_total\{method="\/chaosplane.daemon.v1.ChaosDaemon\/Version",code="OK"\} \d+/,
    );
    expect(metrics).toContain('chaosplane_daemon_tracked_entries');
  });
});

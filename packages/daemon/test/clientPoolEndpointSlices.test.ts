// SPDX-License-Identifier: Apache-2.0
// The controller-side pool finds a node's daemon through the EndpointSlices of the daemon's
// headless Service, read from kube-emulator (a real HTTPS API server emulator) through the kube
// layer, and calls a real daemon over mTLS.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChaosDaemonDefinition } from '../src/gen/chaosplane/daemon/v1/daemon.js';
import { createDaemonClientPool, type DaemonClientPool } from '../src/client/createDaemonClientPool.js';
import { startDaemon, type RunningDaemon } from '@chaosplane/daemon';
import { createKubeConnection, type KubeConnection } from '@chaosplane/kube';
import { mintCertificates, type MintedCertificates } from '@chaosplane/dev/harness';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { KubeConfig } from '@kubernetes/client-node';
import type { DaemonServiceDefinition } from '@chaosplane/sdk';

describe('daemon client pool with EndpointSlice discovery', () => {
  let certs: MintedCertificates;
  let stateDir: string;
  let daemon: RunningDaemon;
  let emulator: KubeEmulator;
  let pool: DaemonClientPool;
  let kube: KubeConnection;

  beforeAll(async () => {
    certs = await mintCertificates();
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-pool-'));
    daemon = await startDaemon({
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      tls: { caPem: certs.caPem, certPem: certs.serverCertPem, keyPem: certs.serverKeyPem },
      stateDir,
      runtimes: {},
    });
    emulator = await startKubeEmulator();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(emulator.kubeConfig);
    kube = createKubeConnection(kubeConfig);
    await kube.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'chaosplane' } } });
    await kube.request('POST', '/apis/discovery.k8s.io/v1/namespaces/chaosplane/endpointslices', {
      body: {
        metadata: {
          name: 'chaosplane-daemon-abcde',
          labels: { 'kubernetes.io/service-name': 'chaosplane-daemon' },
        },
        addressType: 'IPv4',
        ports: [{ name: 'grpc', port: daemon.grpcPort, protocol: 'TCP' }],
        endpoints: [
          { addresses: ['127.0.0.1'], nodeName: 'node-a', conditions: { ready: true } },
          { addresses: ['10.255.0.9'], nodeName: 'node-b', conditions: { ready: false } },
        ],
      },
    });
    pool = createDaemonClientPool({
      source: { kube, namespace: 'chaosplane', serviceName: 'chaosplane-daemon' },
      port: daemon.grpcPort,
      // Endpoint addresses are IPs; the daemon's certificate names localhost.
      tls: {
        caPem: certs.caPem,
        certPem: certs.clientCertPem,
        keyPem: certs.clientKeyPem,
        serverName: 'localhost',
      },
      callTimeoutMs: 5000,
    });
  }, 60_000);

  afterAll(async () => {
    pool?.close();
    kube?.close();
    await daemon?.close();
    await emulator?.stop();
    for (const dir of [stateDir, certs?.dir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("dials the ready endpoint on the target's node and reuses the connection", async () => {
    expect(await pool.addressOf('node-a')).toBe(`127.0.0.1:${daemon.grpcPort}`);
    const client = await pool.clientFor('node-a', ChaosDaemonDefinition);
    expect((await client.version({})).callerIdentity).toBe('chaosplane-controller');
    const again = await pool.clientFor({ spec: { nodeName: 'node-a' } }, ChaosDaemonDefinition);
    expect((await again.health({})).status).toBe('SERVING');
    expect(pool.channelCount()).toBe(1);
  });

  it('skips endpoints that are not ready and says which node has no daemon', async () => {
    await expect(pool.clientFor('node-b', ChaosDaemonDefinition)).rejects.toThrow(
      /no chaos daemon found on node node-b/,
    );
  });

  it("falls back to the pod's hostIP when no endpoint matches its node", async () => {
    const pod = { spec: { nodeName: 'node-c' }, status: { hostIP: '127.0.0.1' } };
    expect(await pool.addressOf(pod)).toBe(`127.0.0.1:${daemon.grpcPort}`);
    const client = await pool.clientFor(pod, ChaosDaemonDefinition);
    expect((await client.health({})).runtimes).toEqual([]);
  });

  it('brackets an IPv6 address and reaches a daemon listening on it', async () => {
    const v6StateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-pool-v6-'));
    const v6 = await startDaemon({
      grpcHost: '::1',
      grpcPort: 0,
      tls: { caPem: certs.caPem, certPem: certs.serverCertPem, keyPem: certs.serverKeyPem },
      stateDir: v6StateDir,
      runtimes: {},
    });
    try {
      const v6Pool = createDaemonClientPool({
        source: { resolve: nodeName => Promise.resolve(nodeName === 'node-v6' ? '::1' : undefined) },
        port: v6.grpcPort,
        tls: {
          caPem: certs.caPem,
          certPem: certs.clientCertPem,
          keyPem: certs.clientKeyPem,
          serverName: 'localhost',
        },
        callTimeoutMs: 5000,
      });
      try {
        expect(await v6Pool.addressOf({ status: { hostIP: '::1' } })).toBe(`[::1]:${v6.grpcPort}`);
        expect(await v6Pool.addressOf('node-v6')).toBe(`[::1]:${v6.grpcPort}`);
        const client = await v6Pool.clientFor('node-v6', ChaosDaemonDefinition);
        expect((await client.health({})).status).toBe('SERVING');
      } finally {
        v6Pool.close();
      }
    } finally {
      await v6.close();
      await rm(v6StateDir, { recursive: true, force: true });
    }
  });

  it('a call whose signal is already aborted fails at once', async () => {
    const client = await pool.clientFor('node-a', ChaosDaemonDefinition);
    await expect(client.version({}, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });

  it("an unreachable daemon's address, or a replaced one's, is looked up again at the next call, not after its TTL", async () => {
    // The DaemonSet replaced the node's daemon: its old pod IP refuses connections.
    const hosts = new Map([['node-m', '127.0.0.3']]);
    let lookups = 0;
    const replaced = createDaemonClientPool({
      source: {
        resolve: nodeName => {
          lookups += 1;
          return Promise.resolve(hosts.get(nodeName));
        },
      },
      port: daemon.grpcPort,
      tls: {
        caPem: certs.caPem,
        certPem: certs.clientCertPem,
        keyPem: certs.clientKeyPem,
        serverName: 'localhost',
      },
      callTimeoutMs: 5000,
    });
    const call = {
      target: { kind: 'node', id: 'node-m', nodeName: 'node-m' },
      chaos: { namespace: 'default', name: 'x', uid: 'u' },
      record: 'r',
      signal: new AbortController().signal,
    };
    try {
      const client = replaced.client(
        ChaosDaemonDefinition as unknown as DaemonServiceDefinition,
        call,
      ) as unknown as {
        health(request: object): Promise<{ status: string }>;
      };
      await expect(client.health({})).rejects.toMatchObject({ kind: 'daemon' });
      hosts.set('node-m', '127.0.0.1');
      expect((await client.health({})).status).toBe('SERVING');
      expect(lookups).toBe(2);
      expect(replaced.channelCount()).toBe(1); // the unreachable one was closed
      // The engine saw the node's daemon replaced: the next call looks it up again.
      replaced.forgetNode!('node-m');
      expect((await client.health({})).status).toBe('SERVING');
      expect(lookups).toBe(3);
    } finally {
      replaced.close();
    }
  });

  it("closes the old channel when a node's daemon moves, and cancels a hanging lookup", async () => {
    const hosts = new Map([['node-x', '127.0.0.1']]);
    const tls = {
      caPem: certs.caPem,
      certPem: certs.clientCertPem,
      keyPem: certs.clientKeyPem,
      serverName: 'localhost',
    };
    const moving = createDaemonClientPool({
      source: {
        resolve: nodeName =>
          nodeName === 'node-hang' ? new Promise<string>(() => {}) : Promise.resolve(hosts.get(nodeName)),
      },
      port: daemon.grpcPort,
      tls,
      addressTtlMs: 1,
    });
    try {
      await moving.clientFor('node-x', ChaosDaemonDefinition);
      expect(moving.channelCount()).toBe(1);
      hosts.set('node-x', '127.0.0.2');
      await new Promise(resolve => setTimeout(resolve, 5));
      expect(await moving.addressOf('node-x')).toBe(`127.0.0.2:${daemon.grpcPort}`);
      await moving.clientFor('node-x', ChaosDaemonDefinition);
      expect(moving.channelCount()).toBe(1);

      const stop = new AbortController();
      const pending = moving.clientFor('node-hang', ChaosDaemonDefinition, { signal: stop.signal });
      stop.abort(new Error('reconcile cancelled'));
      await expect(pending).rejects.toThrow('reconcile cancelled');
    } finally {
      moving.close();
    }
  });
});

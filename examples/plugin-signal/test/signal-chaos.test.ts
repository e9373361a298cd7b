// SPDX-License-Identifier: Apache-2.0
// SignalChaos end to end, wired only from public APIs: the plugin loaded by path into a real
// daemon (mTLS, real containerd) and into the engine (inversify container, selection cache over
// kube-emulator); the engine finds the daemon through its EndpointSlice, the daemon kills the
// selected container's task, and the other container keeps running.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DAEMON_CLIENT_POOL,
  KUBE_CONFIG,
  LOGGER,
  PHASE_INJECTED,
  PHASE_NOT_INJECTED,
  createDaemonClientPool,
  createEngineFromContainer,
  createSilentLogger,
  crdToYaml,
  generateCrd,
  loadPlugins,
  registerPlugins,
  type ChaosObject,
  type ChaosPlugin,
  type ImplEvents,
  type DaemonClientPool,
} from '@chaosplane/core';
import { loadDaemonPlugins, startDaemon, type RunningDaemon } from '@chaosplane/daemon';
import {
  containerdUnavailableReason,
  mintCertificates,
  startContainerd,
  type ContainerdEnvironment,
  type MintedCertificates,
  type TestContainer,
} from '@chaosplane/daemon/testing';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { createSelectionCache, selectorsModule, type SelectionCache } from '@chaosplane/selectors';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubeConfig } from '@kubernetes/client-node';
import { Container } from 'inversify';
import { ClientError, Status } from 'nice-grpc';

import { SignalDaemonDefinition, createSignalImpl, type SignalChaosSpec } from '../src/index.js';

/** The plugin as an operator or daemon given `--plugin <path>` loads it. */
const PLUGIN_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), '../src/index.ts');
const NODE = 'node-a';
const NAMESPACE = 'signal-test';
const DAEMON_NAMESPACE = 'chaosplane';

const unavailable = containerdUnavailableReason();
if (unavailable) console.warn(`SKIPPED SignalChaos end-to-end tests: ${unavailable}`);
const describeReal = unavailable ? describe.skip : describe;

/** Polls `probe` until it returns a value other than undefined; fails with `what` after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = `: ${(error as Error).message}`;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${lastError}`);
    await sleep(100);
  }
}

describeReal('SignalChaos end to end (containerd, daemon over mTLS, engine, kube-emulator)', () => {
  let certs: MintedCertificates;
  let containerd: ContainerdEnvironment;
  let victim: TestContainer;
  let bystander: TestContainer;
  let direct: TestContainer;
  let stateDir: string;
  let daemon: RunningDaemon;
  let emulator: KubeEmulator;
  let kube: KubeConfig;
  let cache: SelectionCache;
  let pool: DaemonClientPool;
  let plugin: ChaosPlugin;
  const stop = new AbortController();
  let engineDone: Promise<void> | undefined;

  /** Runs the real kubectl against the emulator (argv only), feeding `input` on stdin. */
  const kubectl = (args: string[], input: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn('kubectl', ['--kubeconfig', emulator.kubeconfigPath, ...args]);
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', reject);
      child.on('close', code =>
        code === 0 ? resolve(output) : reject(new Error(`kubectl ${args.join(' ')}: ${output}`)),
      );
      child.stdin.end(input);
    });

  beforeAll(async () => {
    certs = await mintCertificates();
    containerd = await startContainerd();
    victim = await containerd.createContainer();
    bystander = await containerd.createContainer();
    direct = await containerd.createContainer();
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-signal-'));

    // The daemon half, loaded the way `chaosplane-daemon --plugin <path>` loads it.
    const daemonPlugins = await loadDaemonPlugins([PLUGIN_PATH]);
    daemon = await startDaemon({
      grpcHost: '127.0.0.1',
      grpcPort: 0,
      tls: { caPem: certs.caPem, certPem: certs.serverCertPem, keyPem: certs.serverKeyPem },
      stateDir,
      runtimes: { containerd: { socketPath: containerd.socketPath, namespace: containerd.namespace } },
      plugins: daemonPlugins.map(p => p.registration),
    });

    emulator = await startKubeEmulator();
    kube = new KubeConfig();
    kube.loadFromString(emulator.kubeConfig);
    await createCluster(kube, daemon.grpcPort, { victim, bystander, direct });

    // The controller half, as the operator wires it: plugins into the DI "impl" group.
    [plugin] = await loadPlugins([PLUGIN_PATH]);
    // kubectl, not client-node's typed API: its models silently drop `enum` from a plain
    // object, and the enum is what makes the API server refuse an unknown signal.
    await kubectl(['create', '-f', '-'], crdToYaml(generateCrd(plugin.kind)));
    cache = createSelectionCache(kube, { signal: stop.signal });
    pool = createDaemonClientPool({
      source: { kubeConfig: kube, namespace: DAEMON_NAMESPACE, serviceName: 'chaosplane-daemon' },
      port: daemon.grpcPort,
      // EndpointSlice addresses are IPs; the daemon's certificate names localhost.
      tls: {
        caPem: certs.caPem,
        certPem: certs.clientCertPem,
        keyPem: certs.clientKeyPem,
        serverName: 'localhost',
      },
      callTimeoutMs: 10_000,
    });
    const container = new Container();
    container.bind(LOGGER).toConstantValue(createSilentLogger());
    container.bind(KUBE_CONFIG).toConstantValue(kube);
    container.bind(DAEMON_CLIENT_POOL).toConstantValue(pool);
    await container.load(selectorsModule(cache, { operatorNamespace: DAEMON_NAMESPACE }));
    await registerPlugins(container, [plugin]);
    await cache.start();
    const engine = createEngineFromContainer(container, {
      statusFlushIntervalMs: 50,
      recordBackoff: { baseMs: 100, maxMs: 1000 },
      shutdownGraceMs: 2000,
    });
    engineDone = engine.run(stop.signal);
  }, 120_000);

  afterAll(async () => {
    stop.abort();
    await engineDone;
    await cache?.stop();
    pool?.close();
    await daemon?.close();
    await containerd?.stop();
    await emulator?.stop();
    for (const dir of [stateDir, certs?.dir]) if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('is refused by the API server when the signal is not one SignalChaos supports', async () => {
    const manifest = (await readFile(new URL('../signalchaos.yaml', import.meta.url), 'utf8'))
      .replace('namespace: busybox', `namespace: ${NAMESPACE}`)
      .replace('signal: SIGKILL', 'signal: SIGSEGV');
    await expect(kubectl(['apply', '-f', '-'], manifest)).rejects.toThrow(
      /spec\.signal: Unsupported value: "SIGSEGV": supported values: "SIGTERM", "SIGKILL"/,
    );
  });

  it('kills the selected container only, records it Injected, and deletes cleanly', async () => {
    const objects = kube.makeApiClient(CustomObjectsApi);
    const where = {
      group: plugin.kind.group,
      version: plugin.kind.version,
      plural: plugin.kind.plural,
      namespace: NAMESPACE,
    };
    const spec: SignalChaosSpec = {
      selector: { namespaces: [NAMESPACE], labelSelectors: { app: 'victim' } },
      mode: 'all',
      signal: 'SIGKILL',
    };
    await objects.createNamespacedCustomObject({
      ...where,
      body: {
        apiVersion: plugin.kind.apiVersion,
        kind: 'SignalChaos',
        metadata: { name: 'kill-victim' },
        spec,
      },
    });

    const read = async () =>
      (await objects.getNamespacedCustomObject({
        ...where,
        name: 'kill-victim',
      })) as ChaosObject<SignalChaosSpec>;
    const records = await waitFor('the record to be Injected', async () => {
      const list = (await read()).status?.experiment?.containerRecords;
      return list?.every(r => r.phase === PHASE_INJECTED) && list.length > 0 ? list : undefined;
    });
    expect(records.map(r => r.id)).toEqual([`${NAMESPACE}/victim/main`]);

    await waitFor('the victim task to stop', async () =>
      (await containerd.taskStatus(victim.bareId))?.status === 'STOPPED' ? true : undefined,
    );
    expect(await containerd.taskStatus(bystander.bareId)).toEqual({ pid: bystander.pid, status: 'RUNNING' });

    // The engine reports the applied record on the chaos object.
    const applied = await waitFor('the Applied event', async () => {
      const events = await kube.makeApiClient(CoreV1Api).listNamespacedEvent({
        namespace: NAMESPACE,
        fieldSelector: 'involvedObject.name=kill-victim',
      });
      return events.items.find(e => e.reason === 'Applied');
    });
    expect(applied.message).toBe(`${NAMESPACE}/victim/main`);

    await objects.deleteNamespacedCustomObject({ ...where, name: 'kill-victim' });
    await waitFor('the chaos object to be gone', async () => {
      try {
        await read();
        return undefined;
      } catch (error) {
        return (error as { code?: number }).code === 404 ? true : undefined;
      }
    });
    expect(await containerd.taskStatus(bystander.bareId)).toEqual({ pid: bystander.pid, status: 'RUNNING' });
  }, 60_000);

  it("reports what it did through the context's events when they are given", async () => {
    // The engine does not hand `events` to implementations yet, so the controller half is
    // called directly here, against the same daemon, containerd and API server.
    const impl = createSignalImpl({
      kube,
      log: createSilentLogger(),
      get: <T>(token: unknown) => (token === DAEMON_CLIENT_POOL ? pool : undefined) as T,
    });
    const emitted: string[] = [];
    const events: ImplEvents = {
      normal: (reason, message) => emitted.push(`Normal ${reason}: ${message}`),
      warning: (reason, message) => emitted.push(`Warning ${reason}: ${message}`),
    };
    const obj: ChaosObject<SignalChaosSpec> = {
      apiVersion: plugin.kind.apiVersion,
      kind: 'SignalChaos',
      metadata: { name: 'direct', namespace: NAMESPACE },
      spec: { selector: { namespaces: [NAMESPACE] }, mode: 'all', signal: 'SIGKILL' },
    };
    const record = { id: `${NAMESPACE}/direct/main`, selectorKey: '.', phase: PHASE_NOT_INJECTED };
    const context = {
      index: 0,
      records: [{ ...record, injectedCount: 0, recoveredCount: 0 }],
      obj,
      signal: stop.signal,
      log: createSilentLogger(),
      kube,
      events,
    };
    expect(await impl.apply(context)).toBe(PHASE_INJECTED);
    expect(emitted).toEqual([`Normal Signal: sent SIGKILL to ${record.id} (pid ${direct.pid})`]);
    await waitFor('the direct task to stop', async () =>
      (await containerd.taskStatus(direct.bareId))?.status === 'STOPPED' ? true : undefined,
    );
    expect(await impl.recover(context)).toBe(PHASE_NOT_INJECTED);
  });

  it('refuses a signal SignalChaos does not allow, even from a client with a valid certificate', async () => {
    const client = await pool.clientFor(NODE, SignalDaemonDefinition);
    const refused = await client.sendSignal({ containerId: bystander.id, signal: 'SIGSEGV' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ClientError);
    expect((refused as ClientError).code).toBe(Status.INVALID_ARGUMENT);
    expect((refused as ClientError).details).toMatch(/^signal: Unsupported value: "SIGSEGV"/);
    expect(await containerd.taskStatus(bystander.bareId)).toEqual({ pid: bystander.pid, status: 'RUNNING' });
  });

  it('says which container is unknown', async () => {
    const client = await pool.clientFor(NODE, SignalDaemonDefinition);
    await expect(
      client.sendSignal({ containerId: 'containerd://no-such-container', signal: 'SIGTERM' }),
    ).rejects.toMatchObject({
      code: Status.NOT_FOUND,
      details: expect.stringContaining('containerd://no-such-container not found'),
    });
  });
});

/**
 * What a cluster would hold: a Node, the daemon's headless Service endpoint on it, and two pods
 * on it whose container statuses carry the real containerd ids (written through pods/status).
 */
async function createCluster(
  kube: KubeConfig,
  daemonPort: number,
  containers: Record<string, TestContainer>,
): Promise<void> {
  const core = kube.makeApiClient(CoreV1Api);
  await core.createNode({
    body: {
      metadata: { name: NODE, labels: { 'kubernetes.io/hostname': NODE } },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] },
    },
  });
  for (const name of [NAMESPACE, DAEMON_NAMESPACE])
    await core.createNamespace({ body: { metadata: { name } } });
  await kube.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
    namespace: DAEMON_NAMESPACE,
    body: {
      metadata: {
        name: 'chaosplane-daemon-node-a',
        labels: { 'kubernetes.io/service-name': 'chaosplane-daemon' },
      },
      addressType: 'IPv4',
      ports: [{ name: 'grpc', port: daemonPort, protocol: 'TCP' }],
      endpoints: [{ addresses: ['127.0.0.1'], nodeName: NODE, conditions: { ready: true } }],
    },
  });
  for (const [name, container] of Object.entries(containers)) {
    const pod = await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name, labels: { app: name } },
        spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox' }] },
      },
    });
    await core.replaceNamespacedPodStatus({
      name,
      namespace: NAMESPACE,
      body: {
        ...pod,
        status: {
          phase: 'Running',
          hostIP: '127.0.0.1',
          containerStatuses: [
            {
              name: 'main',
              image: 'busybox',
              imageID: 'busybox-static',
              containerID: container.id,
              ready: true,
              restartCount: 0,
              state: { running: { startedAt: new Date() } },
            },
          ],
        },
      },
    });
  }
}

// SPDX-License-Identifier: Apache-2.0
// End-to-end benchmark of the seed's flow on real containers: the time from creating a
// HelloWorldChaos to every record Injected, for PODS busybox pods (100 by default) running as
// containerd containers, and the memory of the operator and the daemon, each its own process
// started from its binary. Run with `bash bench/e2e/run.sh [PODS] [RUNS]` (root).
// Reports medians; nothing here is a timed assertion.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { createSilentLogger } from '@chaosplane/service';
import { type ChaosObject } from '@chaosplane/sdk';
import { containerdUnavailableReason, mintCertificates, startContainerd } from '@chaosplane/dev/harness';
import { startKubeEmulator } from '@chaosplane/kube-emulator';
import { createKubeConnection } from '@chaosplane/kube';
import { eventually, startLocalKubelet } from '@chaosplane/dev';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PODS = Number(process.argv[2] ?? 100);
const RUNS = Number(process.argv[3] ?? 5);
const NAMESPACE = 'bench';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function startChild(name: string, argv: string[]): ChildProcess {
  const child = spawn(process.execPath, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
  child.stdout!.resume();
  return child;
}

async function memoryOf(pid: number): Promise<{ rssMiB: number; peakMiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/** `eventually` with the timeout first, as the steps below read. */
const until = <T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> =>
  eventually(probe, { timeoutMs, intervalMs: 25 });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const missing = containerdUnavailableReason();
  if (missing) {
    console.error(`cannot run: ${missing}`);
    process.exitCode = 2;
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cp-bench-e2e-'));
  const emulator = await startKubeEmulator({ kubeconfigPath: path.join(dir, 'kubeconfig') });
  const containerd = await startContainerd({ namespace: 'k8s.io' });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(emulator.kubeConfig);
  const kube = createKubeConnection(kubeConfig);
  const stop = new AbortController();
  const kubelet = await startLocalKubelet({
    kube,
    nodeName: 'bench-node',
    containerd,
    log: createSilentLogger(),
    signal: stop.signal,
  });
  const certs = await mintCertificates({
    dir: path.join(dir, 'certs'),
    serverDnsNames: ['chaosplane-daemon'],
  });
  const grpcPort = await freePort();
  const children: ChildProcess[] = [];
  try {
    const daemon = startChild('daemon', [
      path.join(repo, 'packages/daemon/dist/cli/main.js'),
      '--grpc-host=127.0.0.1',
      `--grpc-port=${grpcPort}`,
      `--http-port=${await freePort()}`,
      '--http-host=127.0.0.1',
      `--containerd-socket=${containerd.socketPath}`,
      '--containerd-namespace=k8s.io',
      `--ca=${certs.files.ca}`,
      `--cert=${certs.files.serverCert}`,
      `--key=${certs.files.serverKey}`,
      `--state-dir=${path.join(dir, 'daemon')}`,
      '--plugin=@chaosplane/experiment-helloworld',
    ]);
    children.push(daemon);
    const operator = startChild('operator', [
      path.join(repo, 'packages/operator/dist/cli/operator.js'),
      `--kubeconfig=${emulator.kubeconfigPath}`,
      '--namespace=chaosplane',
      '--install-crds',
      '--http-addr=127.0.0.1:0',
      '--daemon-address=127.0.0.1',
      `--daemon-port=${grpcPort}`,
      `--daemon-ca=${certs.files.ca}`,
      `--daemon-cert=${certs.files.clientCert}`,
      `--daemon-key=${certs.files.clientKey}`,
    ]);
    children.push(operator);

    const core = kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    const names = Array.from({ length: PODS }, (_, i) => `busybox-${i}`);
    const started = performance.now();
    for (const name of names) {
      await core.createNamespacedPod({
        namespace: NAMESPACE,
        body: {
          metadata: { name },
          spec: {
            nodeName: 'bench-node',
            containers: [{ name: 'busybox', image: 'busybox', command: ['sleep', '3600'] }],
          },
        },
      });
    }
    await kubelet.waitRunning(NAMESPACE, names, 600_000);
    console.log(
      `${PODS} pods running on containerd in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const ref = {
      group: 'chaos-mesh.org',
      version: 'v1alpha1',
      namespace: NAMESPACE,
      plural: 'helloworldchaos',
    };
    await until(60_000, () =>
      custom.listNamespacedCustomObject(ref).then(
        () => true,
        () => undefined,
      ),
    );
    const samples: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const name = `bench-${run}`;
      const t0 = performance.now();
      await custom.createNamespacedCustomObject({
        ...ref,
        body: {
          apiVersion: 'chaos-mesh.org/v1alpha1',
          kind: 'HelloWorldChaos',
          metadata: { name },
          spec: { mode: 'all', selector: { namespaces: [NAMESPACE] } },
        },
      });
      await until(300_000, async () => {
        const obj = (await custom.getNamespacedCustomObject({ ...ref, name })) as ChaosObject;
        const records = obj.status?.experiment?.containerRecords ?? [];
        return records.length === PODS && records.every(r => r.phase === 'Injected') ? true : undefined;
      });
      samples.push(performance.now() - t0);
      await custom.deleteNamespacedCustomObject({ ...ref, name });
      await until(120_000, () =>
        custom.getNamespacedCustomObject({ ...ref, name }).then(
          () => undefined,
          () => true,
        ),
      );
      console.log(`run ${run + 1}: ${PODS} records Injected in ${(samples.at(-1)! / 1000).toFixed(2)} s`);
    }
    const [operatorMemory, daemonMemory] = await Promise.all([
      memoryOf(operator.pid!),
      memoryOf(daemon.pid!),
    ]);
    console.log('');
    console.log(
      `apply → all ${PODS} records Injected: median ${(median(samples) / 1000).toFixed(2)} s ` +
        `(min ${(Math.min(...samples) / 1000).toFixed(2)}, max ${(Math.max(...samples) / 1000).toFixed(2)}, ${RUNS} runs)`,
    );
    console.log(
      `operator memory: RSS ${operatorMemory.rssMiB.toFixed(0)} MiB, peak ${operatorMemory.peakMiB.toFixed(0)} MiB`,
    );
    console.log(
      `daemon memory:   RSS ${daemonMemory.rssMiB.toFixed(0)} MiB, peak ${daemonMemory.peakMiB.toFixed(0)} MiB`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map(
        child =>
          new Promise(resolve =>
            child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve),
          ),
      ),
    );
    stop.abort();
    await kubelet.stop();
    await containerd.stop();
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();

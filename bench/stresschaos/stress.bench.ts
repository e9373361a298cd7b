// SPDX-License-Identifier: Apache-2.0
// StressChaos daemon benchmark on real containers, with the daemon as its own process (the built
// binary, confined to deploy/daemon.yaml's capabilities, StressChaos's handler loaded):
//  1. start-to-stressor latency: from the ApplyStress call to a stress-ng process in the target
//     container's cgroup (polled in cgroup.procs), and to the call's answer (which includes the
//     daemon's 500 ms check that the stressor took hold); median of ROUNDS (20).
//  2. the daemon's RSS idle, with STRESSORS (20) CPU stressors running (one per container, light
//     load), and after they are recovered; medians of 5 samples.
// Run with `bash bench/stresschaos/run.sh [ROUNDS] [STRESSORS]` (root). Nothing here is asserted.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createDaemonClientPool } from '@chaosplane/daemon/client';
import { DAEMON_CAPABILITIES, DAEMON_SERVER_NAME, spawnDaemonProcess } from '@chaosplane/dev';
import {
  containerdUnavailableReason,
  mintCertificates,
  startContainerd,
  type TestContainer,
} from '@chaosplane/dev/harness';
import { StressChaosDaemonDefinition } from '@chaosplane/experiment-stresschaos';
import { createSilentLogger } from '@chaosplane/service';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ROUNDS = Number(process.argv[2] ?? 20);
const STRESSORS = Number(process.argv[3] ?? 20);

const median = (samples: number[]): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** The container's cpuacct (v1) or unified (v2) cgroup.procs file. */
function procsFileOf(pid: number): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  const cpuacct = lines.find(line => line.split(':')[1]!.split(',').includes('cpuacct'));
  if (cpuacct) {
    const mount = readdirSync('/sys/fs/cgroup').find(entry => entry.split(',').includes('cpuacct'))!;
    return path.join('/sys/fs/cgroup', mount, cpuacct.split(':')[2]!, 'cgroup.procs');
  }
  return path.join('/sys/fs/cgroup', lines.find(line => line.startsWith('0::'))!.slice(3), 'cgroup.procs');
}

/** True once a stress-ng process is in the cgroup whose cgroup.procs is `file`. */
function stressNgIn(file: string): boolean {
  for (const pid of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('stress-ng')) return true;
    } catch {
      // Gone meanwhile.
    }
  }
  return false;
}

/** Resolves once `probe` holds, checking between turns of the event loop (the gRPC call keeps running). */
async function until(probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(resolve => setImmediate(resolve));
  }
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

async function sampleRss(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssMiB(pid));
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  return median(samples);
}

async function main(): Promise<void> {
  const unavailable = containerdUnavailableReason();
  if (unavailable) {
    console.log(`skipped: ${unavailable}`);
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cp-bench-stress-'));
  const stop = new AbortController();
  const containerd = await startContainerd({ namespace: 'k8s.io' });
  const certs = await mintCertificates({
    dir: path.join(dir, 'certs'),
    serverDnsNames: [DAEMON_SERVER_NAME],
    clientName: 'chaosplane-operator',
  });
  const daemon = await spawnDaemonProcess({
    capabilities: DAEMON_CAPABILITIES,
    containerd: { socketPath: containerd.socketPath, namespace: containerd.namespace },
    certsDir: certs.dir,
    stateDir: path.join(dir, 'daemon'),
    plugins: ['@chaosplane/experiment-stresschaos'],
    pluginsFrom: repo,
    allowedClients: ['chaosplane-operator'],
    log: createSilentLogger(),
    signal: stop.signal,
  });
  const pool = createDaemonClientPool({
    source: { resolve: () => Promise.resolve('127.0.0.1') },
    port: daemon.grpcPort,
    tls: {
      caPem: certs.caPem,
      certPem: certs.clientCertPem,
      keyPem: certs.clientKeyPem,
      serverName: DAEMON_SERVER_NAME,
    },
  });
  const clientFor = (record: string) =>
    pool.clientFor('local', StressChaosDaemonDefinition, {
      chaos: { namespace: 'bench', name: 'stress', uid: 'bench-uid' },
      record,
    });
  try {
    const containers: TestContainer[] = [];
    for (let i = 0; i < Math.max(1, STRESSORS); i++) containers.push(await containerd.createContainer());
    const first = containers[0]!;
    const procs = procsFileOf(first.pid);
    const idleRss = await sampleRss(daemon.pid);

    const toStressor: number[] = [];
    const toAnswer: number[] = [];
    const client = await clientFor('bench/c0/main');
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = performance.now();
      const answer = client.applyStress({
        containerId: first.id,
        cpu: { workers: 1, load: 10, options: [] },
      });
      await until(() => stressNgIn(procs));
      toStressor.push(performance.now() - t0);
      await answer;
      toAnswer.push(performance.now() - t0);
      await client.recoverStress({});
      await until(() => !stressNgIn(procs));
    }
    console.log(
      `start-to-stressor: median ${median(toStressor).toFixed(1)} ms to stress-ng in the container's cgroup, ` +
        `${median(toAnswer).toFixed(1)} ms to the answer (incl. the 500 ms check), ${ROUNDS} rounds`,
    );

    const clients = await Promise.all(containers.map((_c, i) => clientFor(`bench/c${i}/main`)));
    await Promise.all(
      containers.map((c, i) =>
        clients[i]!.applyStress({ containerId: c.id, cpu: { workers: 1, load: 5, options: [] } }),
      ),
    );
    await new Promise(resolve => setTimeout(resolve, 2000));
    const busyRss = await sampleRss(daemon.pid);
    await Promise.all(clients.map(c => c.recoverStress({})));
    await new Promise(resolve => setTimeout(resolve, 2000));
    const afterRss = await sampleRss(daemon.pid);
    console.log(
      `daemon RSS: ${idleRss.toFixed(1)} MiB idle, ${busyRss.toFixed(1)} MiB with ${containers.length} stressors running, ` +
        `${afterRss.toFixed(1)} MiB after they were recovered`,
    );
  } finally {
    pool.close();
    await daemon.close();
    stop.abort();
    await containerd.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();

// SPDX-License-Identifier: Apache-2.0
// Chaos daemon benchmarks. Run with `bash bench/daemon/run.sh` (root; builds first).
//  1. RPC round trip over mTLS on loopback with a no-op plugin handler: p50 / p99.
//  2. Exec-in-namespace latency of the process manager (`run({pid, namespaces: ['mnt', 'pid'],
//     argv: ['true']})`; mnt is never entered without pid) as a ratio to spawning
//     `nsenter -t PID -m -p -- true` directly. Target ≤ 1.3x.
// Reports medians and percentiles; nothing here is a timed assertion.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { ChaosDaemonDefinition, createDaemonClientPool } from '@chaosplane/daemon/client';
import { defineDaemonHandler } from '@chaosplane/daemon/plugin';
import { startDaemon } from '@chaosplane/daemon';
import { containerdUnavailableReason, mintCertificates, startContainerd } from '@chaosplane/dev/harness';

// The no-op service reuses the core service's Version messages (empty request, small answer).
const { version } = ChaosDaemonDefinition.methods;
const NoopDefinition = {
  name: 'Noop',
  fullName: 'bench.v1.Noop',
  methods: {
    ping: {
      name: 'Ping',
      requestType: version.requestType,
      requestStream: false,
      responseType: version.responseType,
      responseStream: false,
      options: {},
    },
  },
} as const;

const noop = defineDaemonHandler({
  service: NoopDefinition,
  handler: () => ({ ping: () => Promise.resolve({}) }),
});

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

const ms = (value: number): string => `${value.toFixed(3)} ms`;

function spawnAndWait(argv: string[]): Promise<void> {
  const [program, ...args] = argv;
  if (program === undefined) return Promise.reject(new Error('nothing to run: argv is empty'));
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      stdio: 'ignore',
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    });
    child.once('error', reject);
    child.once('close', code =>
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const unavailable = containerdUnavailableReason();
  if (unavailable) {
    console.log(`skipped: ${unavailable}`);
    return;
  }
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 2000);
  const execRounds = Number(process.env['BENCH_EXEC_ROUNDS'] ?? 200);
  const certs = await mintCertificates();
  const containerd = await startContainerd();
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'cp-bench-'));
  const daemon = await startDaemon({
    grpcHost: '127.0.0.1',
    grpcPort: 0,
    tls: { caPem: certs.caPem, certPem: certs.serverCertPem, keyPem: certs.serverKeyPem },
    stateDir,
    runtimes: { containerd: { socketPath: containerd.socketPath, namespace: containerd.namespace } },
    plugins: [noop],
  });
  const pool = createDaemonClientPool({
    source: { resolve: () => Promise.resolve('localhost') },
    port: daemon.grpcPort,
    tls: { caPem: certs.caPem, certPem: certs.clientCertPem, keyPem: certs.clientKeyPem },
  });
  try {
    const client = await pool.clientFor('bench-node', NoopDefinition, {
      chaos: { namespace: 'bench', name: 'noop' },
    });
    for (let i = 0; i < 200; i++) await client.ping({});
    const rtt: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      await client.ping({});
      rtt.push(performance.now() - start);
    }
    console.log(`RPC round trip over mTLS (TLS 1.3, loopback, no-op plugin handler), ${rounds} calls:`);
    console.log(`  p50 ${ms(percentile(rtt, 50))}  p99 ${ms(percentile(rtt, 99))}`);

    const container = await containerd.createContainer();
    const direct: number[] = [];
    const managed: number[] = [];
    const pm = daemon.processManager;
    for (let i = 0; i < 20; i++) {
      await spawnAndWait(['nsenter', '-t', String(container.pid), '-m', '-p', '--', 'true']);
      await pm.run({ pid: container.pid, namespaces: ['mnt', 'pid'], argv: ['true'] });
    }
    // Interleaved, so drift on a shared machine hits both sides alike.
    for (let i = 0; i < execRounds; i++) {
      let start = performance.now();
      await spawnAndWait(['nsenter', '-t', String(container.pid), '-m', '-p', '--', 'true']);
      direct.push(performance.now() - start);
      start = performance.now();
      const result = await pm.run({ pid: container.pid, namespaces: ['mnt', 'pid'], argv: ['true'] });
      managed.push(performance.now() - start);
      if (result.exitCode !== 0) throw new Error(`true exited ${result.exitCode}: ${result.stderr}`);
    }
    const directMedian = percentile(direct, 50);
    const managedMedian = percentile(managed, 50);
    console.log(`Exec in the container's mount and pid namespaces, ${execRounds} runs each (medians):`);
    console.log(`  nsenter -t PID -m -p -- true (spawned directly): ${ms(directMedian)}`);
    console.log(
      `  processManager.run({pid, namespaces: ['mnt', 'pid'], argv: ['true']}): ${ms(managedMedian)}`,
    );
    const ratio = managedMedian / directMedian;
    console.log(`  ratio ${ratio.toFixed(2)}x (target <= 1.30x): ${ratio <= 1.3 ? 'met' : 'NOT met'}`);
  } finally {
    pool.close();
    await daemon.close();
    await containerd.stop();
    await rm(stateDir, { recursive: true, force: true });
    await rm(certs.dir, { recursive: true, force: true });
  }
}

await main();

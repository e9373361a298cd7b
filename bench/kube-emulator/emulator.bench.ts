// SPDX-License-Identifier: Apache-2.0
// kube-emulator benchmarks. Run with `bash bench/kube-emulator/run.sh` (builds first).
// The emulator runs as its own process (the CLI), so its single JavaScript thread is one core;
// the load generator runs here. Reports medians and rates; nothing here is a timed assertion.
//  1. writes per second: create pods over HTTPS with 64 requests in flight, in memory and with
//     --data (every reply after fsync, group commit).         target >= 2,000/s
//  2. list 10,000 pods: one GET of the whole list (JSON), median of 30.   target <= 100 ms
//  3. watch fan-out: 10 watchers, 2,000 writes; delivery latency p50/p99 and events/s.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { type ClientRequest } from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../../../packages/kube-emulator/dist/cli.js');

interface Server {
  child: ChildProcess;
  url: string;
  agent: https.Agent;
  token: string;
  dir: string;
}

async function startServer(dataDir?: string): Promise<Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-emulator-bench-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  const args = [
    cli,
    '--listen',
    '127.0.0.1:0',
    '--kubeconfig',
    kubeconfig,
    ...(dataDir ? ['--data', dataDir] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const [, url] = /listening on (\S+)/.exec(out) ?? [];
      if (url !== undefined) resolve(url);
    });
    child.on('exit', code => reject(new Error(`emulator exited with ${code}`)));
  });
  const config = parse(fs.readFileSync(kubeconfig, 'utf8'));
  const ca = Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  return {
    child,
    dir,
    url,
    token: config.users[0].user.token,
    agent: new https.Agent({ ca, keepAlive: true, maxSockets: 64 }),
  };
}

function request(
  s: Server,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      new URL(p, s.url),
      {
        method,
        agent: s.agent,
        headers: {
          Authorization: `Bearer ${s.token}`,
          ...(data ? { 'Content-Type': 'application/json' } : {}),
        },
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

function pod(name: string): unknown {
  return {
    metadata: { name, labels: { app: 'bench', shard: String(name.length % 7) } },
    spec: {
      containers: [{ name: 'main', image: 'busybox:1.36', env: [{ name: 'A', value: 'b' }] }],
      nodeName: 'node-1',
    },
  };
}

async function createPods(s: Server, namespace: string, count: number, inFlight = 64): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const i = next++;
        const res = await request(s, 'POST', `/api/v1/namespaces/${namespace}/pods`, pod(`pod-${i}`));
        if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

async function stop(s: Server): Promise<void> {
  s.agent.destroy();
  s.child.kill('SIGTERM');
  await new Promise(r => s.child.once('exit', r));
  fs.rmSync(s.dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  console.log(
    `kube-emulator benchmarks on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`,
  );

  // 1. Writes per second, in memory.
  const mem = await startServer();
  await request(mem, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
  await createPods(mem, 'bench', 1000); // warm-up
  await request(mem, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench2' } });
  const memRate = await createPods(mem, 'bench2', 9000);
  console.log(`writes/s (in memory, 64 in flight):           ${memRate.toFixed(0)}  (target >= 2000)`);

  // 2. List 10,000 pods.
  const listTimes: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    const res = await request(mem, 'GET', '/api/v1/pods');
    listTimes.push(performance.now() - t);
    bytes = res.text.length;
    if (i === 0 && (JSON.parse(res.text) as { items: unknown[] }).items.length !== 10_000)
      throw new Error('expected 10,000 pods');
  }
  console.log(
    `list 10,000 pods (${(bytes / 1e6).toFixed(1)} MB JSON): median ${median(listTimes).toFixed(1)} ms, p90 ${percentile(listTimes, 90).toFixed(1)} ms  (target <= 100 ms)`,
  );
  const selTimes: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await request(mem, 'GET', '/api/v1/pods?labelSelector=shard%3D3&fieldSelector=spec.nodeName%3Dnode-1');
    selTimes.push(performance.now() - t);
  }
  console.log(`list with label+field selector over 10,000:   median ${median(selTimes).toFixed(1)} ms`);

  // 3. Watch fan-out to 10 watchers.
  const rv = JSON.parse((await request(mem, 'GET', '/api/v1/namespaces/bench/pods?limit=1')).text).metadata
    .resourceVersion as string;
  const latencies: number[] = [];
  const sentAt = new Map<string, number>();
  let received = 0;
  const writes = 2000;
  const watchers = await Promise.all(
    Array.from(
      { length: 10 },
      () =>
        new Promise<ClientRequest>((resolve, reject) => {
          const req = https.request(
            new URL(`/api/v1/namespaces/fan/configmaps?watch=true&resourceVersion=${rv}`, mem.url),
            {
              agent: false,
              ca: mem.agent.options.ca,
              headers: { Authorization: `Bearer ${mem.token}` },
            },
            res => {
              let buf = '';
              res.on('data', (c: Buffer) => {
                buf += c.toString();
                let nl: number;
                while ((nl = buf.indexOf('\n')) >= 0) {
                  const line = buf.slice(0, nl);
                  buf = buf.slice(nl + 1);
                  const ev = JSON.parse(line) as { object: { metadata: { name: string } } };
                  const t0 = sentAt.get(ev.object.metadata.name);
                  if (t0 !== undefined) latencies.push(performance.now() - t0);
                  received++;
                }
              });
              resolve(req);
            },
          );
          req.on('error', reject);
          req.end();
        }),
    ),
  );
  await request(mem, 'POST', '/api/v1/namespaces', { metadata: { name: 'fan' } });
  const fanStart = performance.now();
  let n = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (n < writes) {
        const name = `cm-${n++}`;
        sentAt.set(name, performance.now());
        await request(mem, 'POST', '/api/v1/namespaces/fan/configmaps', {
          metadata: { name },
          data: { k: 'v' },
        });
      }
    }),
  );
  const deadline = Date.now() + 30_000;
  while (received < writes * 10 && Date.now() < deadline) await new Promise(r => setTimeout(r, 10));
  const fanSeconds = (performance.now() - fanStart) / 1000;
  console.log(
    `watch fan-out, 10 watchers x ${writes} writes: ${received} events delivered in ${fanSeconds.toFixed(2)} s (${(received / fanSeconds).toFixed(0)} events/s), latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
  );
  for (const w of watchers) w.destroy();
  await stop(mem);

  // 4. Writes per second with --data (fsync before each reply, shared by group commit).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-emulator-bench-data-'));
  const durable = await startServer(dataDir);
  await request(durable, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
  await createPods(durable, 'bench', 500);
  await request(durable, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench2' } });
  const durableRate = await createPods(durable, 'bench2', 5000);
  console.log(`writes/s (--data, fsync per batch, 64 in flight): ${durableRate.toFixed(0)}`);
  await stop(durable);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

// SPDX-License-Identifier: Apache-2.0
// Admission latency of a custom resource create: `bash bench/kube-emulator/run.sh admission`.
// The emulator runs in this process (one core for both), with the StressChaos CRD of deploy/crds
// (a large schema with CEL rules). Reports, nothing asserted:
//  1. create latency over HTTPS, one request in flight: median and p99 of 2,000 creates;
//  2. the schema check alone (validation of one object against the CRD's schema, the part the
//     one ajv path replaced), median per call of 20,000 in process, for a valid and an invalid
//     spec.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const emulatorDist = path.join(repo, 'packages/kube-emulator/dist');

interface Emulator {
  url: string;
  token: string;
  caCert: string;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;

const crd = parse(
  fs.readFileSync(path.join(repo, 'deploy/crds/chaos-mesh.org_stresschaos.yaml'), 'utf8'),
) as Json;
const schema = (crd as { spec: { versions: Array<{ schema: { openAPIV3Schema: Json } }> } }).spec.versions[0]!
  .schema.openAPIV3Schema;

function chaos(name: string, workers: number): Json {
  return {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'StressChaos',
    metadata: { name, namespace: 'default' },
    spec: {
      mode: 'all',
      selector: { namespaces: ['default'], labelSelectors: { app: 'web' } },
      stressors: { cpu: { workers, load: 50 }, memory: { workers: 1, size: '64MB' } },
      duration: '30s',
    },
  };
}

function request(
  e: Emulator,
  agent: https.Agent,
  method: string,
  p: string,
  body?: unknown,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      new URL(p, e.url),
      {
        method,
        agent,
        headers: {
          Authorization: `Bearer ${e.token}`,
          ...(data ? { 'Content-Type': 'application/json' } : {}),
        },
      },
      res => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

async function createLatency(e: Emulator): Promise<number[]> {
  const agent = new https.Agent({ ca: e.caCert, keepAlive: true, maxSockets: 1 });
  const status = await request(
    e,
    agent,
    'POST',
    '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    crd,
  );
  if (status !== 201) throw new Error(`CRD create answered ${status}`);
  await new Promise(r => setTimeout(r, 500));
  const plural = '/apis/chaos-mesh.org/v1alpha1/namespaces/default/stresschaos';
  for (let i = 0; i < 200; i++) await request(e, agent, 'POST', plural, chaos(`warm-${i}`, 1 + (i % 4)));
  const times: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const start = performance.now();
    const code = await request(e, agent, 'POST', plural, chaos(`bench-${i}`, 1 + (i % 4)));
    times.push(performance.now() - start);
    if (code !== 201) throw new Error(`create answered ${code}`);
  }
  agent.destroy();
  return times;
}

type Validate = (schema: Json | undefined, value: unknown) => unknown[];

/** Median microseconds of one schema check, over `count` calls after a warm-up. */
function schemaCheck(validate: Validate, value: Json, count: number): number {
  const stripped = { ...schema, properties: { spec: (schema['properties'] as Json)['spec'] } };
  for (let i = 0; i < 2000; i++) validate(stripped, value);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    validate(stripped, value);
    times.push((performance.now() - start) * 1000);
  }
  return median(times);
}

async function main(): Promise<void> {
  const { startKubeEmulator } = (await import(path.join(emulatorDist, 'index.js'))) as {
    startKubeEmulator(): Promise<Emulator>;
  };
  const { validateSchema } = (await import(path.join(emulatorDist, 'crd/schema.js'))) as {
    validateSchema: Validate;
  };
  const invalid = chaos('bad', 0);
  (invalid['spec'] as Json)['mode'] = 'sometimes';
  console.log(
    `schema check, valid StressChaos (median of 20,000):    ${schemaCheck(validateSchema, chaos('ok', 2), 20000).toFixed(1)} µs`,
  );
  console.log(
    `schema check, invalid StressChaos (median of 20,000):  ${schemaCheck(validateSchema, invalid, 20000).toFixed(1)} µs`,
  );
  const emulator = await startKubeEmulator();
  try {
    const times = await createLatency(emulator);
    console.log(
      `create StressChaos over HTTPS, one in flight (2,000):   median ${median(times).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms`,
    );
  } finally {
    await emulator.stop();
  }
}

await main();

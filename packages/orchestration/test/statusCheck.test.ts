// SPDX-License-Identifier: Apache-2.0
// StatusCheck against the kube-emulator on a manual clock: Chaos Mesh's HTTP checks
// (Synchronous and Continuous, thresholds, history, status-code ranges), and Chaosplane's
// Prometheus check (against a stand-in speaking the real /api/v1/query format) and Kubernetes
// condition check (a Deployment's Available).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createManualClock } from '@chaosplane/engine';
import { eventually } from '@chaosplane/testing/helpers';
import { startPlane, type Plane } from './support/plane.js';

type Obj = Record<string, any>;
let plane: Plane | undefined;
let server: Server;
let base = '';
/**
 * What the stand-in answers: HTTP status for /health, the sample value for the Prometheus query;
 * /hang is read and never answered (counted in `hung`).
 */
const state = { status: 200, sample: '0.5' as string | undefined, queries: [] as string[], hung: 0 };
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/hang') {
      state.hung += 1;
      return;
    }
    if (url.pathname === '/api/v1/query') {
      state.queries.push(url.searchParams.get('query') ?? '');
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({
          status: 'success',
          data: {
            resultType: 'vector',
            result:
              state.sample === undefined
                ? []
                : [{ metric: { job: 'web' }, value: [Number(url.searchParams.get('time')), state.sample] }],
          },
        }),
      );
      return;
    }
    res.statusCode = state.status;
    res.end();
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise(resolve => server.close(resolve));
});
afterEach(async () => {
  await plane?.stop();
  plane = undefined;
});

const settle = (ms = 250) => new Promise(resolve => setTimeout(resolve, ms));
const check = (name: string, spec: Obj) => ({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'StatusCheck',
  metadata: { name },
  spec,
});
const condition = (obj: Obj | undefined, type: string) =>
  (obj?.['status']?.conditions ?? []).find((c: Obj) => c['type'] === type);

/**
 * Runs `n` executions of check `name`: advances the clock one interval at a time and waits for
 * each execution to be recorded (or the check to complete), however loaded the machine is.
 */
async function run(p: Plane, n: number, name: string, intervalSeconds = 1) {
  const read = async () => (await p.get<Obj>('statuschecks', name))?.['status'];
  for (let i = 0; i < n; i += 1) {
    const before = (await read())?.count ?? 0;
    p.clock.advance(intervalSeconds * 1_000);
    await eventually(
      async () => {
        const status = await read();
        return (status?.count ?? 0) > before || condition({ status }, 'Completed')?.status === 'True';
      },
      { what: `execution ${i + 1} of ${name}`, intervalMs: 20, timeoutMs: 10_000 },
    );
  }
}

async function completed(p: Plane, name: string): Promise<Obj> {
  return eventually(
    async () => {
      const obj = await p.get<Obj>('statuschecks', name);
      return condition(obj, 'Completed')?.status === 'True' && obj;
    },
    { what: `${name} completed`, intervalMs: 20, timeoutMs: 10_000 },
  );
}

describe('StatusCheck', () => {
  it('HTTP Synchronous: completes on the success threshold; the first probe is one interval after the start', async () => {
    // A clock that stands still between advances, so "not yet" does not depend on the machine's speed.
    plane = await startPlane({ clock: createManualClock({ flowing: false }) });
    const p = plane;
    state.status = 204;
    await p.create(
      check('sync', {
        type: 'HTTP',
        intervalSeconds: 2,
        successThreshold: 2,
        http: { url: `${base}/health`, criteria: { statusCode: '200-299' } },
      }),
    );
    await settle();
    expect((await p.get<Obj>('statuschecks', 'sync'))!['status']?.count ?? 0).toBe(0);
    // Not yet: the first execution is one interval (2s) after the start.
    p.clock.advance(1_000);
    await settle();
    expect((await p.get<Obj>('statuschecks', 'sync'))!['status']?.count ?? 0).toBe(0);
    await run(p, 2, 'sync', 2);
    const done = await completed(p, 'sync');
    expect(done['status'].count).toBe(2);
    expect(done['status'].records.map((r: Obj) => r['outcome'])).toEqual(['Success', 'Success']);
    expect(condition(done, 'Completed').reason).toBe('StatusCheckSuccessThresholdExceed');
    expect(done['status'].completionTime).toMatch(/Z$/);
    const reasons = (await p.events('sync')).map(e => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['StatusCheckExecutionSucceed', 'StatusCheckCompleted']));
  });

  it('HTTP Continuous: never completes on successes; ends on the failure threshold, keeping recordsHistoryLimit records', async () => {
    plane = await startPlane();
    const p = plane;
    state.status = 200;
    await p.create(
      check('cont', {
        mode: 'Continuous',
        type: 'HTTP',
        intervalSeconds: 1,
        failureThreshold: 2,
        recordsHistoryLimit: 3,
        http: { url: `${base}/health`, criteria: { statusCode: '200' } },
      }),
    );
    await run(p, 4, 'cont');
    let obj = (await p.get<Obj>('statuschecks', 'cont'))!;
    expect(condition(obj, 'Completed')?.status).toBe('False');
    expect(condition(obj, 'SuccessThresholdExceed')?.status).toBe('True');
    state.status = 503;
    await run(p, 2, 'cont');
    obj = await completed(p, 'cont');
    expect(condition(obj, 'Completed').reason).toBe('StatusCheckFailureThresholdExceed');
    expect(obj['status'].records).toHaveLength(3);
    expect(obj['status'].records.slice(-2).map((r: Obj) => r['outcome'])).toEqual(['Failure', 'Failure']);
    const failed = (await p.events('cont')).find(e => e.reason === 'StatusCheckExecutionFailed')!;
    expect(failed.message).toBe('HTTP execution of status check failed: unexpected status code: 503');
  });

  it('ends when its duration is over', async () => {
    plane = await startPlane();
    const p = plane;
    state.status = 200;
    await p.create(
      check('timed', {
        mode: 'Continuous',
        duration: '5s',
        intervalSeconds: 1,
        http: { url: `${base}/health`, criteria: { statusCode: '200' } },
      }),
    );
    await run(p, 7, 'timed');
    const obj = await completed(p, 'timed');
    expect(condition(obj, 'Completed').reason).toBe('StatusCheckDurationExceed');
  });

  it('HTTP timeoutSeconds: a server that never answers is a failure once the timeout is over', async () => {
    // The request's timeout is real time (the probe's fetch), not the engine's clock: 1 s here.
    plane = await startPlane();
    const p = plane;
    state.hung = 0;
    await p.create(
      check('hang', {
        type: 'HTTP',
        intervalSeconds: 1,
        timeoutSeconds: 1,
        failureThreshold: 1,
        http: { url: `${base}/hang`, criteria: { statusCode: '200' } },
      }),
    );
    const started = Date.now();
    await run(p, 1, 'hang');
    const obj = await completed(p, 'hang');
    // The request reached the server, and the failure came no sooner than the timeout.
    expect(state.hung).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(condition(obj, 'Completed').reason).toBe('StatusCheckFailureThresholdExceed');
    expect(obj['status'].records.map((r: Obj) => r['outcome'])).toEqual(['Failure']);
    const failed = (await p.events('hang')).find(e => e.reason === 'StatusCheckExecutionFailed')!;
    expect(failed.message).toBe(
      'HTTP execution of status check failed: do http request: no answer within 1s (timeoutSeconds)',
    );
  });

  it('Prometheus: an instant query compared with a threshold, against the /api/v1/query format', async () => {
    plane = await startPlane();
    const p = plane;
    state.sample = '0.5';
    state.queries = [];
    await p.create(
      check('prom', {
        mode: 'Continuous',
        type: 'Prometheus',
        intervalSeconds: 1,
        failureThreshold: 1,
        prometheus: { address: base, query: 'rate(errors_total[1m])', comparison: '<', threshold: 1 },
      }),
    );
    await run(p, 3, 'prom');
    expect(condition(await p.get<Obj>('statuschecks', 'prom'), 'Completed')?.status).toBe('False');
    expect(state.queries[0]).toBe('rate(errors_total[1m])');
    state.sample = '2.5';
    await run(p, 1, 'prom');
    const obj = await completed(p, 'prom');
    expect(condition(obj, 'Completed').reason).toBe('StatusCheckFailureThresholdExceed');
    const failed = (await p.events('prom')).find(e => e.reason === 'StatusCheckExecutionFailed')!;
    expect(failed.message).toBe('Prometheus execution of status check failed: {"job":"web"} = 2.5, not < 1');
  });

  it("Kubernetes: a Deployment's Available condition", async () => {
    plane = await startPlane();
    const p = plane;
    const deployment = await p.kube.request<Obj>('POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'c', image: 'busybox' }] },
          },
        },
      },
    });
    await p.kube.request('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', {
      body: { ...deployment, status: { conditions: [{ type: 'Available', status: 'True' }] } },
    });
    await p.create(
      check('available', {
        type: 'Kubernetes',
        intervalSeconds: 1,
        kubernetes: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', conditionType: 'Available' },
      }),
    );
    await run(p, 1, 'available');
    const obj = await completed(p, 'available');
    expect(condition(obj, 'Completed').reason).toBe('StatusCheckSuccessThresholdExceed');
  });

  it("Chaos Mesh's statuscheck-example.yaml applies unchanged, defaults filled in", async () => {
    plane = await startPlane();
    const p = plane;
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'chaos-mesh');
    await p.apply(readFileSync(path.join(dir, 'statuscheck-example.yaml'), 'utf8'));
    const obj = (await p.get<Obj>('statuschecks', 'status-check-example'))!;
    expect(obj['spec']).toEqual(
      expect.objectContaining({
        type: 'HTTP',
        intervalSeconds: 10,
        failureThreshold: 3,
        successThreshold: 1,
        timeoutSeconds: 1,
      }),
    );
    expect(obj['spec'].http.method).toBe('GET');
  });

  it('refuses a bad status code and a missing http block with the field named', async () => {
    plane = await startPlane();
    const p = plane;
    await p.create(
      check('bad-code', { type: 'HTTP', http: { url: `${base}/`, criteria: { statusCode: '2xx' } } }),
    );
    await p.create(check('no-http', { type: 'HTTP' }));
    const failed = (name: string) =>
      eventually(async () => (await p.events(name)).find(e => e.reason === 'Failed')?.message, {
        what: `${name} refused`,
        intervalMs: 20,
      });
    expect(await failed('bad-code')).toBe(
      'invalid spec: spec.http.criteria.statusCode: incorrect status code format: not a single number or a range',
    );
    expect(await failed('no-http')).toBe(
      'invalid spec: spec.http: Invalid value: null: the detail of http status check is required',
    );
  });
});

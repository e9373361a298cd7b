// SPDX-License-Identifier: Apache-2.0
// Schedule against the kube-emulator and the engine on one manual clock: Chaos Mesh's own
// example manifests, Forbid and Allow, history pruning, a run missed beyond
// startingDeadlineSeconds, pause, a plugin kind, and specs refused with the field named.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/testing/helpers';
import { startPlane, type Plane } from './support/plane.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'chaos-mesh');
const fixture = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');

let plane: Plane | undefined;
afterEach(async () => {
  await plane?.stop();
  plane = undefined;
});

type Obj = Record<string, any>;
const children = (p: Plane, plural: string, schedule: string) =>
  p.list<Obj>(plural, { 'managed-by': schedule });
const reasons = async (p: Plane, name: string) => (await p.events(name)).map(e => e.reason);
const settle = (ms = 300) => new Promise(resolve => setTimeout(resolve, ms));
const allInjected = (obj: Obj) =>
  (obj['status']?.experiment?.containerRecords ?? []).length > 0 &&
  obj['status'].experiment.containerRecords.every((r: Obj) => r['phase'] === 'Injected');

/** Advances the clock a tick at a time, letting the controllers act after each. */
async function tick(p: Plane, ms: number, times = 1): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    p.clock.advance(ms);
    await settle();
  }
}

describe('Schedule', () => {
  it("Chaos Mesh's schedule-podchaos.yaml: a pod-kill every 5s, named and labelled as Chaos Mesh, 5 kept", async () => {
    plane = await startPlane();
    const p = plane;
    await p.apply(fixture('schedule-podchaos.yaml'));
    await settle();
    expect(await children(p, 'podchaos', 'schedule-pod-kill-example')).toEqual([]);
    await tick(p, 5_000);
    const first = await eventually(
      async () => (await children(p, 'podchaos', 'schedule-pod-kill-example'))[0],
      {
        what: 'the first run',
        intervalMs: 20,
      },
    );
    expect(first['metadata'].name).toMatch(/^schedule-pod-kill-example-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(first['metadata'].labels).toEqual({ 'managed-by': 'schedule-pod-kill-example' });
    expect(first['metadata'].ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Schedule',
        name: 'schedule-pod-kill-example',
        controller: true,
        blockOwnerDeletion: true,
      }),
    ]);
    expect(first['spec']).toEqual({
      action: 'pod-kill',
      mode: 'one',
      selector: { labelSelectors: { 'app.kubernetes.io/component': 'tikv' } },
    });
    // Each run waits for the previous (Forbid) to be injected: a one-shot is then finished.
    for (let run = 2; run <= 7; run += 1) {
      await eventually(
        async () => (await children(p, 'podchaos', 'schedule-pod-kill-example')).every(allInjected),
        {
          what: `run ${run - 1} injected`,
          intervalMs: 20,
        },
      );
      await tick(p, 5_000);
      await eventually(() => p.calls.filter(c => c.op === 'apply').length >= run, {
        what: `run ${run} applied`,
        intervalMs: 20,
      });
    }
    // Seven runs, five kept: the two oldest are gone.
    const kept = await eventually(
      async () => {
        const list = await children(p, 'podchaos', 'schedule-pod-kill-example');
        return list.length === 5 && list;
      },
      { what: 'history of 5', intervalMs: 20 },
    );
    const applied = [...new Set(p.calls.filter(c => c.op === 'apply').map(c => c.name))];
    expect(applied).toHaveLength(7);
    expect(kept.map(o => o['metadata'].name).sort()).toEqual(applied.slice(2).sort());
    const schedule = (await p.get<Obj>('schedules', 'schedule-pod-kill-example'))!;
    expect(schedule['status'].time).toMatch(/Z$/);
    expect(schedule['status'].active.map((r: Obj) => r['name'])).toEqual(applied.slice(2).sort());
    const seen = await reasons(p, 'schedule-pod-kill-example');
    expect(seen).toEqual(expect.arrayContaining(['Spawned', 'Updated']));
  });

  it('Forbid skips a run while the previous one still runs; Allow overlaps', async () => {
    plane = await startPlane();
    const p = plane;
    const schedule = (name: string, policy: string) => ({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'Schedule',
      metadata: { name },
      spec: {
        schedule: '@every 5s',
        type: 'PodChaos',
        historyLimit: 10,
        concurrencyPolicy: policy,
        podChaos: {
          action: 'pod-failure',
          mode: 'one',
          duration: '12s',
          selector: { labelSelectors: { app: 'web' } },
        },
      },
    });
    await p.create(schedule('forbid', 'Forbid'));
    await p.create(schedule('allow', 'Allow'));
    await settle();
    await tick(p, 5_000);
    await eventually(async () => (await children(p, 'podchaos', 'forbid')).length === 1, {
      what: 'forbid run 1',
      intervalMs: 20,
    });
    await eventually(async () => (await children(p, 'podchaos', 'allow')).length === 1, {
      what: 'allow run 1',
      intervalMs: 20,
    });
    await tick(p, 5_000);
    await eventually(async () => (await children(p, 'podchaos', 'allow')).length === 2, {
      what: 'allow run 2',
      intervalMs: 20,
    });
    await eventually(async () => (await reasons(p, 'forbid')).includes('Forbid'), {
      what: 'Forbid event',
      intervalMs: 20,
    });
    expect(await children(p, 'podchaos', 'forbid')).toHaveLength(1);
    const forbid = (await p.events('forbid')).find(e => e.reason === 'Forbid')!;
    expect(forbid.type).toBe('Warning');
    expect(forbid.message).toMatch(/^Forbid spawning new job because: forbid-[a-z0-9]{5} is still running$/);
    // The first run's 12s are over at 17s: the next tick (20s) spawns again.
    await tick(p, 5_000);
    expect(await children(p, 'podchaos', 'forbid')).toHaveLength(1);
    await tick(p, 5_000);
    await eventually(async () => (await children(p, 'podchaos', 'forbid')).length === 2, {
      what: 'forbid run 2',
      intervalMs: 20,
    });
    expect((await children(p, 'podchaos', 'allow')).length).toBeGreaterThanOrEqual(4);
  });

  it('historyLimit prunes the oldest finished runs first', async () => {
    plane = await startPlane();
    const p = plane;
    await p.create({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'Schedule',
      metadata: { name: 'prune' },
      spec: {
        schedule: '@every 1m',
        type: 'PodChaos',
        historyLimit: 2,
        concurrencyPolicy: 'Allow',
        podChaos: { action: 'pod-kill', mode: 'one', selector: { labelSelectors: { app: 'web' } } },
      },
    });
    await settle();
    const names: string[] = [];
    for (let run = 1; run <= 4; run += 1) {
      await tick(p, 60_000);
      const created = await eventually(
        async () => {
          const list = await children(p, 'podchaos', 'prune');
          const fresh = list.map(o => o['metadata'].name as string).filter(n => !names.includes(n));
          return fresh.length === 1 && list.every(allInjected) && fresh[0];
        },
        { what: `run ${run}`, intervalMs: 20 },
      );
      names.push(created);
    }
    await tick(p, 1_000);
    const kept = await eventually(
      async () => {
        const list = (await children(p, 'podchaos', 'prune')).map(o => o['metadata'].name as string).sort();
        return list.length === 2 && list;
      },
      { what: 'two kept', intervalMs: 20 },
    );
    expect(kept).toEqual(names.slice(2).sort());
  });

  it('a run missed beyond startingDeadlineSeconds is skipped, and an Event says so', async () => {
    plane = await startPlane({ startEngine: false });
    const p = plane;
    await p.create({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'Schedule',
      metadata: { name: 'late' },
      spec: {
        schedule: '@every 1m',
        type: 'PodChaos',
        startingDeadlineSeconds: 10,
        historyLimit: 3,
        podChaos: { action: 'pod-kill', mode: 'one', selector: { labelSelectors: { app: 'web' } } },
      },
    });
    // The operator is down through the first tick (at 60s) and comes back 30s after it.
    p.clock.advance(90_000);
    p.startEngine();
    const missed = await eventually(
      async () => (await p.events('late')).find(e => e.reason === 'MissSchedule'),
      {
        what: 'MissSchedule',
        intervalMs: 20,
      },
    );
    expect(missed.type).toBe('Warning');
    expect(missed.message).toMatch(
      /^Missed scheduled time to start a job: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/,
    );
    await settle();
    expect(await children(p, 'podchaos', 'late')).toEqual([]);
    // The next tick is in time.
    await tick(p, 30_000);
    await eventually(async () => (await children(p, 'podchaos', 'late')).length === 1, {
      what: 'next run',
      intervalMs: 20,
    });
  });

  it('pausing a schedule pauses its children and its runs; resuming resumes both', async () => {
    plane = await startPlane();
    const p = plane;
    await p.create({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'Schedule',
      metadata: { name: 'pausable' },
      spec: {
        schedule: '@every 10s',
        type: 'PodChaos',
        concurrencyPolicy: 'Allow',
        historyLimit: 5,
        podChaos: {
          action: 'pod-failure',
          mode: 'one',
          duration: '1h',
          selector: { labelSelectors: { app: 'web' } },
        },
      },
    });
    await settle();
    await tick(p, 10_000);
    await eventually(async () => (await children(p, 'podchaos', 'pausable')).length === 1, {
      what: 'run 1',
      intervalMs: 20,
    });
    await p.patch('schedules', 'pausable', {
      metadata: { annotations: { 'experiment.chaos-mesh.org/pause': 'true' } },
    });
    await eventually(
      async () =>
        (await children(p, 'podchaos', 'pausable')).every(
          c => c['metadata'].annotations?.['experiment.chaos-mesh.org/pause'] === 'true',
        ),
      { what: 'children paused', intervalMs: 20 },
    );
    await tick(p, 10_000, 2);
    expect(await children(p, 'podchaos', 'pausable')).toHaveLength(1);
    await p.patch('schedules', 'pausable', {
      metadata: { annotations: { 'experiment.chaos-mesh.org/pause': 'false' } },
    });
    await eventually(
      async () =>
        (await children(p, 'podchaos', 'pausable')).every(
          c => c['metadata'].annotations?.['experiment.chaos-mesh.org/pause'] !== 'true',
        ),
      { what: 'children resumed', intervalMs: 20 },
    );
    // The tick missed while paused runs at once, as with Chaos Mesh.
    await eventually(async () => (await children(p, 'podchaos', 'pausable')).length === 2, {
      what: 'run 2',
      intervalMs: 20,
    });
    await tick(p, 10_000);
    await eventually(async () => (await children(p, 'podchaos', 'pausable')).length === 3, {
      what: 'run 3',
      intervalMs: 20,
    });
  });

  it('schedules a plugin kind outside the bundled ones under its own field (signalChaos)', async () => {
    plane = await startPlane();
    const p = plane;
    await p.create({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'Schedule',
      metadata: { name: 'signals' },
      spec: {
        schedule: '@every 30s',
        type: 'SignalChaos',
        historyLimit: 1,
        signalChaos: { mode: 'one', signal: 'SIGTERM', selector: { labelSelectors: { app: 'web' } } },
      },
    });
    await settle();
    await tick(p, 30_000);
    const child = await eventually(async () => (await children(p, 'signalchaos', 'signals'))[0], {
      what: 'spawned',
      intervalMs: 20,
    });
    expect(child['kind']).toBe('SignalChaos');
    expect(child['spec'].signal).toBe('SIGTERM');
  });

  it('refuses bad specs with the field named: at apply where the CRD can say it, else by an Event', async () => {
    plane = await startPlane();
    const p = plane;
    const base = {
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'Schedule',
      spec: {
        schedule: '@every 5s',
        type: 'PodChaos',
        podChaos: { action: 'pod-kill', mode: 'one', selector: {} },
      },
    };
    const refused = (name: string, spec: Obj) =>
      p.create({ ...base, metadata: { name }, spec: { ...base.spec, ...spec } }).then(
        () => '',
        (error: Error) => error.message,
      );
    expect(await refused('unknown-type', { type: 'TeapotChaos' })).toMatch(
      /spec\.type.*Unsupported value: "TeapotChaos"/,
    );
    expect(await refused('not-cron', { schedule: 'every five seconds' })).toMatch(/spec\.schedule/);
    expect(await refused('minute-61', { schedule: '61 * * * *' })).toContain(
      'spec.schedule: Invalid value: "string": parse schedule field error: "61 * * * *": the minute field must be 0-59',
    );
    // What the CRD cannot say (a backward range), the operator says in an Event and never runs.
    await p.create({
      ...base,
      metadata: { name: 'bad-range' },
      spec: { ...base.spec, schedule: '5-1 * * * *' },
    });
    expect(await refused('no-embedded', { type: 'NetworkChaos' })).toMatch(
      /spec\.networkChaos: Required value: the spec of NetworkChaos is required for type NetworkChaos/,
    );
    const failed = async (name: string) =>
      eventually(async () => (await p.events(name)).find(e => e.reason === 'Failed')?.message, {
        what: `${name} refused`,
        intervalMs: 20,
      });
    expect(await failed('bad-range')).toBe(
      'invalid spec: spec.schedule: Invalid value: "5-1 * * * *": parse schedule field error:beginning of range (5) beyond end of range (1): 5-1',
    );
    await tick(p, 5_000);
    expect(await children(p, 'podchaos', 'bad-range')).toEqual([]);
  });
});

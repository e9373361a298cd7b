// SPDX-License-Identifier: Apache-2.0
// Crash safety: the engine runs in a child process that is SIGKILLed at 20+ random moments of a
// 50-record experiment and restarted. Each record must be applied exactly once per cycle and,
// after deletion, recovered, and the object must be gone. Then the same under injected 409/500
// answers (some after the write happened: lost replies) and dropped watches.
//
// "Exactly once" is counted on effective calls: the test plugin (fixtures/engineChild.mjs)
// dedups apply by (record, injectedCount) and recover by (record, recoveredCount) and appends
// each effective call durably. The engine's part is to keep those cycle numbers stable until a
// result is persisted and never to start a new cycle by mistake; a lost Injected write, an
// apply after recovery, or a forgotten record would each show up as a second effective apply,
// a missing recover, or an apply after the recover.
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { PHASE_INJECTED, type ChaosObject } from '@chaosplane/sdk';
import { killChild, readLog, spawnChild, useChildEngines } from './support/child.js';
import { eventually } from '@chaosplane/testing';

const RECORDS = 50;
/** Kills per phase (apply, then recover); a survivor finishes what is left of the phase. */
const KILLS_PER_PHASE = 18;
const engines = useChildEngines('engine-crash-');

const allInjected = (obj: ChaosObject | undefined) => {
  const records = obj?.status?.experiment?.containerRecords ?? [];
  return records.length === RECORDS && records.every(r => r.phase === PHASE_INJECTED);
};

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Runs child engines through one experiment, SIGKILLing each at a random moment. Most kills
 * land while the child is working (a random moment up to 400 ms after its first apply or
 * recover call, when calls and status writes are in flight); every fourth lands anywhere in
 * start-up, list and selection instead. Returns the kills, and how many of them hit a child
 * that had made calls while the phase was not yet finished.
 */
async function crashLoop(name: string, logs: { effect: string; calls: string }) {
  const env = {
    KUBECONFIG_PATH: engines.cluster.emulator.kubeconfigPath,
    EFFECT_LOG: logs.effect,
    CALL_LOG: logs.calls,
    // 50 records x 250 ms / 4 in parallel: about 3 s of work per phase, spread over many lives.
    CALL_DELAY_MS: '250',
    PARALLELISM: '4',
  };
  const start = (n: number) => {
    const child = spawnChild({ ...env, IDENTITY: `${name}-${n}` });
    engines.children.push(child);
    return child;
  };
  const callsBy = (identity: string) => readLog(logs.calls).filter(c => c.identity === identity).length;
  let kills = 0;
  let duringWork = 0;
  let n = 0;
  const killAtRandom = async (finished: () => Promise<boolean>) => {
    const child = start(n++);
    if (kills % 4 === 3) {
      await sleep(100 + Math.random() * 900);
    } else {
      const began = Date.now();
      while (callsBy(child.identity) === 0 && Date.now() - began < 5_000 && !(await finished()))
        await sleep(20);
      await sleep(Math.random() * 400);
    }
    const working = callsBy(child.identity) > 0 && !(await finished());
    await killChild(child);
    kills += 1;
    if (working) duringWork += 1;
  };

  await engines.cluster.create(name, { count: RECORDS });
  // Phase 1: kills while records are selected and applied.
  const injected = async () => allInjected(await engines.cluster.get(name));
  for (let i = 0; i < KILLS_PER_PHASE && !(await injected()); i += 1) await killAtRandom(injected);
  let survivor = start(n++);
  await eventually(injected, { what: 'all injected', timeoutMs: 60_000, intervalMs: 20 });
  await killChild(survivor);
  // Phase 2: delete, and kill while records are recovered.
  await engines.cluster.remove(name);
  const gone = async () => (await engines.cluster.get(name)) === undefined;
  for (let i = 0; i < KILLS_PER_PHASE && !(await gone()); i += 1) await killAtRandom(gone);
  survivor = start(n++);
  await eventually(gone, { what: 'object gone', timeoutMs: 60_000, intervalMs: 20 });
  survivor.process.kill('SIGTERM');
  await survivor.exited;
  return { kills, duringWork };
}

function assertExactlyOnce(effectLog: string, callLog: string) {
  const effects = readLog(effectLog);
  const ids = [...new Set(effects.map(e => e.id))].sort();
  expect(ids).toHaveLength(RECORDS);
  for (const id of ids) {
    const mine = effects.filter(e => e.id === id);
    expect({ id, ops: mine.map(e => `${e.op}#${e.cycle}`) }).toEqual({ id, ops: ['apply#0', 'recover#0'] });
  }
  const calls = readLog(callLog);
  // The effect log absorbs repeats of the same (op, record, cycle), so check the calls too: once
  // a record's recover has been called, the object is being deleted and no apply may follow
  // (a real plugin, checking the target's state, would inject the fault again).
  for (const id of ids) {
    const ops = calls.filter(c => c.id === id).map(c => c.op);
    const firstRecover = ops.indexOf('recover');
    expect({ id, applyAfterRecover: firstRecover >= 0 && ops.slice(firstRecover).includes('apply') }).toEqual(
      {
        id,
        applyAfterRecover: false,
      },
    );
  }
  return { effective: effects.length, calls: calls.length };
}

/** Deletion while applying, with kills throughout: nothing may stay injected. */
async function deleteWhileApplying(name: string, logs: { effect: string; calls: string }) {
  const env = {
    KUBECONFIG_PATH: engines.cluster.emulator.kubeconfigPath,
    EFFECT_LOG: logs.effect,
    CALL_LOG: logs.calls,
    CALL_DELAY_MS: '60',
    PARALLELISM: '2',
  };
  let kills = 0;
  let deleted = false;
  let killsAfterDelete = 0;
  const pause = (min: number, spread: number) =>
    new Promise(resolve => setTimeout(resolve, min + Math.random() * spread));
  const callsBy = (identity: string) => readLog(logs.calls).filter(c => c.identity === identity).length;
  await engines.cluster.create(name, { count: RECORDS });
  for (let i = 0; ; i += 1) {
    if (i === 60) throw new Error('the object was not deleted after 60 restarts');
    const child = spawnChild({ ...env, IDENTITY: `${name}-${i}` });
    engines.children.push(child);
    // Kills are timed from the child's first call, not from its spawn: on a loaded machine a
    // child can take longer to start than a pause measured from the spawn, and would then be
    // killed, again and again, before it did anything.
    const began = Date.now();
    while (
      callsBy(child.identity) === 0 &&
      Date.now() - began < 5_000 &&
      (await engines.cluster.get(name)) !== undefined
    )
      await pause(20, 0);
    if (deleted && killsAfterDelete >= 6) {
      await eventually(async () => (await engines.cluster.get(name)) === undefined, {
        what: 'object gone',
        timeoutMs: 60_000,
        intervalMs: 20,
      });
      child.process.kill('SIGTERM');
      await child.exited;
      break;
    }
    if (!deleted && readLog(logs.effect).length >= 5) {
      // Delete while this child is (likely) applying, then kill it at a random moment.
      await pause(100, 600);
      await engines.cluster.remove(name);
      deleted = true;
    }
    await pause(0, 800);
    await killChild(child);
    kills += 1;
    if (deleted) killsAfterDelete += 1;
  }
  return kills;
}

describe('crash safety (child process SIGKILLed at random moments)', () => {
  it('deletion in the middle of applying, with SIGKILLs: every effective apply is followed by a recover', async () => {
    const logs = {
      effect: path.join(engines.dir, 'mid-effects.log'),
      calls: path.join(engines.dir, 'mid-calls.log'),
    };
    const kills = await deleteWhileApplying('midway', logs);
    const effects = readLog(logs.effect);
    const applied = new Set(effects.filter(e => e.op === 'apply').map(e => e.id));
    expect(applied.size).toBeGreaterThan(0);
    for (const id of applied) {
      const ops = effects.filter(e => e.id === id).map(e => `${e.op}#${e.cycle}`);
      // A record whose apply was cut short by a kill is recovered without a second apply.
      expect({ id, ops }).toEqual({ id, ops: ['apply#0', 'recover#0'] });
    }
    const recoveredOnly = effects.filter(e => e.op === 'recover' && !applied.has(e.id)).length;
    console.log(
      `delete while applying: ${kills} SIGKILLs, ${applied.size}/${RECORDS} applied and recovered, ` +
        `${recoveredOnly} recovered from the write-ahead marker alone`,
    );
  }, 300_000);

  it('applies each record exactly once per cycle and recovers everything after deletion', async () => {
    const logs = {
      effect: path.join(engines.dir, 'plain-effects.log'),
      calls: path.join(engines.dir, 'plain-calls.log'),
    };
    const { kills, duringWork } = await crashLoop('crash', logs);
    expect(duringWork).toBeGreaterThanOrEqual(20);
    const counts = assertExactlyOnce(logs.effect, logs.calls);
    console.log(
      `crash safety: ${kills} SIGKILLs (${duringWork} while calls were in flight), ${counts.calls} calls, ` +
        `${counts.effective} effective`,
    );
  }, 300_000);

  it('holds with 10% injected 409/500 answers (some after the write) and dropped watches', async () => {
    const before = { ...engines.cluster.emulator.faults.stats };
    engines.cluster.emulator.faults.set({
      seed: 7,
      // About 10% of every request fails: on writes, conflicts, 500s before the request is
      // served and 500s after the write was done (a lost reply); on reads, 500s.
      errors: [
        { status: 409, rate: 0.04, verbs: ['update'] },
        { status: 500, rate: 0.04 },
        { status: 500, rate: 0.06, verbs: ['get', 'list'] },
        { status: 500, rate: 0.02, verbs: ['update', 'create'], when: 'after' },
      ],
      watchDisconnects: [{ ratePerEvent: 0.1 }, { afterMs: 400 }],
    });
    // Besides the random drops, close every open watch every 300 ms (as a server timeout
    // would); these count in the emulator's stats too.
    const dropper = setInterval(() => engines.cluster.emulator.faults.disconnectWatches(), 300);
    try {
      const logs = {
        effect: path.join(engines.dir, 'faulty-effects.log'),
        calls: path.join(engines.dir, 'faulty-calls.log'),
      };
      const { kills, duringWork } = await crashLoop('faulty', logs);
      expect(duringWork).toBeGreaterThanOrEqual(20);
      const counts = assertExactlyOnce(logs.effect, logs.calls);
      const errors = engines.cluster.emulator.faults.stats.errors - before.errors;
      const drops = engines.cluster.emulator.faults.stats.watchDisconnects - before.watchDisconnects;
      console.log(
        `crash safety with faults: ${kills} SIGKILLs (${duringWork} while calls were in flight), ` +
          `${counts.calls} calls, ${counts.effective} effective, ` +
          `${errors} injected errors, ${drops} dropped watches`,
      );
      expect(errors).toBeGreaterThan(0);
      expect(drops).toBeGreaterThan(0);
    } finally {
      clearInterval(dropper);
      engines.cluster.emulator.faults.clear();
    }
  }, 300_000);
});

// SPDX-License-Identifier: Apache-2.0
// Two engine replicas (child processes) contend for a coordination.k8s.io/v1 Lease: only the
// leader reconciles; when it is SIGKILLed the other takes the lease once it expires and
// finishes the experiment, each record still applied and recovered exactly once.
import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { PHASE_INJECTED } from '@chaosplane/sdk';
import { type Lease } from '../../src/kube/CoreApi.js';
import { killChild, readLog, spawnChild, useChildEngines } from './support/child.js';
import { eventually } from '@chaosplane/testing';

const LEASE_MS = 3_000;
const RETRY_MS = 300;
const engines = useChildEngines('engine-leader-');

const lease = () =>
  engines.cluster.client
    .request<Lease>('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/engine-test')
    .catch(() => undefined);

describe('leader election', () => {
  it('only the leader reconciles; after SIGKILL the other replica takes over and finishes', async () => {
    const effectLog = path.join(engines.dir, 'effects.log');
    const callLog = path.join(engines.dir, 'calls.log');
    const start = (identity: string) => {
      const child = spawnChild({
        KUBECONFIG_PATH: engines.cluster.emulator.kubeconfigPath,
        EFFECT_LOG: effectLog,
        CALL_LOG: callLog,
        IDENTITY: identity,
        CALL_DELAY_MS: '40',
        PARALLELISM: '2',
        LEASE_NAMESPACE: 'default',
        LEASE_MS: String(LEASE_MS),
        RENEW_MS: '2000',
        RETRY_MS: String(RETRY_MS),
      });
      engines.children.push(child);
      return child;
    };
    const replicas = [start('replica-a'), start('replica-b')];
    const first = await eventually(async () => (await lease())?.spec.holderIdentity ?? undefined, {
      what: 'a leader',
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    const leader = replicas.find(r => r.identity === first)!;
    const follower = replicas.find(r => r.identity !== first)!;

    await engines.cluster.create('ha', { count: 40 });
    await eventually(() => readLog(effectLog).length >= 8, {
      what: 'some records applied',
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    await killChild(leader);
    const killedAt = Date.now();
    const callsBeforeKill = readLog(callLog).filter(c => c.at <= killedAt);
    expect(new Set(callsBeforeKill.map(c => c.identity))).toEqual(new Set([leader.identity]));

    const taken = await eventually(
      async () => {
        const current = await lease();
        return current?.spec.holderIdentity === follower.identity && current;
      },
      { what: 'the follower holds the lease', timeoutMs: 30_000, intervalMs: 20 },
    );
    const takeoverMs = new Date(taken.spec.acquireTime!).getTime() - killedAt;
    await eventually(
      async () => {
        const records = (await engines.cluster.get('ha'))?.status?.experiment?.containerRecords ?? [];
        return records.length === 40 && records.every(r => r.phase === PHASE_INJECTED);
      },
      { what: 'all injected by the new leader', timeoutMs: 60_000, intervalMs: 20 },
    );
    await engines.cluster.remove('ha');
    await eventually(async () => (await engines.cluster.get('ha')) === undefined, {
      what: 'object gone',
      timeoutMs: 60_000,
      intervalMs: 20,
    });

    // The lease expires LEASE_MS after the last renewal (at most one retry period before the
    // kill); the follower notices on its next attempt (one retry period, with jitter).
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_MS + 3 * RETRY_MS);
    expect(taken.spec.leaseTransitions).toBe(1);
    const calls = readLog(callLog);
    expect(calls.filter(c => c.at > killedAt).every(c => c.identity === follower.identity)).toBe(true);
    const effects = readLog(effectLog);
    for (const id of new Set(effects.map(e => e.id))) {
      expect({ id, ops: effects.filter(e => e.id === id).map(e => `${e.op}#${e.cycle}`) }).toEqual({
        id,
        ops: ['apply#0', 'recover#0'],
      });
    }
    expect(new Set(effects.map(e => e.id)).size).toBe(40);
    console.log(`leader election: takeover ${takeoverMs} ms after SIGKILL (lease ${LEASE_MS} ms)`);
    follower.process.kill('SIGTERM');
    await follower.exited;
  }, 180_000);
});

// SPDX-License-Identifier: Apache-2.0
// A daemon replaced by a new instance (SIGTERM: its pod deleted, a rolling update) recovers its
// faults before it exits; the operator sees the node's daemon endpoint become another pod and
// applies the records that were Injected there again. Real parts: the test kit's kube-emulator,
// containerd pods in their own network namespaces, the daemon in its own process with
// deploy/daemon.yaml's capabilities (SIGTERM'd and started again, its EndpointSlice updated as
// the EndpointSlice controller does for a replaced pod), the operator over gRPC with mTLS.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { PHASE_INJECTED } from '@chaosplane/sdk';
import { describeIf, eventually, type TestKit } from '@chaosplane/testing';
import { NS, containerPid, networkKitUnavailableReason, startNetworkKit } from './support/kit.js';

const run = promisify(execFile);
const unavailable = networkKitUnavailableReason();

/** A bandwidth NetworkChaos on pod `app` (examples/networkchaos-bandwidth.yaml's action). */
function bandwidth(name: string, app: string, extra = ''): string {
  return (
    `apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: ${name}, namespace: ${NS}${extra}}\n` +
    `spec:\n  action: bandwidth\n  mode: all\n  selector: {labelSelectors: {app: ${app}}}\n` +
    `  bandwidth: {rate: 1mbps, limit: 20000, buffer: 10000}\n`
  );
}

describeIf(unavailable)('records re-applied when a node’s daemon is replaced', () => {
  let kit: TestKit;
  const pids: Record<string, number> = {};
  const ref = (name: string) => ({ plural: 'networkchaos', name });
  /** The qdiscs of the pod's eth0, as `tc qdisc show` prints them. */
  const qdiscs = async (pod: string) =>
    (await run('nsenter', [`--target=${pids[pod]}`, '--net', 'tc', 'qdisc', 'show', 'dev', 'eth0'])).stdout;

  beforeAll(async () => {
    kit = await startNetworkKit(['a', 'b'].map(name => ({ name, labels: { app: name } })));
    for (const pod of kit.pods) pids[pod.metadata.name!] = await containerPid(kit, pod);
  }, 180_000);
  afterAll(() => kit?.close(), 60_000);

  it('a bandwidth limit comes back after a SIGTERM replaced the daemon, with a Reinjected Event', async () => {
    await kit.kubectl(['apply', '-f', '-'], bandwidth('limit-a', 'a'));
    const [first] = await kit.waitForRecords(ref('limit-a'), PHASE_INJECTED);
    expect(first!.injectedCount).toBe(1);
    expect(await qdiscs('a')).toMatch(/qdisc tbf /);

    const began = performance.now();
    await kit.restartDaemon('SIGTERM');
    const restarted = performance.now();
    await eventually(async () => /qdisc tbf /.test(await qdiscs('a')), {
      timeoutMs: 30_000,
      intervalMs: 50,
      what: "pod a's tbf qdisc is back",
    });
    const back = performance.now();
    console.log(
      `daemon replaced: SIGTERM to new daemon ready ${Math.round(restarted - began)} ms, ` +
        `new daemon ready to the limit back ${Math.round(back - restarted)} ms`,
    );

    // The status write of the re-apply may land just after the qdisc is back.
    const records = await eventually(async () => {
      const found = await kit.waitForRecords(ref('limit-a'), PHASE_INJECTED);
      return found[0]!.injectedCount === 2 && found;
    });
    expect(records[0]!.recoveredCount).toBe(0);
    // Events are written in the background, after the pass that applied the record again.
    const reinjected = await eventually(
      async () => {
        const found = (await kit.events('limit-a')).filter(e => e.reason === 'Reinjected');
        return found.length > 0 && found;
      },
      { what: 'a Reinjected Event', timeoutMs: 10_000 },
    );
    expect(reinjected).toEqual([
      expect.objectContaining({
        type: 'Normal',
        message: expect.stringMatching(
          new RegExp(
            `^the chaos daemon on node ${kit.plane.nodeName} was replaced \\(instance .+ → .+\\): 1 injected record applied again$`,
          ),
        ) as unknown,
      }),
    ]);

    await kit.kubectl(['delete', 'networkchaos', 'limit-a', '-n', NS, '--wait=false']);
    await kit.waitForDeletion(ref('limit-a'));
    expect(await qdiscs('a')).not.toMatch(/tbf/);
  }, 90_000);

  it('after a SIGKILL the new daemon adopted the limit: applying it again leaves one and the same qdisc', async () => {
    await kit.kubectl(['apply', '-f', '-'], bandwidth('crash-a', 'a'));
    await kit.waitForRecords(ref('crash-a'), PHASE_INJECTED);
    const shaped = await qdiscs('a');
    expect(shaped).toMatch(/qdisc tbf /);
    await kit.restartDaemon('SIGKILL');
    await eventually(
      async () => {
        const found = await kit.waitForRecords(ref('crash-a'), PHASE_INJECTED);
        return found[0]!.injectedCount === 2;
      },
      { what: 'crash-a applied again on the new daemon' },
    );
    expect(await qdiscs('a')).toBe(shaped);
    await kit.kubectl(['delete', 'networkchaos', 'crash-a', '-n', NS, '--wait=false']);
    await kit.waitForDeletion(ref('crash-a'));
    expect(await qdiscs('a')).not.toMatch(/tbf/);
  }, 90_000);

  it('a deleted experiment is not re-applied when the daemon is replaced', async () => {
    // A finalizer of another controller keeps the object (Terminating) after ours is removed.
    await kit.kubectl(['apply', '-f', '-'], bandwidth('gone-b', 'b', ', finalizers: [example.com/hold]'));
    await kit.waitForRecords(ref('gone-b'), PHASE_INJECTED);
    await kit.kubectl(['delete', 'networkchaos', 'gone-b', '-n', NS, '--wait=false']);
    await eventually(async () => !/tbf/.test(await qdiscs('b')), {
      timeoutMs: 20_000,
      what: 'the limit is gone',
    });
    await eventually(
      async () => (await kit.get(ref('gone-b')))?.metadata.finalizers?.join() === 'example.com/hold',
      { what: 'only the foreign finalizer is left' },
    );

    await kit.restartDaemon('SIGTERM');
    // Long enough for a re-apply to happen (the running experiment of the test above took
    // well under a second after the new daemon was up).
    await new Promise(resolve => setTimeout(resolve, 3_000));
    expect(await qdiscs('b')).not.toMatch(/tbf/);
    const obj = await kit.get(ref('gone-b'));
    expect(obj?.status?.experiment?.containerRecords?.map(r => [r.phase, r.injectedCount])).toEqual([
      ['Not Injected', 1],
    ]);
    expect((await kit.events('gone-b')).map(e => e.reason)).not.toContain('Reinjected');

    await kit.kubectl([
      'patch',
      'networkchaos',
      'gone-b',
      '-n',
      NS,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    await kit.waitForDeletion(ref('gone-b'));
  }, 90_000);
});

// SPDX-License-Identifier: Apache-2.0
// `chaosplane dev --deployed`: deploy/ applied with the real `kubectl apply -k` (only the image
// named by a kustomization), the operator and the daemon as pods of the image scripts/build-image.sh
// writes, on the dev plane's kubelet and containerd: their securityContexts as the kernel sees
// them (capabilities, read-only root). The seed's verification as written (step 6: `kubectl logs`
// of the operator and the daemon), PodChaos through the runtime socket the DaemonSet mounts and
// through the API under the shipped RBAC, the Deployment replacing a deleted leader while a
// NetworkChaos stays in effect, then recovered by the new leader; a crashed daemon restarted in
// its pod, which finds the journal on the node and undoes the fault when the experiment ends; the
// DaemonSet replacing the daemon's pod, on which the operator applies the running experiment
// again; and a daemon that could not stop cleanly replaced by a pod that adopts its journal.
//
// The image takes minutes to build (deploy/image/README.md): without the archive this suite skips
// and says how to make one (CI builds it, see scripts/test-all.sh).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  DEPLOYED,
  defaultImageArchive,
  podNetworkUnavailableReason,
  startDeployedControlPlane,
  type DeployedControlPlane,
} from '@chaosplane/dev';
import { LINUX_CAPABILITIES } from '@chaosplane/daemon';
import { containerdUnavailableReason } from '@chaosplane/dev/harness';
import { createSilentLogger } from '@chaosplane/service';
import { describeIf, eventually, kubectlUnavailableReason } from '@chaosplane/testing';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = path.join(repo, 'examples');
const archive = defaultImageArchive();
const BANDWIDTH = path.join(examples, 'networkchaos-bandwidth.yaml');

function unavailableReason(): string | undefined {
  const missing = containerdUnavailableReason() ?? podNetworkUnavailableReason();
  if (missing !== undefined) return missing;
  // kubectl exec, which the dev kubelet serves over WebSocket only.
  const kubectl = kubectlUnavailableReason(30, "exec over WebSocket (the dev kubelet's protocol)");
  if (kubectl !== undefined) return kubectl;
  if (archive === undefined || !existsSync(archive))
    return `no image at ${archive ?? '.chaosplane/image'}: build it with sudo npm run image (minutes; CI builds it)`;
  return undefined;
}

/** The host PID of a pod's first container, from containerd (not through the daemon under test). */
async function pidOf(plane: DeployedControlPlane, namespace: string, name: string): Promise<number> {
  const pod = JSON.parse(await plane.kubectl(['get', 'pod', '-n', namespace, name, '-o', 'json'])) as {
    status: { containerStatuses: Array<{ containerID: string }> };
  };
  const bareId = pod.status.containerStatuses[0]!.containerID.replace('containerd://', '');
  const task = await plane.containerd.taskStatus(bareId);
  if (!task) throw new Error(`${namespace}/${name} has no task`);
  return task.pid;
}

/** The effective capabilities of a host process, by name, sorted (its /proc status, read here). */
function effectiveOf(pid: number): string[] {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mask = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(status)![1]!}`);
  return LINUX_CAPABILITIES.filter((_, bit) => ((mask >> BigInt(bit)) & 1n) === 1n).sort();
}

/** The qdiscs of eth0 in the network namespace of `pid`, as tc shows them. */
function qdiscsOf(pid: number): string {
  return execFileSync('nsenter', [`--target=${pid}`, '--net', '--', 'tc', 'qdisc', 'show', 'dev', 'eth0'], {
    encoding: 'utf8',
  });
}

/**
 * What NetworkChaos may change in the network namespace of `pid`: eth0's qdiscs, the filter and
 * mangle rules, the ipsets. Equal to a baseline taken before a fault once it is recovered.
 */
function networkOf(pid: number): string {
  const inNet = (argv: string[]) =>
    execFileSync('nsenter', [`--target=${pid}`, '--net', '--', ...argv], { encoding: 'utf8' });
  return [
    inNet(['tc', 'qdisc', 'show', 'dev', 'eth0']),
    inNet(['iptables', '-w', '5', '-t', 'filter', '-S']),
    inNet(['iptables', '-w', '5', '-t', 'mangle', '-S']),
    inNet(['ipset', 'list', '-n']),
  ].join('\n');
}

/** The phases of a chaos object's records. */
async function phasesOf(plane: DeployedControlPlane, kind: string, name: string): Promise<string[]> {
  const out = await plane.kubectl(['get', kind, '-n', 'busybox', name, '-o', 'json']);
  const chaos = JSON.parse(out) as {
    status?: { experiment?: { containerRecords?: Array<{ phase: string }> } };
  };
  return (chaos.status?.experiment?.containerRecords ?? []).map(record => record.phase);
}

const injected = (phases: string[]) => phases.length > 0 && phases.every(phase => phase === 'Injected');

describeIf(unavailableReason())('chaosplane dev --deployed: deploy/ as pods from the image', () => {
  let dir: string;
  let plane: DeployedControlPlane;
  const stop = new AbortController();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-deployed-'));
    plane = await startDeployedControlPlane({
      dir,
      image: archive!,
      log: createSilentLogger(),
      signal: stop.signal,
    });
    await plane.kubectl(['apply', '-f', path.join(examples, 'busybox.yaml')]);
    await plane.kubelet.waitRunning('busybox', ['busybox-0', 'busybox-1'], 60_000);
  }, 300_000);

  /** Applies examples/networkchaos-bandwidth.yaml; once Injected, busybox-0's PID (its eth0 has the tbf). */
  async function limitBandwidth(): Promise<number> {
    await plane.kubectl(['apply', '-f', BANDWIDTH]);
    await eventually(async () => injected(await phasesOf(plane, 'networkchaos', 'busybox-bandwidth')), {
      what: 'the bandwidth limit Injected',
      timeoutMs: 60_000,
    });
    const target = await pidOf(plane, 'busybox', 'busybox-0');
    expect(qdiscsOf(target)).toContain('tbf');
    return target;
  }

  afterAll(async () => {
    stop.abort();
    await plane?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('applies deploy/ unchanged but for the image, and runs its workloads from that image as their manifests say', async () => {
    const kustomization = JSON.parse(
      await readFile(path.join(plane.kustomization, 'kustomization.yaml'), 'utf8'),
    ) as { resources: string[]; images: Array<{ name: string }> };
    expect(kustomization.resources.map(r => path.resolve(plane.kustomization, r))).toEqual([
      path.join(repo, 'deploy'),
    ]);
    expect(kustomization.images.map(i => i.name)).toEqual([DEPLOYED.image]);
    expect(Object.keys(kustomization).sort()).toEqual(['apiVersion', 'images', 'kind', 'resources']);

    const operators = await plane.operatorPods();
    const daemons = await plane.daemonPods();
    expect(operators).toHaveLength(2);
    expect(daemons).toHaveLength(1);
    for (const pod of [...operators, ...daemons]) {
      expect(pod.spec?.containers[0]?.image).toBe(plane.image);
      expect(pod.status?.containerStatuses?.[0]?.ready).toBe(true);
    }
    // The operator as its non-root user; the daemon as root, in the host's PID namespace.
    const operator = operators[0]!.metadata!.name!;
    expect((await plane.kubectl(['exec', '-n', 'chaosplane', operator, '--', 'id', '-u'])).trim()).toBe(
      '65532',
    );
    const daemon = daemons[0]!.metadata!.name!;
    expect((await plane.kubectl(['exec', '-n', 'chaosplane', daemon, '--', 'id', '-u'])).trim()).toBe('0');
    // Their securityContexts as the kernel sees them: the daemon's effective capabilities are
    // exactly the DaemonSet's `add` list (everything else dropped), the operator has none; both
    // root filesystems are read-only.
    const daemonContainer = daemons[0]!.spec!.containers[0]!;
    expect(daemonContainer.securityContext?.capabilities?.drop).toEqual(['ALL']);
    expect(effectiveOf(await pidOf(plane, 'chaosplane', daemon))).toEqual(
      [...(daemonContainer.securityContext?.capabilities?.add ?? [])].sort(),
    );
    expect(effectiveOf(await pidOf(plane, 'chaosplane', operator))).toEqual([]);
    for (const pod of [operator, daemon])
      await expect(plane.kubectl(['exec', '-n', 'chaosplane', pod, '--', 'touch', '/x'])).rejects.toThrow(
        'Read-only file system',
      );
    const hostPid = await pidOf(plane, 'busybox', 'busybox-0');
    await plane.kubectl(['exec', '-n', 'chaosplane', daemon, '--', 'test', '-d', `/proc/${hostPid}`]);
    // The runtime socket the DaemonSet mounts is the plane's containerd, not the host's.
    const listed = await plane.kubectl([
      'exec',
      '-n',
      'chaosplane',
      daemon,
      '--',
      'ls',
      '/host-run/containerd',
    ]);
    expect(listed.split('\n')).toContain('containerd.sock');
    expect(existsSync(path.join(plane.containerd.dir, 'containerd.sock'))).toBe(true);
  });

  it("does the seed's step 6 as written: kubectl logs of the operator and of the daemon", async () => {
    await plane.kubectl(['apply', '-f', path.join(examples, 'helloworld.yaml')]);
    await eventually(
      async () => injected(await phasesOf(plane, 'helloworldchaos', 'busybox-helloworld-chaos')),
      {
        what: 'every HelloWorldChaos record Injected',
        timeoutMs: 60_000,
      },
    );
    const leader = await plane.leaderPod();
    expect(leader).toBeDefined();
    const operatorLog = await plane.kubectl(['logs', '-n', 'chaosplane', leader!]);
    const applied = operatorLog.split('\n').filter(line => line.includes('Apply helloworld chaos'));
    expect(applied.map(line => (JSON.parse(line) as { record: string }).record).sort()).toEqual([
      'busybox/busybox-0/busybox',
      'busybox/busybox-1/busybox',
    ]);
    const [daemon] = await plane.daemonPods();
    const daemonLog = await plane.kubectl(['logs', '-n', 'chaosplane', daemon!.metadata!.name!]);
    const psLines = daemonLog
      .split('\n')
      .filter(line => line.includes('ps aux in container'))
      .map(line => JSON.parse(line) as { record: string; output: string });
    expect(psLines.map(line => line.record).sort()).toEqual([
      'busybox/busybox-0/busybox',
      'busybox/busybox-1/busybox',
    ]);
    for (const line of psLines) expect(line.output).toContain('sleep 3600');
    await plane.kubectl(['delete', '-f', path.join(examples, 'helloworld.yaml'), '--timeout=60s']);
  }, 120_000);

  it("runs PodChaos's container-kill through the runtime socket the DaemonSet mounts", async () => {
    const restarts = async () => {
      const pods = JSON.parse(await plane.kubectl(['get', 'pods', '-n', 'busybox', '-o', 'json'])) as {
        items: Array<{ status: { containerStatuses?: Array<{ restartCount: number }> } }>;
      };
      return pods.items.reduce((sum, pod) => sum + (pod.status.containerStatuses?.[0]?.restartCount ?? 0), 0);
    };
    const before = await restarts();
    await plane.kubectl(['apply', '-f', path.join(examples, 'podchaos-container-kill.yaml')]);
    await eventually(async () => (await restarts()) === before + 1, {
      what: 'one busybox container killed and restarted',
      timeoutMs: 60_000,
    });
    await plane.kubectl([
      'delete',
      '-f',
      path.join(examples, 'podchaos-container-kill.yaml'),
      '--timeout=60s',
    ]);
    await plane.kubelet.waitRunning('busybox', ['busybox-0', 'busybox-1'], 60_000);
  }, 120_000);

  it("runs PodChaos's pod-kill through the API with the operator's shipped RBAC", async () => {
    const uids = async () => {
      const pods = JSON.parse(await plane.kubectl(['get', 'pods', '-n', 'busybox', '-o', 'json'])) as {
        items: Array<{ metadata: { uid: string } }>;
      };
      return pods.items.map(pod => pod.metadata.uid);
    };
    const before = await uids();
    const manifest = path.join(examples, 'podchaos-pod-kill.yaml');
    await plane.kubectl(['apply', '-f', manifest]);
    await eventually(async () => (await uids()).filter(uid => before.includes(uid)).length === 1, {
      what: 'one busybox pod deleted',
      timeoutMs: 60_000,
    });
    await plane.kubectl(['delete', '-f', manifest, '--timeout=60s']);
    // Bare pods: nothing recreates the one killed; the next tests want both.
    await plane.kubectl(['apply', '-f', path.join(examples, 'busybox.yaml')]);
    await plane.kubelet.waitRunning('busybox', ['busybox-0', 'busybox-1'], 60_000);
  }, 120_000);

  it('replaces a deleted operator pod through its Deployment; another replica takes the Lease and the running experiment goes on, then recovers', async () => {
    const target = await limitBandwidth();
    const leader = await plane.leaderPod();
    expect(leader).toBeDefined();
    await plane.kubectl(['delete', 'pod', '-n', 'chaosplane', leader!]);
    // Sampled all through the hand-over: the record stays Injected and the limit stays on
    // busybox-0's eth0 (nothing undoes it while the leader changes).
    const samples: Array<{ phases: string[]; limited: boolean }> = [];
    const sample = async () => {
      samples.push({
        phases: await phasesOf(plane, 'networkchaos', 'busybox-bandwidth'),
        limited: qdiscsOf(target).includes('tbf'),
      });
    };
    await eventually(
      async () => {
        await sample();
        const names = (await plane.operatorPods()).map(pod => pod.metadata?.name);
        return names.length === 2 && !names.includes(leader);
      },
      { what: 'a new operator pod in place of the deleted one', timeoutMs: 60_000 },
    );
    await plane.waitReady(120_000);
    const next = await eventually(
      async () => {
        await sample();
        return await plane.leaderPod();
      },
      { what: 'another operator pod holding the Lease', timeoutMs: 60_000 },
    );
    expect(next).not.toBe(leader);
    await sample();
    expect(samples.filter(s => !injected(s.phases) || !s.limited)).toEqual([]);
    // The deleted leader's process is gone: the new leader recovers the experiment it found
    // running (limit gone, finalizer released, object gone).
    await plane.kubectl(['delete', '-f', BANDWIDTH, '--timeout=90s']);
    expect(qdiscsOf(target)).not.toContain('tbf');
    expect((await plane.kubectl(['get', 'networkchaos', '-n', 'busybox', '-o', 'name'])).trim()).toBe('');
  }, 300_000);

  it("restarts a crashed daemon in its pod; the new process finds the journal on the node's hostPath and undoes the fault when the experiment ends", async () => {
    const target = await limitBandwidth();

    const [daemon] = await plane.daemonPods();
    const name = daemon!.metadata!.name!;
    // A crash: nothing of the daemon's shutdown runs, the journal on the hostPath is all there is.
    process.kill(await pidOf(plane, 'chaosplane', name), 'SIGKILL');
    await eventually(
      async () => ((await plane.daemonPods())[0]?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
      { what: 'the daemon container restarted in its pod', timeoutMs: 60_000 },
    );
    await plane.waitReady(120_000);
    // The fault outlives the daemon that made it (the experiment still runs) ...
    expect(qdiscsOf(target)).toContain('tbf');
    // ... and the new process read what its predecessor journaled.
    const replayed = (await plane.kubectl(['logs', '-n', 'chaosplane', name]))
      .split('\n')
      .filter(line => line.includes('journal replayed'))
      .map(line => JSON.parse(line) as Record<string, unknown[]>);
    expect(replayed).toHaveLength(1);
    expect(replayed[0]!['adopted']?.length).toBeGreaterThan(0);

    await plane.kubectl(['delete', '-f', BANDWIDTH, '--timeout=90s']);
    expect(qdiscsOf(target)).not.toContain('tbf');
  }, 300_000);

  it('replaces a deleted daemon pod through its DaemonSet; the old daemon undid its faults as it stopped, and the operator applies them again on the new one', async () => {
    const target = await limitBandwidth();

    const [before] = await plane.daemonPods();
    const deleted = performance.now();
    await plane.kubectl(['delete', 'pod', '-n', 'chaosplane', before!.metadata!.name!]);
    // SIGTERM recovers everything the daemon tracks (docs/reference/daemon.md): a daemon that
    // is deleted, as on an uninstall, never strands a fault.
    await eventually(() => !qdiscsOf(target).includes('tbf'), {
      what: 'the stopping daemon undid the limit',
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    const gone = performance.now();
    await eventually(
      async () => {
        const pods = await plane.daemonPods();
        return pods.length === 1 && pods[0]?.metadata?.name !== before!.metadata!.name;
      },
      { what: "the DaemonSet's new daemon pod", timeoutMs: 60_000 },
    );
    // The new daemon pod is another endpoint of the daemon's Service on the node: the operator
    // applies the running experiment's records again there.
    let readyAt: number | undefined;
    await eventually(
      async () => {
        const [pod] = await plane.daemonPods();
        if (
          readyAt === undefined &&
          pod?.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True')
        )
          readyAt = performance.now();
        return qdiscsOf(target).includes('tbf');
      },
      { what: 'the limit applied again on the new daemon', timeoutMs: 120_000, intervalMs: 100 },
    );
    const back = performance.now();
    const ms = (from: number, to: number | undefined) => (to === undefined ? '?' : Math.round(to - from));
    console.log(
      `daemon pod replaced: limit undone ${ms(deleted, gone)} ms after the delete; new pod Ready ` +
        `${ms(gone, readyAt)} ms later; limit back ${ms(gone, back)} ms after it was undone`,
    );
    const events = JSON.parse(await plane.kubectl(['get', 'events', '-n', 'busybox', '-o', 'json'])) as {
      items: { reason: string; message: string; involvedObject: { name: string } }[];
    };
    const reinjected = events.items.filter(
      event => event.reason === 'Reinjected' && event.involvedObject.name === 'busybox-bandwidth',
    );
    expect(reinjected.map(event => event.message)).toEqual([
      expect.stringMatching(
        /^the chaos daemon on node \S+ was replaced \(instance .+ → .+\): \d+ injected records? applied again$/,
      ),
    ]);
    expect(injected(await phasesOf(plane, 'networkchaos', 'busybox-bandwidth'))).toBe(true);

    await plane.kubectl(['delete', '-f', BANDWIDTH, '--timeout=90s']);
    expect(qdiscsOf(target)).not.toContain('tbf');
  }, 300_000);

  it("replaces the pod of a daemon that could not stop cleanly through its DaemonSet; the new pod replays the journal on the node's hostPath, and deleting the experiment leaves nothing", async () => {
    const baseline = networkOf(await pidOf(plane, 'busybox', 'busybox-0'));
    const target = await limitBandwidth();
    const [before] = await plane.daemonPods();
    const old = before!.metadata!.name!;
    // Stopped, it never handles the kubelet's SIGTERM (which would undo its faults, see the test
    // above): the SIGKILL after the grace period ends it with the fault in place and the journal
    // on the hostPath the only account of it, as when a node's daemon is OOM-killed or hangs.
    process.kill(await pidOf(plane, 'chaosplane', old), 'SIGSTOP');
    await plane.kubectl(['delete', 'pod', '-n', 'chaosplane', old]);
    const next = await eventually(
      async () => {
        const pods = await plane.daemonPods();
        const name = pods[0]?.metadata?.name;
        return pods.length === 1 && name !== old ? name : undefined;
      },
      { what: "the DaemonSet's new daemon pod", timeoutMs: 60_000 },
    );
    await plane.waitReady(120_000);
    const replayed = (await plane.kubectl(['logs', '-n', 'chaosplane', next]))
      .split('\n')
      .filter(line => line.includes('journal replayed'))
      .map(line => JSON.parse(line) as Record<string, unknown[]>);
    expect(replayed).toHaveLength(1);
    expect(replayed[0]!['adopted']?.length).toBeGreaterThan(0);
    expect(replayed[0]!['recovered']).toEqual([]);
    expect(replayed[0]!['failed']).toEqual([]);
    // Adopted, not undone: the limit never left busybox-0, and the record is still Injected.
    expect(qdiscsOf(target)).toContain('tbf');
    expect(injected(await phasesOf(plane, 'networkchaos', 'busybox-bandwidth'))).toBe(true);

    // The new daemon undoes what it adopted: the namespace is as before the experiment.
    await plane.kubectl(['delete', '-f', BANDWIDTH, '--timeout=90s']);
    expect(networkOf(target)).toBe(baseline);
    expect((await plane.kubectl(['get', 'networkchaos', '-n', 'busybox', '-o', 'name'])).trim()).toBe('');
  }, 300_000);
});

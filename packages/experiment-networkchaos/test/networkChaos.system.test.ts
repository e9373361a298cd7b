// SPDX-License-Identifier: Apache-2.0
// NetworkChaos for real: the test kit runs the plugin in the operator and in a daemon confined to
// deploy/daemon.yaml's capabilities, and three busybox pods (a, b, c) as containerd containers,
// each in its own network namespace wired by the CNI bridge plugin, beside a fourth (h) on the
// host's network. Traffic is real (ping, nc), and after every experiment each pod's namespace is
// read back (iptables-save, ipset, tc) and compared with what it was before. The netem family
// runs for real only where the daemon's probe finds sch_netem (its tests skip, saying so,
// elsewhere); where it is missing, its refusal runs instead.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os, { networkInterfaces } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DAEMON_SERVER_NAME, DEV_NAMESPACE } from '@chaosplane/dev';
import { explainManifest, formatExplanations } from '@chaosplane/operator';
import { PHASE_INJECTED, PHASE_NOT_INJECTED, type Pod } from '@chaosplane/sdk';
import { describeIf, eventually, type TestKit } from '@chaosplane/testing';
import { probeCapabilities } from '../src/daemon/probeCapabilities.js';
import { NetworkChaosDaemonDefinition } from '../src/index.js';
import {
  NS,
  PLUGIN,
  REPO,
  containerPid,
  networkKitUnavailableReason,
  startNetworkKit,
} from './support/kit.js';
import { chaosplaneTraces, netnsSnapshot, shellIn } from './support/netns.js';

const run = promisify(execFile);

const unavailable = networkKitUnavailableReason();

// Whether the kernel has sch_netem, by the probe the daemon runs (on this same node): it decides
// which of the netem tests run, before the kit starts. Undefined where the suite cannot run.
const netem =
  unavailable === undefined
    ? (await probeCapabilities(shellIn(undefined))).qdiscs.includes('netem')
    : undefined;
const NO_NETEM = "this node's kernel has no sch_netem";

/** A NetworkChaos manifest in the test namespace. */
function networkChaos(name: string, spec: string): string {
  return `apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: ${name}, namespace: ${NS}}\nspec:\n${spec}`;
}

/** An IPv4 address of this host outside the pod network: "outside the cluster" for the pods. */
function hostAddress(): string {
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (name === 'lo' || name.startsWith('cp-br')) continue;
    const v4 = addresses?.find(a => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  throw new Error('this host has no IPv4 address outside loopback');
}

describeIf(unavailable)('NetworkChaos on real pod networks', () => {
  let kit: TestKit;
  const ips: Record<string, string> = {};
  const pids: Record<string, number> = {};
  const before: Record<string, string> = {};
  /** The pod's first container's process: the way into its network namespace. */
  const pidOf = (pod: Pod) => containerPid(kit, pod);
  /** A Failed event of the object's record for pod `id`, once there is one. */
  const failureOf = (name: string, id: string) =>
    eventually(
      async () =>
        (await kit.get(ref(name)))?.status?.experiment?.containerRecords
          ?.find(r => r.id === id)
          ?.events?.find(e => e.type === 'Failed'),
      { what: `${name} failed on ${id}` },
    );
  /** The median round trip from `from` to `ip` in milliseconds, over five pings. */
  const rttMs = async (from: string, ip: string) => {
    const { stdout } = await kit.exec(from, ['ping', '-c', '5', '-i', '0.2', '-W', '2', ip]);
    const times = [...stdout.matchAll(/time=([\d.]+) ms/g)].map(m => Number(m[1])).sort((x, y) => x - y);
    expect(times).toHaveLength(5);
    return times[2]!;
  };

  const ref = (name: string) => ({ plural: 'networkchaos', name });
  const apply = (manifest: string) => kit.kubectl(['apply', '-f', '-'], manifest);
  const remove = async (name: string) => {
    await kit.kubectl(['delete', 'networkchaos', name, '-n', NS, '--wait=false']);
    await kit.waitForDeletion(ref(name));
  };
  const reaches = async (from: string, ip: string) =>
    (await kit.exec(from, ['ping', '-c', '1', '-W', '1', ip])).exitCode === 0;
  /** Every pod's network namespace is exactly as it was before any experiment. */
  const expectPristine = async () => {
    for (const pod of ['a', 'b', 'c']) expect(await netnsSnapshot({ pid: pids[pod]! })).toBe(before[pod]);
  };
  /** Bytes per second from `from` to `to` over TCP, `bytes` sent. */
  const throughput = async (from: string, to: string, bytes: number) => {
    const received = kit.exec(to, ['sh', '-c', 'nc -l -p 5001 | wc -c']);
    await new Promise(resolve => setTimeout(resolve, 300)); // the listener is up
    const started = performance.now();
    await kit.exec(from, ['sh', '-c', `head -c ${bytes} /dev/zero | nc -w 1 ${ips[to]} 5001`]);
    const { stdout } = await received;
    const seconds = (performance.now() - started) / 1000;
    expect(Number(stdout.trim())).toBe(bytes);
    return bytes / seconds;
  };

  beforeAll(async () => {
    kit = await startNetworkKit([
      ...['a', 'b', 'c'].map(name => ({ name, labels: { app: name } })),
      { name: 'h', labels: { app: 'h' }, hostNetwork: true },
    ]);
    for (const pod of kit.pods) {
      const name = pod.metadata.name!;
      pids[name] = await pidOf(pod);
      if (name === 'h') continue; // the host's network: neither a pod IP nor a namespace of its own
      ips[name] = pod.status!.podIP!;
      before[name] = await netnsSnapshot({ pid: pids[name] });
    }
  }, 180_000);
  afterAll(() => kit?.close(), 60_000);

  it('gives each pod its own network namespace and IP, with routes between pods', async () => {
    expect(new Set(Object.values(ips)).size).toBe(3);
    for (const ip of Object.values(ips)) expect(ip).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(await reaches('a', ips['b']!)).toBe(true);
    expect(await reaches('b', ips['c']!)).toBe(true);
    expect(await reaches('c', ips['a']!)).toBe(true);
    // Between pods on one bridge a round trip is well under a millisecond; the netem tests add
    // their latency on top of this.
    expect(await rttMs('a', ips['b']!)).toBeLessThan(50);
  });

  it('a hostNetwork pod keeps the host network, and NetworkChaos refuses it without touching the host', async () => {
    const h = kit.pods.find(p => p.metadata.name === 'h')!;
    expect(h.status!.podIP).toBe(h.status!.hostIP);
    const netnsOf = (pid: number) => readlink(`/proc/${pid}/ns/net`);
    expect(await netnsOf(pids['h']!)).toBe(await netnsOf(process.pid));
    expect(await netnsOf(pids['a']!)).not.toBe(await netnsOf(process.pid));

    const hostBefore = await chaosplaneTraces(process.pid);
    await apply(
      networkChaos(
        'cut-host',
        `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: h}}\n  direction: to\n  externalTargets: ['192.0.2.1/32']\n`,
      ),
    );
    const refused = await failureOf('cut-host', `${NS}/h`);
    expect(refused.message).toContain(
      `It's dangerous to inject network chaos on a pod(${NS}/h) with \`hostNetwork\``,
    );
    expect(await chaosplaneTraces(process.pid)).toBe(hostBefore);
    await remove('cut-host');
    expect(await chaosplaneTraces(process.pid)).toBe(hostBefore);
  }, 60_000);

  it('partition `to` a target: a→b is cut both ways at the kernel, b and c keep their own traffic', async () => {
    await apply(
      networkChaos(
        'cut-a-to-b',
        `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  direction: to\n  target: {mode: all, selector: {labelSelectors: {app: b}}}\n`,
      ),
    );
    const records = await kit.waitForRecords(ref('cut-a-to-b'), PHASE_INJECTED);
    expect(records.map(r => [r.id, r.selectorKey]).sort()).toEqual([
      [`${NS}/a`, '.'],
      [`${NS}/b`, '.Target'],
    ]);
    expect(await reaches('a', ips['b']!)).toBe(false);
    expect(await reaches('b', ips['a']!)).toBe(false); // a's replies to b are dropped on the way out
    expect(await reaches('b', ips['c']!)).toBe(true);
    expect(await reaches('c', ips['b']!)).toBe(true);
    expect(await reaches('a', ips['c']!)).toBe(true);
    await remove('cut-a-to-b');
    expect(await reaches('a', ips['b']!)).toBe(true);
    await expectPristine();
  }, 60_000);

  it('a pod that is both source and target keeps both records’ rules, and loses both on delete', async () => {
    await apply(
      networkChaos(
        'a-cut-from-itself',
        `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  direction: to\n  target: {mode: all, selector: {labelSelectors: {app: a}}}\n`,
      ),
    );
    const records = await kit.waitForRecords(ref('a-cut-from-itself'), PHASE_INJECTED);
    expect(records.map(r => [r.id, r.selectorKey]).sort()).toEqual([
      [`${NS}/a`, '.'],
      [`${NS}/a`, '.Target'],
    ]);
    // The source's drop of what it sends the target, beside the target's drop of what it gets
    // from the source: one record's change must not replace the other's on the daemon.
    const filter = (await run('nsenter', ['-t', String(pids['a']), '-n', 'iptables-save', '-t', 'filter']))
      .stdout;
    expect(filter).toMatch(/-A CHAOSPLANE-OUTPUT -o eth0 -m set --match-set cp-[0-9a-f]{10}-n dst -j DROP/);
    expect(filter).toMatch(/-A CHAOSPLANE-INPUT -i eth0 -m set --match-set cp-[0-9a-f]{10}-n src -j DROP/);
    expect(await reaches('a', ips['c']!)).toBe(true);
    await remove('a-cut-from-itself');
    await expectPristine();
  }, 60_000);

  it('partition `from` and `both`: the drops land on the other chains, and go away', async () => {
    await apply(
      networkChaos(
        'from-b',
        `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  direction: from\n  target: {mode: all, selector: {labelSelectors: {app: b}}}\n`,
      ),
    );
    await kit.waitForRecords(ref('from-b'), PHASE_INJECTED);
    const a = (await run('nsenter', ['-t', String(pids['a']), '-n', 'iptables-save', '-t', 'filter'])).stdout;
    expect(a).toMatch(/-A CHAOSPLANE-INPUT -i eth0 -m set --match-set cp-[0-9a-f]{10}-n src -j DROP/);
    expect(a).not.toContain('CHAOSPLANE-OUTPUT');
    expect(await reaches('b', ips['a']!)).toBe(false);
    // The pods' other traffic continues, both ways.
    expect(await reaches('a', ips['c']!)).toBe(true);
    expect(await reaches('c', ips['a']!)).toBe(true);
    expect(await reaches('b', ips['c']!)).toBe(true);
    expect(await reaches('c', ips['b']!)).toBe(true);
    await remove('from-b');

    await apply(
      networkChaos(
        'both-ways',
        `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  direction: both\n  target: {mode: all, selector: {labelSelectors: {app: c}}}\n`,
      ),
    );
    await kit.waitForRecords(ref('both-ways'), PHASE_INJECTED);
    expect(await reaches('a', ips['c']!)).toBe(false);
    expect(await reaches('c', ips['a']!)).toBe(false);
    expect(await reaches('a', ips['b']!)).toBe(true);
    await remove('both-ways');
    await expectPristine();
  }, 60_000);

  it('partition to external targets: a CIDR outside the pod network is cut, the pods are not', async () => {
    const host = hostAddress();
    expect(await reaches('a', host)).toBe(true);
    await apply(
      networkChaos(
        'cut-outside',
        `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  direction: to\n  externalTargets: ['${host}/32']\n`,
      ),
    );
    await kit.waitForRecords(ref('cut-outside'), PHASE_INJECTED);
    expect(await reaches('a', host)).toBe(false);
    expect(await reaches('a', ips['b']!)).toBe(true);
    expect(await reaches('b', host)).toBe(true);
    await remove('cut-outside');
    expect(await reaches('a', host)).toBe(true);
    await expectPristine();
  }, 60_000);

  it('bandwidth limits a→b to its rate (±25%) and composes with a partition on the same pod', async () => {
    const free = await throughput('a', 'b', 400_000);
    await apply(
      networkChaos(
        'slow-a-to-b',
        `  action: bandwidth\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  target: {mode: all, selector: {labelSelectors: {app: b}}}\n  bandwidth: {rate: 100kbps, limit: 20000, buffer: 10000}\n`,
      ),
    );
    await kit.waitForRecords(ref('slow-a-to-b'), PHASE_INJECTED);
    const onlySlow = await netnsSnapshot({ pid: pids['a']! });
    await apply(
      networkChaos(
        'cut-a-to-c',
        `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  target: {mode: all, selector: {labelSelectors: {app: c}}}\n`,
      ),
    );
    await kit.waitForRecords(ref('cut-a-to-c'), PHASE_INJECTED);
    const limited = await throughput('a', 'b', 400_000);
    console.log(
      `bandwidth: ${Math.round(free / 1000)} kB/s free, ${Math.round(limited / 1000)} kB/s at rate 100kbps`,
    );
    expect(limited).toBeGreaterThan(100_000 * 0.75);
    expect(limited).toBeLessThan(100_000 * 1.25);
    expect(await reaches('a', ips['c']!)).toBe(false);

    await remove('cut-a-to-c');
    // Recovering one leaves the other exactly as it was: a's namespace is what it was with the
    // bandwidth alone.
    expect(await netnsSnapshot({ pid: pids['a']! })).toBe(onlySlow);
    expect(await reaches('a', ips['c']!)).toBe(true);
    const stillLimited = await throughput('a', 'b', 400_000);
    expect(stillLimited).toBeLessThan(100_000 * 1.25);
    await remove('slow-a-to-b');
    expect(await throughput('a', 'b', 400_000)).toBeGreaterThan(100_000 * 5);
    await expectPristine();
  }, 120_000);

  it('refuses two shapings of the same packets with different peers, naming the other experiment', async () => {
    await apply(
      networkChaos(
        'slow-all',
        `  action: bandwidth\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  bandwidth: {rate: 1mbps, limit: 20000, buffer: 10000}\n`,
      ),
    );
    await kit.waitForRecords(ref('slow-all'), PHASE_INJECTED);
    const onlyFirst = await netnsSnapshot({ pid: pids['a']! });
    await apply(
      networkChaos(
        'slow-to-b',
        `  action: bandwidth\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  target: {mode: all, selector: {labelSelectors: {app: b}}}\n  bandwidth: {rate: 100kbps, limit: 20000, buffer: 10000}\n`,
      ),
    );
    const refused = await failureOf('slow-to-b', `${NS}/a`);
    expect(refused.message).toContain(`cannot compose with NetworkChaos ${NS}/slow-all on eth0`);
    // Never half-applied: a's namespace is what the first experiment made it.
    expect(await netnsSnapshot({ pid: pids['a']! })).toBe(onlyFirst);
    await remove('slow-to-b');
    await remove('slow-all');
    await expectPristine();
  }, 60_000);

  describeIf(
    netem === true
      ? "this node's kernel has sch_netem: nothing to refuse here (plan.test.ts covers the refusal's words)"
      : undefined,
  )('where the kernel lacks sch_netem', () => {
    it('an action this kernel cannot do is refused with what is missing, and leaves nothing behind', async () => {
      // The daemon's own probe agrees with the one that chose this branch.
      const caps = await (await kit.daemonClient(NetworkChaosDaemonDefinition)).capabilities({});
      expect(caps.qdiscs).not.toContain('netem');
      await apply(
        networkChaos(
          'delay-a',
          `  action: delay\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  delay: {latency: 90ms, correlation: '25', jitter: 90ms}\n`,
        ),
      );
      const failure = await failureOf('delay-a', `${NS}/a`);
      expect(failure.message).toMatch(/this node's kernel has no sch_netem \(tc qdisc netem\)/);
      expect(failure.message).toContain('UNIMPLEMENTED');
      const events = await kit.events('delay-a');
      expect(events.some(e => e.type === 'Warning' && e.message.includes('sch_netem'))).toBe(true);
      await remove('delay-a');
      await expectPristine();
    }, 60_000);
  });

  describeIf(netem === false ? `${NO_NETEM}: the netem path cannot run here` : undefined)(
    'where the kernel has sch_netem',
    () => {
      it('delay adds its latency to a→b round trips (ping), not to a→c, and leaves nothing after delete', async () => {
        const caps = await (await kit.daemonClient(NetworkChaosDaemonDefinition)).capabilities({});
        expect(caps.qdiscs).toContain('netem');
        const base = await rttMs('a', ips['b']!);
        await apply(
          networkChaos(
            'delay-a-to-b',
            `  action: delay\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  target: {mode: all, selector: {labelSelectors: {app: b}}}\n  delay: {latency: 100ms}\n`,
          ),
        );
        await kit.waitForRecords(ref('delay-a-to-b'), PHASE_INJECTED);
        const delayed = await rttMs('a', ips['b']!);
        console.log(`delay: round trip a→b ${base} ms free, ${delayed} ms with latency 100ms`);
        // The echo request waits 100 ms on a's eth0; the reply is not delayed.
        expect(delayed - base).toBeGreaterThan(70);
        expect(delayed - base).toBeLessThan(130);
        expect(await rttMs('a', ips['c']!)).toBeLessThan(base + 50);
        await remove('delay-a-to-b');
        expect(await rttMs('a', ips['b']!)).toBeLessThan(base + 50);
        await expectPristine();
      }, 60_000);

      it('loss 100% drops every packet a→b, not a→c, and leaves nothing after delete', async () => {
        await apply(
          networkChaos(
            'lose-a-to-b',
            `  action: loss\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  target: {mode: all, selector: {labelSelectors: {app: b}}}\n  loss: {loss: '100'}\n`,
          ),
        );
        await kit.waitForRecords(ref('lose-a-to-b'), PHASE_INJECTED);
        expect(await reaches('a', ips['b']!)).toBe(false);
        expect(await reaches('a', ips['c']!)).toBe(true);
        expect(await reaches('b', ips['c']!)).toBe(true);
        await remove('lose-a-to-b');
        expect(await reaches('a', ips['b']!)).toBe(true);
        await expectPristine();
      }, 60_000);
    },
  );

  it("chaosplane explain asks each target's daemon before anything runs: what the kernel lacks", async () => {
    const caps = await (await kit.daemonClient(NetworkChaosDaemonDefinition)).capabilities({});
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cp-explain-'));
    const file = path.join(dir, 'chaos.yaml');
    await writeFile(
      file,
      [
        networkChaos(
          'explain-delay',
          `  action: delay\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  delay: {latency: 90ms}\n`,
        ),
        networkChaos(
          'explain-cut',
          `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  target: {mode: all, selector: {labelSelectors: {app: b}}}\n`,
        ),
      ].join('---\n'),
    );
    const { certs, daemon } = kit.plane;
    const [delay, cut] = await explainManifest({
      file,
      plugins: [PLUGIN],
      pluginsFrom: REPO,
      kubeconfig: kit.kubeconfigPath,
      daemon: {
        discovery: { kind: 'service', namespace: DEV_NAMESPACE, serviceName: 'chaosplane-daemon' },
        port: daemon.grpcPort,
        tls: {
          caPem: certs.caPem,
          certPem: certs.clientCertPem,
          keyPem: certs.clientKeyPem,
          serverName: DAEMON_SERVER_NAME,
        },
        callTimeoutMs: 10_000,
      },
    });
    await rm(dir, { recursive: true, force: true });
    expect(cut!.preflight).toEqual([]);
    if (caps.qdiscs.includes('netem')) expect(delay!.preflight).toEqual([]);
    else
      expect(delay!.preflight).toEqual([
        { target: `${NS}/a`, problems: ["this node's kernel has no sch_netem (tc qdisc netem)"] },
      ]);
    expect(formatExplanations([delay!, cut!])).toContain('every target can take the fault');
    // Nothing was created: the dry run writes nothing.
    expect(await kit.get(ref('explain-delay'))).toBeUndefined();
  }, 60_000);

  it('recovers by itself at the end of its duration, and on pause (then applies again on resume)', async () => {
    await apply(
      networkChaos(
        'short-cut',
        `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  target: {mode: all, selector: {labelSelectors: {app: b}}}\n  duration: 4s\n`,
      ),
    );
    await kit.waitForRecords(ref('short-cut'), PHASE_INJECTED);
    expect(await reaches('a', ips['b']!)).toBe(false);
    await kit.waitForRecords(ref('short-cut'), PHASE_NOT_INJECTED, { timeoutMs: 20_000 });
    expect(await reaches('a', ips['b']!)).toBe(true);
    await expectPristine();
    await remove('short-cut');

    await apply(
      networkChaos(
        'paused-cut',
        `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  target: {mode: all, selector: {labelSelectors: {app: b}}}\n`,
      ),
    );
    await kit.waitForRecords(ref('paused-cut'), PHASE_INJECTED);
    await kit.kubectl([
      'annotate',
      'networkchaos',
      'paused-cut',
      '-n',
      NS,
      'experiment.chaos-mesh.org/pause=true',
    ]);
    await kit.waitForRecords(ref('paused-cut'), PHASE_NOT_INJECTED);
    await expectPristine();
    await kit.kubectl([
      'annotate',
      'networkchaos',
      'paused-cut',
      '-n',
      NS,
      'experiment.chaos-mesh.org/pause-',
    ]);
    await kit.waitForRecords(ref('paused-cut'), PHASE_INJECTED);
    expect(await reaches('a', ips['b']!)).toBe(false);
    await remove('paused-cut');
    await expectPristine();
  }, 90_000);

  it('survives a daemon SIGKILL: the fault stays in effect, and deleting afterwards leaves nothing', async () => {
    await apply(
      networkChaos(
        'crash-cut',
        `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  target: {mode: all, selector: {labelSelectors: {app: b}}}\n`,
      ),
    );
    await kit.waitForRecords(ref('crash-cut'), PHASE_INJECTED);
    await kit.restartDaemon('SIGKILL');
    expect(await reaches('a', ips['b']!)).toBe(false);
    await remove('crash-cut');
    expect(await reaches('a', ips['b']!)).toBe(true);
    await expectPristine();
  }, 90_000);

  it('a Chaos Mesh example applies unchanged and runs (its examples/network-partition-example.yaml)', async () => {
    const example = await readFile(new URL('./fixtures/chaos-mesh/partition.yaml', import.meta.url), 'utf8');
    for (const name of ['tikv-0', 'tikv-1'])
      await kit.kube.request('POST', '/api/v1/namespaces/default/pods', {
        body: {
          metadata: { name, labels: { 'app.kubernetes.io/component': 'tikv' } },
          spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] },
        },
      });
    const pods: Pod[] = await kit.plane.kubelet.waitRunning('default', ['tikv-0', 'tikv-1'], 60_000);
    await kit.kubectl(['apply', '-f', '-'], example);
    const exampleRef = { plural: 'networkchaos', name: 'network-partition-example', namespace: 'default' };
    const records = await kit.waitForRecords(exampleRef, PHASE_INJECTED);
    expect(records.map(r => r.selectorKey).sort()).toEqual(['.', '.Target']);
    const source = records.find(r => r.selectorKey === '.')!.id.split('/')[1]!;
    const target = records.find(r => r.selectorKey === '.Target')!.id.split('/')[1]!;
    const targetIp = pods.find(p => p.metadata.name === target)!.status!.podIP!;
    // Both `mode: one` picks may be the same pod (a pod cut from itself, whose own traffic
    // goes over lo): the kernel state of the source's namespace says what was installed either way.
    const sourcePid = await pidOf(pods.find(p => p.metadata.name === source)!);
    const inSource = async (...argv: string[]) =>
      (await run('nsenter', ['-t', String(sourcePid), '-n', ...argv])).stdout;
    const drop = /-A CHAOSPLANE-OUTPUT -o eth0 -m set --match-set (cp-[0-9a-f]{10}-n) dst -j DROP/.exec(
      await inSource('iptables-save', '-t', 'filter'),
    );
    expect(drop).not.toBeNull();
    expect((await inSource('ipset', 'list', drop![1]!)).split('\n')).toContain(`${targetIp}`);
    if (source !== target)
      expect(
        (await kit.exec(`default/${source}`, ['ping', '-c', '1', '-W', '1', targetIp])).exitCode,
      ).not.toBe(0);
    await kit.kubectl(['delete', '-f', '-'], example);
    await kit.waitForDeletion(exampleRef);
  }, 120_000);

  // Last: it deletes pod b.
  it('a target pod deleted mid-experiment counts as recovered, and the source is restored on delete', async () => {
    await apply(
      networkChaos(
        'cut-then-gone',
        `  action: partition\n  mode: all\n  selector: {labelSelectors: {app: a}}\n  target: {mode: all, selector: {labelSelectors: {app: b}}}\n`,
      ),
    );
    await kit.waitForRecords(ref('cut-then-gone'), PHASE_INJECTED);
    await kit.kubectl(['delete', 'pod', 'b', '-n', NS, '--wait=false']);
    await kit.kubectl(['delete', 'networkchaos', 'cut-then-gone', '-n', NS, '--wait=false']);
    await kit.waitForDeletion(ref('cut-then-gone'));
    expect(await netnsSnapshot({ pid: pids['a']! })).toBe(before['a']);
    expect(await netnsSnapshot({ pid: pids['c']! })).toBe(before['c']);
  }, 60_000);
});

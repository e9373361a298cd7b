// SPDX-License-Identifier: Apache-2.0
// The daemon with exactly the capabilities deploy/daemon.yaml gives it, on real containerd: the
// built chaosplane-daemon runs as its own process under `setpriv --bounding-set`, and
// HelloWorldChaos (ps as nobody inside each target, through nsenter --setgid --setuid) still
// works. A capability the bundled plugins need but the DaemonSet drops fails here, not in a
// cluster. Then a daemon confined without what NetworkChaos's handler declares (NET_ADMIN,
// NET_RAW): it says so when it starts and refuses the plugin's calls with that message, which the
// NetworkChaos shows. Runs the build's dist (CI builds before testing).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { LINUX_CAPABILITIES } from '@chaosplane/daemon';
import type { ChaosObject } from '@chaosplane/sdk';
import { captureLogger, describeIf } from '@chaosplane/testing';
import { containerdUnavailableReason } from '@chaosplane/dev/harness';
import {
  DAEMON_CAPABILITIES,
  applyManifestFile,
  capabilityBoundingPrefix,
  eventually,
  startDevControlPlane,
  type DevControlPlane,
} from '@chaosplane/dev';
import { parseManifests } from '../src/config/parseManifests.js';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const examples = path.join(repo, 'examples');
const daemonBinary = path.join(repo, 'packages/daemon/dist/cli/main.js');

function capabilityMask(names: readonly string[]): bigint {
  return names.reduce((mask, name) => {
    const bit = (LINUX_CAPABILITIES as readonly string[]).indexOf(name);
    if (bit < 0) throw new Error(`unknown capability ${name} in deploy/daemon.yaml`);
    return mask | (1n << BigInt(bit));
  }, 0n);
}

/** The Cap* lines of a /proc/PID/status, as numbers. */
function capabilitySets(
  status: string,
): Record<'CapInh' | 'CapPrm' | 'CapEff' | 'CapBnd' | 'CapAmb', bigint> {
  const read = (field: string): bigint => {
    const match = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    if (!match) throw new Error(`no ${field} in /proc status`);
    return BigInt(`0x${match[1]!}`);
  };
  return {
    CapInh: read('CapInh'),
    CapPrm: read('CapPrm'),
    CapEff: read('CapEff'),
    CapBnd: read('CapBnd'),
    CapAmb: read('CapAmb'),
  };
}

/** The `capabilities.add` of the daemon container in deploy/daemon.yaml (which drops ALL). */
async function deployedDaemonCapabilities(): Promise<string[]> {
  const objects = parseManifests(await readFile(path.join(repo, 'deploy/daemon.yaml'), 'utf8'));
  const daemonSet = objects.find(o => o.kind === 'DaemonSet') as unknown as {
    spec: {
      template: {
        spec: {
          containers: Array<{ securityContext: { capabilities: { drop: string[]; add: string[] } } }>;
        };
      };
    };
  };
  const capabilities = daemonSet.spec.template.spec.containers[0]!.securityContext.capabilities;
  expect(capabilities.drop).toEqual(['ALL']);
  return capabilities.add;
}

function unavailableReason(): string | undefined {
  const containerd = containerdUnavailableReason();
  if (containerd) return containerd;
  if (process.getuid?.() !== 0) return 'it needs root (a DaemonSet pod runs the daemon as uid 0)';
  if (!existsSync('/usr/bin/setpriv') && !existsSync('/bin/setpriv')) return 'util-linux setpriv is missing';
  return undefined;
}

/** A dev plane with `plugin` loaded, its daemon confined to `capabilities`, and two busybox pods. */
function useConfinedPlane(dirPrefix: string, plugin: string, capabilities: () => Promise<readonly string[]>) {
  const daemon = captureLogger('daemon');
  const stop = new AbortController();
  let dir: string | undefined;
  const used = {
    daemon,
    capabilities: [] as readonly string[],
    plane: undefined as unknown as DevControlPlane,
    kubectl: async (...args: string[]) =>
      (await run('kubectl', ['--kubeconfig', used.plane.kubeconfigPath, ...args], { timeout: 60_000 }))
        .stdout,
  };
  beforeAll(async () => {
    if (!existsSync(daemonBinary)) throw new Error(`${daemonBinary} is missing: run npm run build first`);
    used.capabilities = await capabilities();
    dir = await mkdtemp(path.join(os.tmpdir(), dirPrefix));
    used.plane = await startDevControlPlane({
      dir,
      plugins: [plugin],
      pluginsFrom: repo,
      operatorLog: captureLogger('operator').log,
      daemonLog: daemon.log,
      log: captureLogger('dev').log,
      signal: stop.signal,
      daemonCapabilities: used.capabilities,
    });
    await applyManifestFile(used.plane.kube, path.join(examples, 'busybox.yaml'));
    await used.plane.kubelet.waitRunning('busybox', ['busybox-0', 'busybox-1'], 60_000);
  }, 120_000);
  afterAll(async () => {
    stop.abort();
    await used.plane?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);
  return used;
}

describeIf(unavailableReason())(
  'the daemon with only the capabilities of deploy/daemon.yaml (real containerd)',
  () => {
    const used = useConfinedPlane(
      'cp-e2e-caps-',
      '@chaosplane/experiment-helloworld',
      deployedDaemonCapabilities,
    );
    const { daemon, kubectl } = used;

    it('the DaemonSet list is the one the test kit and chaosplane dev confine the daemon to', () => {
      expect([...used.capabilities].sort()).toEqual([...DAEMON_CAPABILITIES].sort());
    });

    it('confines the daemon process: bounding, permitted and effective sets are exactly the DaemonSet list', async () => {
      expect(used.plane.daemon.pid).not.toBe(process.pid);
      const sets = capabilitySets(await readFile(`/proc/${used.plane.daemon.pid}/status`, 'utf8'));
      const expected = capabilityMask(used.capabilities);
      expect(sets.CapBnd).toBe(expected);
      expect(sets.CapPrm).toBe(expected);
      expect(sets.CapEff).toBe(expected);
      expect(sets.CapInh).toBe(0n);
      expect(sets.CapAmb).toBe(0n);
    });

    it('runs HelloWorldChaos: ps as nobody inside each target prints the container processes', async () => {
      const manifest = path.join(examples, 'helloworld.yaml');
      expect(await kubectl('apply', '-f', manifest)).toContain('created');
      const custom = used.plane.kubeConfig.makeApiClient(CustomObjectsApi);
      const ref = {
        group: 'chaos-mesh.org',
        version: 'v1alpha1',
        namespace: 'busybox',
        plural: 'helloworldchaos',
        name: 'busybox-helloworld-chaos',
      };
      await eventually(
        async () => {
          const obj = (await custom.getNamespacedCustomObject(ref)) as ChaosObject;
          const records = obj.status?.experiment?.containerRecords ?? [];
          return records.length === 2 && records.every(r => r.phase === 'Injected') ? obj : undefined;
        },
        { what: 'both HelloWorldChaos records are Injected' },
      );
      const outputs = daemon.lines.filter(l => l.message === 'ps aux in container');
      expect(outputs).toHaveLength(2);
      for (const line of outputs) expect(String(line['output'])).toMatch(/^\s*1 root\s+\/bin\/sleep 3600$/m);
      expect(await kubectl('delete', '-f', manifest, '--wait=true', '--timeout=60s')).toContain('deleted');
    }, 120_000);

    it("bounds nsenter's children the same way: the DaemonSet list is enough for --setgid/--setuid, without SETGID/SETUID it is not", async () => {
      const pod = JSON.parse(await kubectl('get', 'pod', 'busybox-0', '-n', 'busybox', '-o', 'json')) as {
        status: { containerStatuses: Array<{ containerID: string }> };
      };
      const task = await used.plane.containerd.taskStatus(
        pod.status.containerStatuses[0]!.containerID.replace('containerd://', ''),
      );
      const enterAsNobody = (caps: readonly string[]): Promise<{ stdout: string }> => {
        const [setpriv, ...prefix] = capabilityBoundingPrefix(caps);
        return run(setpriv!, [
          ...prefix,
          'nsenter',
          `--target=${task!.pid}`,
          '--mount',
          '--pid',
          '--setgid=65534',
          '--setuid=65534',
          '--',
          'cat',
          '/proc/self/status',
        ]);
      };
      // The process inside the target keeps the bounding set and, as nobody, holds nothing.
      const inside = capabilitySets((await enterAsNobody(used.capabilities)).stdout);
      expect(inside.CapBnd).toBe(capabilityMask(used.capabilities));
      expect(inside.CapEff).toBe(0n);
      // Without SETGID/SETUID (deploy/daemon.yaml before the fix) nsenter cannot switch user.
      const withoutSetId = used.capabilities.filter(c => c !== 'SETGID' && c !== 'SETUID');
      await expect(enterAsNobody(withoutSetId)).rejects.toMatchObject({
        stderr: expect.stringContaining('Operation not permitted'),
      });
    });
  },
);

describeIf(unavailableReason())(
  'a daemon without a capability a plugin declared (NetworkChaos, no NET_ADMIN or NET_RAW; real containerd)',
  () => {
    const used = useConfinedPlane('cp-e2e-nocaps-', '@chaosplane/experiment-networkchaos', () =>
      Promise.resolve(DAEMON_CAPABILITIES.filter(c => c !== 'NET_ADMIN' && c !== 'NET_RAW')),
    );
    const { daemon, kubectl } = used;
    const manifest = path.join(examples, 'networkchaos-bandwidth.yaml');
    const missing =
      "chaosplane.networkchaos.v1.NetworkChaosDaemon needs the capabilities NET_ADMIN, NET_RAW, which this daemon does not have: add them to the daemon container's securityContext.capabilities.add (deploy/daemon.yaml)";

    it('says so once when it starts, naming the plugin service and what to add', () => {
      const said = daemon.lines.filter(l => l.level === 'error' && l.message === missing);
      expect(said).toHaveLength(1);
      expect(said[0]!['missing']).toEqual(['NET_ADMIN', 'NET_RAW']);
    });

    it('a NetworkChaos fails with that message on the chaos object; deleting it waits for a daemon that can recover', async () => {
      expect(await kubectl('apply', '-f', manifest)).toContain('created');
      const warningOn = (operation: string) =>
        eventually(
          async () => {
            const events = JSON.parse(
              await kubectl(
                'get',
                'events',
                '-n',
                'busybox',
                '--field-selector',
                'involvedObject.name=busybox-bandwidth',
                '-o',
                'json',
              ),
            ) as { items: Array<{ type: string; message: string }> };
            return events.items.find(
              e =>
                e.type === 'Warning' &&
                e.message.startsWith(`${operation} busybox/busybox-0: `) &&
                e.message.includes(missing),
            );
          },
          {
            what: `a Warning Event on the NetworkChaos's ${operation} naming the missing capabilities`,
            timeoutMs: 60_000,
          },
        );
      expect((await warningOn('apply')).message).toContain('UNIMPLEMENTED');
      const get = async () =>
        JSON.parse(
          await kubectl('get', 'networkchaos', 'busybox-bandwidth', '-n', 'busybox', '-o', 'json'),
        ) as ChaosObject;
      // The source pod's record (applied through the daemon) is not injected; the target's
      // (`.Target`, only named by the source's rules) has nothing to apply.
      const source = (await get()).status?.experiment?.containerRecords?.find(r => r.selectorKey === '.');
      expect(source).toMatchObject({ id: 'busybox/busybox-0', phase: 'Not Injected', injectedCount: 0 });
      expect(source?.events?.at(-1)).toMatchObject({ type: 'Failed', operation: 'Apply' });
      // The refused apply is still an apply that may have begun, as far as the operator knows:
      // the record is recovered before the object goes, and this daemon cannot recover either.
      // The finalizer holds it, and the Event says what to add to the DaemonSet.
      await kubectl('delete', '-f', manifest, '--wait=false');
      await warningOn('recover');
      const held = await get();
      expect(held.metadata.deletionTimestamp).toBeDefined();
      expect(held.metadata.finalizers).toEqual(['chaos-mesh/records']);
      // Let it go as `deploy/uninstall.sh --remove-finalizers` would, for the next test file.
      await kubectl(
        'patch',
        'networkchaos',
        'busybox-bandwidth',
        '-n',
        'busybox',
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      );
    }, 120_000);
  },
);

// SPDX-License-Identifier: Apache-2.0
// deploy/uninstall.sh on a plane where faults are injected and the operator runs: the
// cluster-wide overlay installed with `kubectl apply -k` on kube-emulator (RBAC enforced), the
// real chaosplane-operator binary as a host process with its ServiceAccount's token and leader
// election (as deploy/operator.yaml runs it; the Deployment's own pods have no image here, so
// the dev kubelet reports ErrImagePull for them), busybox pods run by the dev kubelet. A
// PodChaos pod-failure and a Schedule spawning another hold chaos-mesh/records. With the
// operator stopped the script deletes nothing; with it running the Schedule goes first, every
// fault is recovered (the pods get their images back), no finalizer is stranded and the CRDs
// are gone at the end.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startDevControlPlane, type DevControlPlane } from '@chaosplane/dev';
import { createSilentLogger } from '@chaosplane/service';
import {
  describeIf,
  eventually,
  testKitUnavailableReason,
  kubectlUnavailableReason,
} from '@chaosplane/testing';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const deploy = path.join(repo, 'deploy');
const overlay = path.join(repo, 'examples', 'install', 'cluster-wide');
const binary = path.join(repo, 'packages/operator/dist/cli/operator.js');
const PLUGINS = ['@chaosplane/experiment-podchaos'];
const NS = 'uninstall-a';

interface Result {
  out: string;
  err: string;
  code: number;
}

interface Operator {
  log: string[];
  stop(): Promise<void>;
}

interface PodChaosList {
  items: Array<{
    metadata: { name: string; finalizers?: string[] };
    status?: { experiment?: { containerRecords?: Array<{ phase: string }> } };
  }>;
}

interface Pod {
  metadata: { annotations?: Record<string, string> };
  spec: { containers: Array<{ image: string }> };
}

describeIf(
  testKitUnavailableReason() ??
    kubectlUnavailableReason(27, 'the install overlays (kustomize v5: Components, replacements)'),
)('deploy/uninstall.sh with a running operator and injected faults', () => {
  let dir: string;
  let plane: DevControlPlane;
  let env: NodeJS.ProcessEnv;
  let operatorKubeconfig: string;
  let operator: Operator | undefined;
  const stop = new AbortController();

  const exec = (file: string, args: string[]): Promise<Result> =>
    new Promise(resolve =>
      execFile(file, args, { timeout: 120_000, env }, (error, stdout, stderr) =>
        resolve({
          out: stdout,
          err: stderr,
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
        }),
      ),
    );
  const ok = async (...args: string[]): Promise<string> => {
    const result = await exec('kubectl', args);
    expect({ args, code: result.code, err: result.code === 0 ? '' : result.err }).toEqual({
      args,
      code: 0,
      err: '',
    });
    return result.out;
  };
  const apply = async (yaml: string): Promise<string> => {
    const file = path.join(dir, `m-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, yaml);
    return ok('apply', '-f', file);
  };
  const uninstall = (...args: string[]) =>
    exec('bash', [path.join(deploy, 'uninstall.sh'), '-k', overlay, '--timeout=60s', ...args]);
  const podChaos = async (): Promise<PodChaosList> =>
    JSON.parse(await ok('get', 'podchaos', '-n', NS, '-o', 'json')) as PodChaosList;
  const pod = async (name: string): Promise<Pod> =>
    JSON.parse(await ok('get', 'pod', '-n', NS, name, '-o', 'json')) as Pod;

  /** chaosplane-operator as deploy/operator.yaml runs it: its ServiceAccount, leader election. */
  function startOperator(): Operator {
    const child = spawn(
      process.execPath,
      [
        binary,
        `--kubeconfig=${operatorKubeconfig}`,
        ...PLUGINS.map(p => `--plugin=${p}`),
        '--namespace=chaosplane',
        '--leader-elect',
        '--http-addr=127.0.0.1:0',
        `--daemon-port=${plane.daemon.grpcPort}`,
        `--daemon-ca=${plane.certs.files.ca}`,
        `--daemon-cert=${plane.certs.files.clientCert}`,
        `--daemon-key=${plane.certs.files.clientKey}`,
      ],
      { cwd: repo, env: { ...process.env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
    const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
    return {
      log,
      async stop() {
        child.kill('SIGTERM');
        // Its graceful stop is bounded (--shutdown-grace 30s); past that, the suite must not hang.
        const kill = setTimeout(() => child.kill('SIGKILL'), 45_000);
        await exited;
        clearTimeout(kill);
      },
    };
  }

  /** The Lease's holder, or undefined (kube-emulator keeps a released holder as null; a cluster drops it). */
  const holder = async () => {
    const identity = await ok(
      'get',
      'lease',
      '-n',
      'chaosplane',
      'chaosplane-operator',
      '--ignore-not-found',
      '-o',
      'jsonpath={.spec.holderIdentity}',
    );
    return identity === '' || identity === 'null' ? undefined : identity;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-uninstall-'));
    plane = await startDevControlPlane({
      dir,
      plugins: PLUGINS,
      pluginsFrom: repo,
      operatorLog: createSilentLogger(),
      daemonLog: createSilentLogger(),
      log: createSilentLogger(),
      signal: stop.signal,
      runOperator: false,
      // The overlay's operator and daemon pods name an image this kubelet does not have: they
      // stay in ErrImagePull (never busybox standing in for them).
      unknownImages: 'pull-error',
    });
    env = { ...process.env, KUBECONFIG: plane.kubeconfigPath, KUBECACHEDIR: path.join(dir, 'cache') };
  }, 120_000);

  afterAll(async () => {
    await operator?.stop();
    stop.abort();
    await plane?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 90_000);

  it('deletes nothing while the operator is down; with it running, recovers every fault and leaves no finalizer and no CRD', async () => {
    // Installed as deploy/README says: namespace, certificates, the overlay.
    await ok('apply', '-f', path.join(deploy, 'namespace.yaml'));
    const certs = await exec('bash', [path.join(deploy, 'certs', 'generate.sh'), path.join(dir, 'certs')]);
    expect(certs.code).toBe(0);
    await apply(certs.out);
    await ok('apply', '-k', overlay);
    const { token } = await plane.emulator.createToken('chaosplane', 'chaosplane-operator');
    operatorKubeconfig = path.join(dir, 'operator.kubeconfig');
    await writeFile(operatorKubeconfig, plane.emulator.kubeConfigFor(token), { mode: 0o600 });

    await ok('create', 'namespace', NS);
    for (const name of ['p-0', 'p-1']) {
      await apply(
        `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${NS}, labels: {pod: ${name}}}\nspec:\n  containers: [{name: main, image: busybox, command: [sleep, '3600']}]\n`,
      );
    }
    await plane.kubelet.waitRunning(NS, ['p-0', 'p-1'], 60_000);

    operator = startOperator();
    await eventually(holder, {
      what: 'the operator holds its Lease',
      timeoutMs: 30_000,
    });
    await apply(
      `apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: failure, namespace: ${NS}}\nspec:\n  action: pod-failure\n  mode: all\n  duration: 1h\n  selector: {namespaces: [${NS}], labelSelectors: {pod: p-0}}\n`,
    );
    await apply(
      `apiVersion: chaos-mesh.org/v1alpha1\nkind: Schedule\nmetadata: {name: every, namespace: ${NS}}\nspec:\n  schedule: '@every 2s'\n  type: PodChaos\n  concurrencyPolicy: Forbid\n  historyLimit: 1\n  podChaos:\n    action: pod-failure\n    mode: all\n    duration: 1h\n    selector: {namespaces: [${NS}], labelSelectors: {pod: p-1}}\n`,
    );
    // Both faults injected: the PodChaos and the one the Schedule spawned, each with our finalizer.
    await eventually(
      async () => {
        const { items } = await podChaos();
        const injected = items.filter(
          c =>
            c.metadata.finalizers?.includes('chaos-mesh/records') &&
            (c.status?.experiment?.containerRecords ?? []).some(r => r.phase === 'Injected'),
        );
        return injected.length >= 2 ? injected : undefined;
      },
      { what: 'two PodChaos injected', timeoutMs: 60_000 },
    );
    const originalImage = 'busybox';
    for (const name of ['p-0', 'p-1'])
      expect((await pod(name)).spec.containers[0]!.image).not.toBe(originalImage);

    // The operator is down (it released its Lease): nothing is deleted.
    await operator.stop();
    operator = undefined;
    const refused = await uninstall();
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('but no operator renews the Lease chaosplane/chaosplane-operator');
    expect(
      await ok('get', 'schedule', '-n', NS, 'every', '-o', 'jsonpath={.metadata.deletionTimestamp}'),
    ).toBe('');
    expect(await ok('get', 'crd', 'podchaos.chaos-mesh.org', '-o', 'name')).toContain('podchaos');

    // The operator runs again: the script goes through.
    operator = startOperator();
    await eventually(holder, {
      what: 'the operator holds its Lease again',
      timeoutMs: 30_000,
    });
    const started = Date.now();
    // --remove-finalizers asked for by mistake: ignored while the operator can recover.
    const removed = await uninstall('--remove-finalizers');
    const seconds = (Date.now() - started) / 1000;
    expect({ code: removed.code, err: removed.err }).toEqual({
      code: 0,
      err: 'uninstall: --remove-finalizers ignored: the operator runs\n',
    });
    expect(removed.out).toContain('the operator renews its Lease chaosplane/chaosplane-operator');
    // Two waves, Schedules and Workflows first; then the installation.
    const lines = removed.out.split('\n');
    const waves = lines.filter(l => l.startsWith('uninstall: deleting every '));
    expect(waves).toHaveLength(2);
    expect(waves[0]).toBe('uninstall: deleting every schedules.chaos-mesh.org,workflows.chaos-mesh.org');
    expect(waves[1]).toContain('podchaos.chaos-mesh.org');
    expect(waves[1]).not.toContain('schedules');
    expect(lines.indexOf(waves[1]!)).toBeGreaterThan(lines.indexOf(waves[0]!));
    expect(lines.findIndex(l => l.startsWith('uninstall: deleting the installation'))).toBeGreaterThan(
      lines.indexOf(waves[1]!),
    );
    expect(seconds).toBeLessThan(60);

    // Every fault recovered by the operator: the pods have their images back, no annotation left.
    for (const name of ['p-0', 'p-1']) {
      const recovered = await pod(name);
      expect(recovered.spec.containers[0]!.image).toBe(originalImage);
      expect(
        Object.keys(recovered.metadata.annotations ?? {}).filter(k => k.startsWith('podfailure.')),
      ).toEqual([]);
    }
    expect(
      (await ok('get', 'crd', '-o', 'name')).split('\n').filter(l => l.includes('chaos-mesh.org')),
    ).toEqual([]);
    expect(await ok('get', 'clusterrolebindings', '-o', 'name')).not.toContain('chaosplane');
    expect(await ok('get', 'namespace', 'chaosplane', '--ignore-not-found', '-o', 'name')).toBe('');
  }, 180_000);
});

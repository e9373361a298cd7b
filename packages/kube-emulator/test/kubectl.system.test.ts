// SPDX-License-Identifier: Apache-2.0
// Real kubectl (a subprocess, argv only) against the emulator: apply, get, describe, label,
// annotate, patch, get -w, delete waiting on finalizers, wait --for=delete, api-resources, and
// the typed commands that send protobuf (create namespace|configmap|secret|deployment|job|
// serviceaccount, run, label, scale, cordon).
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { kubectlOutcome, type KubectlOutcome } from '@chaosplane/dev';
import { describeIf, eventually } from '@chaosplane/testing';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { type KubeEmulator, startKubeEmulator } from '../src/index.js';
import { widgetCrd } from './fixtures.js';
import { raw } from './support.js';

function kubectlVersion(): string | undefined {
  try {
    return execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
}

const versionJson = kubectlVersion();
/** kubectl's minor version: behaviour differs between Debian's 1.20 and current releases. */
const kubectlMinor = versionJson
  ? Number.parseInt((JSON.parse(versionJson) as { clientVersion: { minor: string } }).clientVersion.minor, 10)
  : 0;
/** kubectl 1.27+ checks OpenAPI v3 for `fieldValidation` and lets the server refuse unknown fields. */
const serverSideValidation = kubectlMinor >= 27;

describeIf(
  versionJson === undefined
    ? 'kubectl is not installed (scripts/install-system-deps.sh installs kubernetes-client)'
    : undefined,
)('kubectl against the emulator', () => {
  let emulator: KubeEmulator;
  let dir: string;
  const children: ChildProcess[] = [];

  const kubectl = (...args: string[]): Promise<KubectlOutcome> =>
    kubectlOutcome(emulator.kubeconfigPath, ['--cache-dir', path.join(dir, 'cache'), ...args], {
      timeoutMs: 30_000,
    });

  function background(...args: string[]): {
    child: ChildProcess;
    out: () => string;
    exited: Promise<number | null>;
  } {
    const child = spawn(
      'kubectl',
      ['--kubeconfig', emulator.kubeconfigPath, '--cache-dir', path.join(dir, 'cache'), ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
    return { child, out: () => out, exited };
  }

  function file(name: string, content: unknown): string {
    const p = path.join(dir, name);
    fs.writeFileSync(p, typeof content === 'string' ? content : stringify(content));
    return p;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-emulator-kubectl-'));
    emulator = await startKubeEmulator();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await emulator.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists api-resources, including a CRD once applied', async () => {
    const before = await kubectl('api-resources');
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    expect(before.stdout).toMatch(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);

    const applied = await kubectl('apply', '-f', file('crd.yaml', widgetCrd));
    expect(applied).toMatchObject({ code: 0 });
    expect(applied.stdout).toContain(
      'customresourcedefinition.apiextensions.k8s.io/widgets.example.com created',
    );
    const after = await kubectl('api-resources', '--api-group', 'example.com');
    expect(after.stdout).toMatch(/^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget$/m);
  });

  it('applies a custom resource from YAML (validated, then configured) and gets it', async () => {
    const manifest = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1', labels: { app: 'demo' } },
      spec: { size: 3 },
    };
    const created = await kubectl('apply', '-f', file('w1.yaml', manifest));
    expect(created.stderr).toBe('');
    expect(created.stdout.trim()).toBe('widget.example.com/w1 created');
    const again = await kubectl('apply', '-f', file('w1.yaml', { ...manifest, spec: { size: 4 } }));
    expect(again.stdout.trim()).toBe('widget.example.com/w1 configured');
    const table = await kubectl('get', 'widgets');
    expect(table.stdout).toMatch(/^NAME\s+SIZE\s+PHASE\s*$/m);
    expect(table.stdout).toMatch(/^w1\s+4\s*/m);
    const yaml = await kubectl('get', 'wd', 'w1', '-o', 'yaml');
    expect(yaml.stdout).toContain('kubectl.kubernetes.io/last-applied-configuration');
    expect(yaml.stdout).toMatch(/color: red/);
    expect(yaml.stdout).toMatch(/size: 4/);

    const invalid = await kubectl(
      'apply',
      '-f',
      file('bad.yaml', { ...manifest, metadata: { name: 'bad' }, spec: { size: 0 } }),
    );
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain(
      'spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1',
    );
    const unknown = await kubectl(
      'apply',
      '-f',
      file('unknown.yaml', { ...manifest, metadata: { name: 'unk' }, spec: { size: 1, bogus: true } }),
    );
    if (serverSideValidation) {
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('unknown field "spec.bogus"');
    } else {
      // Older kubectl does not ask for strict validation: the server prunes the field.
      expect(unknown.code).toBe(0);
      expect((await kubectl('get', 'wd', 'unk', '-o', 'jsonpath={.spec}')).stdout).not.toContain('bogus');
      expect((await kubectl('delete', 'wd', 'unk')).code).toBe(0);
    }
  });

  it('applies built-in kinds with strategic merge and describes them', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p1', labels: { app: 'demo' } },
      spec: {
        containers: [
          { name: 'main', image: 'busybox:1.36', env: [{ name: 'A', value: '1' }] },
          { name: 'side', image: 'busybox:1.36' },
        ],
      },
    };
    expect((await kubectl('apply', '-f', file('pod.yaml', pod))).stdout.trim()).toBe('pod/p1 created');
    // Images are the mutable part of a pod spec; strategic merge keeps the other container.
    const changed = structuredClone(pod);
    (changed.spec.containers[1] as { image: string }).image = 'busybox:1.37';
    expect((await kubectl('apply', '-f', file('pod.yaml', changed))).stdout.trim()).toBe('pod/p1 configured');
    const images = await kubectl(
      'get',
      'pod',
      'p1',
      '-o',
      'jsonpath={.spec.containers[*].image} {.spec.containers[0].env[0].value}',
    );
    expect(images.stdout).toBe('busybox:1.36 busybox:1.37 1');
    // Unknown fields are refused (kubectl asks for fieldValidation=Strict).
    const typo = {
      ...pod,
      metadata: { name: 'typo' },
      spec: { containers: [{ name: 'main', imagee: 'busybox' }] },
    };
    const typoRes = await kubectl('apply', '-f', file('typo.yaml', typo));
    expect(typoRes.code).not.toBe(0);
    expect(typoRes.stderr).toContain(
      serverSideValidation
        ? 'strict decoding error: unknown field "spec.containers[0].imagee"'
        : // Without strict validation the unknown field is dropped, and the image is missing.
          'spec.containers[0].image: Required value',
    );
    // Like the apiserver, other pod spec changes are refused.
    const envChange = structuredClone(changed);
    // The pod written above has one container.
    envChange.spec.containers[0]!.env = [{ name: 'A', value: '2' }];
    const refused = await kubectl('apply', '-f', file('pod.yaml', envChange));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'pod updates may not change fields other than `spec.containers[*].image`',
    );
    const uid = (await kubectl('get', 'pod', 'p1', '-o', 'jsonpath={.metadata.uid}')).stdout;
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'p1.injected' },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: 'p1', namespace: 'default', uid },
      reason: 'Injected',
      message: 'chaos was here',
      type: 'Warning',
      count: 1,
    };
    expect((await kubectl('apply', '-f', file('event.yaml', event))).code).toBe(0);
    const described = await kubectl('describe', 'pod', 'p1');
    expect(described.stdout).toMatch(/Warning\s+Injected\s+.*chaos was here/);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/^Name:\s+p1$/m);
    expect(described.stdout).toMatch(/^Status:\s+Pending$/m);
    const describedCr = await kubectl('describe', 'widget', 'w1');
    expect(describedCr.stdout).toMatch(/^Kind:\s+Widget$/m);
    expect(describedCr.stdout).toMatch(/Size:\s+4/);
  });

  it('labels, annotates and patches (merge and json)', async () => {
    expect((await kubectl('label', 'widget', 'w1', 'tier=gold')).stdout.trim()).toBe(
      'widget.example.com/w1 labeled',
    );
    expect((await kubectl('annotate', 'pod', 'p1', 'note=hello')).stdout.trim()).toBe('pod/p1 annotated');
    // kubectl before 1.2x printed "labeled" for a removal too.
    expect((await kubectl('label', 'pod', 'p1', 'app-')).stdout.trim()).toMatch(/^pod\/p1 (un)?labeled$/);
    expect((await kubectl('get', 'wd', '-l', 'tier=gold', '-o', 'name')).stdout.trim()).toBe(
      'widget.example.com/w1',
    );
    expect(
      (await kubectl('get', 'pod', 'p1', '-o', 'jsonpath={.metadata.annotations.note}|{.metadata.labels}'))
        .stdout,
    ).toBe('hello|');
    expect(
      (await kubectl('patch', 'wd', 'w1', '--type', 'merge', '-p', '{"spec":{"size":7}}')).stdout.trim(),
    ).toBe('widget.example.com/w1 patched');
    expect(
      (
        await kubectl(
          'patch',
          'wd',
          'w1',
          '--type',
          'json',
          '-p',
          '[{"op":"replace","path":"/spec/color","value":"blue"}]',
        )
      ).code,
    ).toBe(0);
    expect((await kubectl('get', 'wd', 'w1', '-o', 'jsonpath={.spec.size} {.spec.color}')).stdout).toBe(
      '7 blue',
    );
    if (kubectlMinor >= 24) {
      // --subresource arrived in kubectl 1.24.
      const status = await kubectl(
        'patch',
        'wd',
        'w1',
        '--subresource',
        'status',
        '--type',
        'merge',
        '-p',
        '{"status":{"phase":"Ready"}}',
      );
      expect(status.code).toBe(0);
    } else {
      const res = await raw(
        emulator,
        'PATCH',
        '/apis/example.com/v1/namespaces/default/widgets/w1/status',
        '{"status":{"phase":"Ready"}}',
        { 'Content-Type': 'application/merge-patch+json' },
      );
      expect(res.status).toBe(200);
    }
    expect((await kubectl('get', 'wd', 'w1')).stdout).toMatch(/^w1\s+7\s+Ready\s*$/m);
  });

  it('get -w sees a change', async () => {
    const watcher = background('get', 'wd', 'w1', '-w', '-o', 'jsonpath={.spec.size}{"\\n"}');
    await eventually(() => watcher.out().includes('7'));
    await kubectl('patch', 'wd', 'w1', '--type', 'merge', '-p', '{"spec":{"size":9}}');
    await eventually(() => watcher.out().split('\n').includes('9'));
    watcher.child.kill('SIGTERM');
    await watcher.exited;
  });

  it('re-applies an EndpointSlice with a new port and a Node with a new taint (atomic lists)', async () => {
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.0.0.1'] }],
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    };
    expect((await kubectl('apply', '-f', file('slice.yaml', slice))).code).toBe(0);
    const moved = {
      ...slice,
      endpoints: [{ addresses: ['10.0.0.2'] }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    };
    const reapplied = await kubectl('apply', '-f', file('slice.yaml', moved));
    expect(reapplied.stderr).toBe('');
    expect(reapplied.stdout.trim()).toBe('endpointslice.discovery.k8s.io/web-abc configured');
    const ports = await kubectl(
      'get',
      'endpointslice',
      'web-abc',
      '-o',
      'jsonpath={.ports[*].port} {.endpoints[*].addresses[*]}',
    );
    expect(ports.stdout).toBe('8080 10.0.0.2');

    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'tainted' },
      spec: { taints: [{ key: 'a', value: '1', effect: 'NoSchedule' }] },
    };
    expect((await kubectl('apply', '-f', file('node.yaml', node))).code).toBe(0);
    const retainted = { ...node, spec: { taints: [{ key: 'b', value: '2', effect: 'NoExecute' }] } };
    expect((await kubectl('apply', '-f', file('node.yaml', retainted))).code).toBe(0);
    const taints = await kubectl('get', 'node', 'tainted', '-o', 'jsonpath={.spec.taints[*].key}');
    expect(taints.stdout).toBe('b');
    expect((await kubectl('delete', 'node', 'tainted')).code).toBe(0);
  });

  it('delete waits until the finalizer is removed; wait --for=delete returns then', async () => {
    await kubectl(
      'patch',
      'wd',
      'w1',
      '--type',
      'merge',
      '-p',
      '{"metadata":{"finalizers":["example.com/hold"]}}',
    );
    const deleting = background('delete', 'wd', 'w1', '--timeout=60s');
    await eventually(
      async () =>
        (await kubectl('get', 'wd', 'w1', '-o', 'jsonpath={.metadata.deletionTimestamp}')).stdout !== '',
    );
    const waiting = background('wait', '--for=delete', 'widget/w1', '--timeout=60s');
    // The object still exists (marked), so neither command can have finished.
    expect((await kubectl('get', 'wd', 'w1', '-o', 'name')).stdout.trim()).toBe('widget.example.com/w1');
    expect(deleting.child.exitCode).toBeNull();
    await kubectl(
      'patch',
      'wd',
      'w1',
      '--type',
      'json',
      '-p',
      '[{"op":"remove","path":"/metadata/finalizers"}]',
    );
    expect(await deleting.exited).toBe(0);
    expect(deleting.out()).toContain('widget.example.com "w1" deleted');
    expect(await waiting.exited).toBe(0);
    const gone = await kubectl('get', 'wd', 'w1');
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('widgets.example.com "w1" not found');
  });

  it('runs the typed commands that send protobuf, and the objects read back as created', async () => {
    const json = async (...args: string[]): Promise<any> => {
      const res = await kubectl('get', ...args, '-o', 'json');
      expect(res).toMatchObject({ code: 0, stderr: '' });
      return JSON.parse(res.stdout);
    };
    const ok = async (expected: string, ...args: string[]): Promise<void> => {
      const res = await kubectl(...args);
      expect(res).toMatchObject({ code: 0, stderr: '' });
      expect(res.stdout.trim()).toBe(expected);
    };
    await ok('namespace/typed created', 'create', 'namespace', 'typed');
    expect((await json('namespace', 'typed')).status).toEqual({ phase: 'Active' });
    await ok(
      'configmap/cfg created',
      'create',
      'configmap',
      'cfg',
      '-n',
      'typed',
      '--from-literal=a=b',
      '--from-literal=c=d',
    );
    expect((await json('configmap', 'cfg', '-n', 'typed')).data).toEqual({ a: 'b', c: 'd' });
    await ok(
      'secret/pw created',
      'create',
      'secret',
      'generic',
      'pw',
      '-n',
      'typed',
      '--from-literal=password=hunter2',
    );
    const secret = await json('secret', 'pw', '-n', 'typed');
    expect(secret.type).toBe('Opaque');
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('hunter2');
    await ok('serviceaccount/robot created', 'create', 'serviceaccount', 'robot', '-n', 'typed');
    expect((await json('serviceaccount', 'robot', '-n', 'typed')).metadata.name).toBe('robot');
    await ok(
      'deployment.apps/web created',
      'create',
      'deployment',
      'web',
      '-n',
      'typed',
      '--image=nginx:1.27',
      '--replicas=2',
    );
    const deployment = await json('deployment', 'web', '-n', 'typed');
    expect(deployment.spec).toMatchObject({
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
      },
    });
    await ok(
      'job.batch/once created',
      'create',
      'job',
      'once',
      '-n',
      'typed',
      '--image=busybox',
      '--',
      'echo',
      'hi',
    );
    const job = await json('job', 'once', '-n', 'typed');
    expect(job.spec.template.spec).toMatchObject({
      restartPolicy: 'Never',
      containers: [{ name: 'once', image: 'busybox', command: ['echo', 'hi'] }],
    });
    expect(job.spec.selector.matchLabels['batch.kubernetes.io/controller-uid']).toBe(job.metadata.uid);
    await ok(
      'pod/runner created',
      'run',
      'runner',
      '-n',
      'typed',
      '--image=busybox',
      '--restart=Never',
      '--labels=role=test',
      '--',
      'sleep',
      '60',
    );
    const pod = await json('pod', 'runner', '-n', 'typed');
    expect(pod.metadata.labels).toEqual({ role: 'test' });
    expect(pod.spec.containers[0]).toMatchObject({ image: 'busybox', args: ['sleep', '60'] });
    await ok('pod/runner labeled', 'label', 'pod', 'runner', '-n', 'typed', 'extra=yes');
    expect((await json('pod', 'runner', '-n', 'typed')).metadata.labels).toEqual({
      role: 'test',
      extra: 'yes',
    });
    await ok('deployment.apps/web scaled', 'scale', 'deployment', 'web', '-n', 'typed', '--replicas=4');
    expect((await json('deployment', 'web', '-n', 'typed')).spec.replicas).toBe(4);
    await ok(
      'deployment.apps/web scaled',
      'scale',
      'deployment',
      'web',
      '-n',
      'typed',
      '--current-replicas=4',
      '--replicas=1',
    );
    expect((await json('deployment', 'web', '-n', 'typed')).spec.replicas).toBe(1);
    expect(
      (
        await kubectl(
          'apply',
          '-f',
          file('worker.yaml', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker' } }),
        )
      ).code,
    ).toBe(0);
    await ok('node/worker cordoned', 'cordon', 'worker');
    expect((await json('node', 'worker')).spec.unschedulable).toBe(true);
    await ok('node/worker uncordoned', 'uncordon', 'worker');
    expect((await json('node', 'worker')).spec.unschedulable).toBeUndefined();
    expect((await kubectl('delete', 'namespace', 'typed', '--timeout=60s')).code).toBe(0);
    expect((await kubectl('delete', 'node', 'worker')).code).toBe(0);
  });

  it('deletes a namespace with its content', async () => {
    expect(
      (
        await kubectl(
          'apply',
          '-f',
          file('ns.yaml', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } }),
        )
      ).code,
    ).toBe(0);
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c1', namespace: 'doomed' },
      data: { a: 'b' },
    };
    expect((await kubectl('create', '-f', file('cm.yaml', cm))).code).toBe(0);
    const res = await kubectl('delete', 'namespace', 'doomed', '--timeout=60s');
    expect(res.code).toBe(0);
    expect((await kubectl('get', 'configmaps', '-n', 'doomed', '-o', 'name')).stdout.trim()).toBe('');
    expect((await kubectl('get', 'ns', 'doomed')).stderr).toContain('namespaces "doomed" not found');
  });
});

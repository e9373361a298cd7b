// SPDX-License-Identifier: Apache-2.0
// The install overlays of deploy/README (examples/install) with the real kubectl: each builds
// with `kubectl kustomize`, every object validates (kubernetes-models), and `kubectl apply -k`
// installs it on kube-emulator with RBAC enforced; `kubectl auth can-i` then answers for the
// operator's ServiceAccount as a cluster would: everywhere cluster-wide, in the target namespace
// only when namespace-scoped (nodes, namespaces and its CRDs still read cluster-wide). The
// target namespace is one value: changed, it moves everything. deploy/uninstall.sh removes each
// install, refuses chaos objects without a running operator and, with --remove-finalizers, takes
// only our finalizer off (the suite with a running operator is uninstall.system.test.ts).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { parseManifests, parseOperatorArgs } from '@chaosplane/operator';
import { describeIf, eventually, kubectlUnavailableReason } from '@chaosplane/testing';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const deploy = path.join(repo, 'deploy');
const overlays = path.join(repo, 'examples', 'install');
const OPERATOR = 'system:serviceaccount:chaosplane:chaosplane-operator';

interface Result {
  out: string;
  err: string;
  code: number;
}

/** A command's output and exit code, never a throw (can-i exits 1 for "no"). */
const exec = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Result> =>
  new Promise(resolve =>
    execFile(file, args, { timeout: 120_000, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({
        out: stdout,
        err: stderr,
        code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
      }),
    ),
  );

/** kubernetes-models' class for an object (as deployManifests.system.test.ts validates deploy/). */
async function validate(obj: KubernetesObject): Promise<void> {
  const module = (await import(`kubernetes-models/${obj.apiVersion}`)) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = module[obj.kind!];
  if (!Model) throw new Error(`kubernetes-models has no ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}

type Container = {
  name: string;
  image: string;
  args: string[];
  env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
};
type RoleBinding = KubernetesObject & {
  roleRef: { kind: string; name: string };
  subjects: Array<{ kind: string; name: string; namespace: string }>;
};

const id = (o: KubernetesObject) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
const operatorContainer = (objects: KubernetesObject[]): Container =>
  (
    objects.find(o => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: Container[] } } };
    }
  ).spec.template.spec.containers.find(c => c.name === 'operator')!;

describeIf(kubectlUnavailableReason(27, 'the install overlays (kustomize v5: Components, replacements)'))(
  'install overlays and deploy/uninstall.sh (kubectl, kube-emulator)',
  () => {
    let dir: string;
    let emulator: KubeEmulator;
    let env: NodeJS.ProcessEnv;

    const kubectl = (...args: string[]) => exec('kubectl', args, env);
    const ok = async (...args: string[]): Promise<string> => {
      const result = await kubectl(...args);
      expect({ args, code: result.code, err: result.code === 0 ? '' : result.err }).toEqual({
        args,
        code: 0,
        err: '',
      });
      return result.out;
    };
    const build = async (kustomization: string): Promise<KubernetesObject[]> =>
      parseManifests(await ok('kustomize', kustomization));
    const uninstall = (...args: string[]) => exec('bash', [path.join(deploy, 'uninstall.sh'), ...args], env);
    /** can-i as the operator's ServiceAccount: 'yes' or 'no'. */
    const canI = async (...args: string[]) =>
      (await kubectl('auth', 'can-i', `--as=${OPERATOR}`, ...args)).out.trim();
    const chaosCrds = async () =>
      (await ok('get', 'crd', '-o', 'name')).split('\n').filter(line => line.endsWith('.chaos-mesh.org'));

    /** What a platform engineer does first: the namespace and the certificates' Secrets. */
    async function prepare(): Promise<void> {
      await ok('apply', '-f', path.join(deploy, 'namespace.yaml'));
      const certs = await exec('bash', [path.join(deploy, 'certs', 'generate.sh'), path.join(dir, 'certs')]);
      expect(certs.code).toBe(0);
      await writeFile(path.join(dir, 'secrets.yaml'), certs.out);
      await ok('apply', '-f', path.join(dir, 'secrets.yaml'));
    }

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'cp-install-'));
      emulator = await startKubeEmulator({ kubeconfigPath: path.join(dir, 'kubeconfig') });
      env = { ...process.env, KUBECONFIG: emulator.kubeconfigPath, KUBECACHEDIR: path.join(dir, 'cache') };
    }, 60_000);

    afterAll(async () => {
      await emulator?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('builds each overlay with kubectl kustomize; every object validates; cluster-wide is deploy/ with the image pinned', async () => {
      const base = await build(deploy);
      const clusterWide = await build(path.join(overlays, 'cluster-wide'));
      const scoped = await build(path.join(overlays, 'namespace-scoped'));
      for (const obj of [...clusterWide, ...scoped]) await expect(validate(obj)).resolves.toBeUndefined();
      // The check above means something: a broken object fails it.
      const broken = structuredClone(clusterWide.find(o => o.kind === 'Deployment')!) as unknown as {
        spec: { replicas: unknown };
      };
      broken.spec.replicas = 'two';
      await expect(validate(broken as unknown as KubernetesObject)).rejects.toThrow(/replicas/);

      expect(clusterWide).toEqual(base);
      expect(operatorContainer(clusterWide).image).toBe('ghcr.io/chaosplane/chaosplane:0.1.0');
      // Namespace-scoped: the same objects but three, and the local-config ConfigMap never in the output.
      const differs = (a: KubernetesObject[], b: KubernetesObject[]) =>
        a.filter(x => !b.some(y => JSON.stringify(y) === JSON.stringify(x))).map(id);
      expect(differs(clusterWide, scoped)).toEqual([
        'ClusterRoleBinding//chaosplane-operator',
        'Deployment/chaosplane/chaosplane-operator',
      ]);
      expect(differs(scoped, clusterWide)).toEqual([
        'RoleBinding/team-a/chaosplane-operator-target',
        'Deployment/chaosplane/chaosplane-operator',
      ]);
      const binding = scoped.find(
        o => id(o) === 'RoleBinding/team-a/chaosplane-operator-target',
      ) as RoleBinding;
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'chaosplane-operator',
      });
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'chaosplane-operator', namespace: 'chaosplane' },
      ]);
      expect(scoped.map(id)).toEqual(
        expect.arrayContaining([
          'ClusterRoleBinding//chaosplane-operator-cluster-level',
          'ClusterRoleBinding//chaosplane-operator-crds',
        ]),
      );
      expect(scoped.filter(o => o.kind === 'ConfigMap')).toEqual([]);
    });

    it('runs the namespace-scoped operator with --target-namespace (its environment form), as chaosplane-operator parses it', async () => {
      const container = operatorContainer(await build(path.join(overlays, 'namespace-scoped')));
      // The container's command line and environment, as the kubelet gives them; the TLS files
      // are read at parse time, so they point at files that exist here.
      const tls = path.join(dir, 'tls');
      await mkdir(tls, { recursive: true });
      for (const file of ['ca.crt', 'tls.crt', 'tls.key']) await writeFile(path.join(tls, file), 'pem');
      const podEnv: NodeJS.ProcessEnv = { POD_NAMESPACE: 'chaosplane' };
      for (const e of container.env) if (e.value !== undefined) podEnv[e.name] = e.value;
      const args = container.args.map(a =>
        a.replace('$(POD_NAMESPACE)', 'chaosplane').replace('/etc/chaosplane/tls', tls),
      );
      const options = await parseOperatorArgs(args, podEnv);
      expect(options.selection.targetNamespace).toBe('team-a');
      expect(options.namespace).toBe('chaosplane');
      // And cluster-wide it has none.
      const wide = operatorContainer(await build(path.join(overlays, 'cluster-wide')));
      expect(wide.env.map(e => e.name)).not.toContain('CHAOSPLANE_TARGET_NAMESPACE');
    });

    it('takes the target namespace from one value: changed there, nothing names the old one', async () => {
      // A copy of the overlay with one literal changed (its paths made relative to where it lives).
      const copy = path.join(dir, 'team-b');
      await mkdir(copy, { recursive: true });
      const text = await readFile(path.join(overlays, 'namespace-scoped', 'kustomization.yaml'), 'utf8');
      const edited = text
        .replaceAll('../../../deploy', path.relative(copy, deploy))
        .replace('targetNamespace=team-a', 'targetNamespace=team-b');
      expect(edited).not.toBe(text);
      await writeFile(path.join(copy, 'kustomization.yaml'), edited);
      const yaml = await ok('kustomize', copy);
      expect(yaml).not.toContain('team-a');
      const objects = parseManifests(yaml);
      expect(objects.map(id)).toContain('RoleBinding/team-b/chaosplane-operator-target');
      expect(operatorContainer(objects).env).toContainEqual({
        name: 'CHAOSPLANE_TARGET_NAMESPACE',
        value: 'team-b',
      });
    });

    it('pins the image of both workloads in the overlay', async () => {
      const copy = path.join(dir, 'pinned');
      await mkdir(copy, { recursive: true });
      const text = await readFile(path.join(overlays, 'cluster-wide', 'kustomization.yaml'), 'utf8');
      const digest = `sha256:${'ab'.repeat(32)}`;
      const edited = text
        .replaceAll('../../../deploy', path.relative(copy, deploy))
        .replace('newName: ghcr.io/chaosplane/chaosplane', 'newName: registry.example/chaos/chaosplane')
        .replace('newTag: 0.1.0', `digest: ${digest}`);
      await writeFile(path.join(copy, 'kustomization.yaml'), edited);
      const objects = await build(copy);
      type Workload = {
        kind: string;
        spec: { template: { spec: { containers: Array<{ image: string }> } } };
      };
      const images = objects
        .filter(o => o.kind === 'Deployment' || o.kind === 'DaemonSet')
        .map(o => [o.kind, (o as unknown as Workload).spec.template.spec.containers.map(c => c.image)]);
      expect(images).toEqual([
        ['Deployment', [`registry.example/chaos/chaosplane@${digest}`]],
        ['DaemonSet', [`registry.example/chaos/chaosplane@${digest}`]],
      ]);
    });

    it('cluster-wide: kubectl apply -k installs it; the operator may act in every namespace; the upgrade re-applies; uninstall.sh removes it all', async () => {
      await prepare();
      const applied = await ok('apply', '-k', path.join(overlays, 'cluster-wide'));
      expect(applied).toContain('clusterrolebinding.rbac.authorization.k8s.io/chaosplane-operator created');
      expect(applied).toContain('deployment.apps/chaosplane-operator created');
      expect(await ok('apply', '-k', path.join(overlays, 'cluster-wide'))).not.toMatch(/ created$/m);
      await eventually(
        async () => ((await canI('delete', 'pods', '-n', 'anywhere')) === 'yes' ? true : undefined),
        {
          what: 'chaosplane-operator aggregated',
        },
      );
      expect(await canI('list', 'podchaos.chaos-mesh.org', '--all-namespaces')).toBe('yes');
      expect(await canI('list', 'nodes')).toBe('yes');

      // The upgrade of deploy/README: the CRDs server-side first, then the rest.
      const crds = await ok('apply', '--server-side', '--force-conflicts', '-f', path.join(deploy, 'crds'));
      expect(crds.match(/^customresourcedefinition\.\S+ serverside-applied$/gm)).toHaveLength(8);
      // deploy/crds also holds the namespace-defaulting warning policy and its binding.
      expect(crds.match(/^validatingadmissionpolicy(binding)?\.\S+ serverside-applied$/gm)).toHaveLength(2);
      expect(await ok('apply', '-k', path.join(overlays, 'cluster-wide'))).not.toMatch(/ created$/m);

      const removed = await uninstall('-k', path.join(overlays, 'cluster-wide'));
      expect({ code: removed.code, err: removed.err }).toEqual({ code: 0, err: '' });
      expect(removed.out).toContain('uninstall: 8 chaos kinds served, 0 objects of them');
      expect(await chaosCrds()).toEqual([]);
      expect(await ok('get', 'clusterrolebindings', '-o', 'name')).not.toContain('chaosplane');
      expect(await ok('get', 'namespaces', '-o', 'name')).not.toContain('namespace/chaosplane');
      expect(
        await ok('get', 'validatingadmissionpolicies,validatingadmissionpolicybindings', '-o', 'name'),
      ).not.toContain('chaosplane');
    }, 120_000);

    it('namespace-scoped: kubectl apply -k installs it; the operator acts in the target namespace only, and reads nodes, namespaces and its CRDs', async () => {
      await ok('create', 'namespace', 'team-a');
      await eventually(
        async () => ((await kubectl('get', 'namespace', 'chaosplane')).code !== 0 ? true : undefined),
        { what: 'namespace chaosplane gone' },
      );
      await prepare();
      const applied = await ok('apply', '-k', path.join(overlays, 'namespace-scoped'));
      expect(applied).toContain('rolebinding.rbac.authorization.k8s.io/chaosplane-operator-target created');
      expect(applied).not.toContain(
        'clusterrolebinding.rbac.authorization.k8s.io/chaosplane-operator created',
      );
      await eventually(
        async () => ((await canI('delete', 'pods', '-n', 'team-a')) === 'yes' ? true : undefined),
        { what: 'chaosplane-operator aggregated' },
      );
      const cases: Array<[string[], 'yes' | 'no']> = [
        [['delete', 'pods', '-n', 'team-a'], 'yes'],
        [['patch', 'pods', '-n', 'team-a'], 'yes'],
        [['list', 'podchaos.chaos-mesh.org', '-n', 'team-a'], 'yes'],
        [['update', 'podchaos.chaos-mesh.org', '--subresource=status', '-n', 'team-a'], 'yes'],
        [['create', 'workflows.chaos-mesh.org', '-n', 'team-a'], 'yes'],
        [['create', 'events', '-n', 'team-a'], 'yes'],
        [['list', 'pods', '-n', 'default'], 'no'],
        [['delete', 'pods', '-n', 'default'], 'no'],
        [['list', 'pods', '--all-namespaces'], 'no'],
        [['list', 'podchaos.chaos-mesh.org', '--all-namespaces'], 'no'],
        [['create', 'events', '-n', 'default'], 'no'],
        [['list', 'nodes'], 'yes'],
        [['watch', 'namespaces'], 'yes'],
        [['get', 'customresourcedefinitions/podchaos.chaos-mesh.org'], 'yes'],
        [['update', 'leases.coordination.k8s.io', '-n', 'chaosplane'], 'yes'],
        [['list', 'endpointslices.discovery.k8s.io', '-n', 'chaosplane'], 'yes'],
      ];
      const answers: Array<[string, string]> = [];
      for (const [args] of cases) answers.push([args.join(' '), await canI(...args)]);
      expect(answers).toEqual(cases.map(([args, answer]) => [args.join(' '), answer]));
    }, 120_000);

    it('uninstall.sh with a chaos object and no operator: refuses and deletes nothing; --remove-finalizers takes only chaos-mesh/records off, names the fault left, then removes everything', async () => {
      const object = path.join(dir, 'hello.yaml');
      await writeFile(
        object,
        'apiVersion: chaos-mesh.org/v1alpha1\nkind: HelloWorldChaos\n' +
          'metadata: {name: hello, namespace: team-a, finalizers: [example.com/keep, chaos-mesh/records]}\n' +
          'spec: {selector: {namespaces: [team-a]}, mode: all, duration: 1h}\n',
      );
      await ok('apply', '-f', object);
      // The status an operator leaves when it dies with the fault injected.
      await ok(
        'patch',
        'helloworldchaos',
        '-n',
        'team-a',
        'hello',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({
          status: {
            experiment: {
              containerRecords: [
                {
                  id: 'team-a/web-0/main',
                  selectorKey: '.',
                  phase: 'Injected',
                  injectedCount: 1,
                  recoveredCount: 0,
                },
              ],
            },
          },
        }),
      );
      const scoped = path.join(overlays, 'namespace-scoped');
      const refused = await uninstall('-k', scoped);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain(
        'uninstall: 1 chaos objects exist, but no operator renews the Lease chaosplane/chaosplane-operator.',
      );
      expect(refused.err).toContain('Nothing was deleted.');
      expect(
        await ok(
          'get',
          'helloworldchaos',
          '-n',
          'team-a',
          'hello',
          '-o',
          'jsonpath={.metadata.deletionTimestamp}',
        ),
      ).toBe('');
      expect(await chaosCrds()).toHaveLength(8);

      // Another controller's finalizer stays: the object cannot go, so the installation is kept.
      const stuck = await uninstall('-k', scoped, '--remove-finalizers', '--timeout=3s');
      expect(stuck.code).toBe(1);
      expect(stuck.err).toContain(
        'NOT RECOVERED: HelloWorldChaos.chaos-mesh.org team-a/hello record team-a/web-0/main (Injected)',
      );
      expect(
        await ok('get', 'helloworldchaos', '-n', 'team-a', 'hello', '-o', 'jsonpath={.metadata.finalizers}'),
      ).toBe('["example.com/keep"]');
      expect(await chaosCrds()).toHaveLength(8);

      await ok(
        'patch',
        'helloworldchaos',
        '-n',
        'team-a',
        'hello',
        '--type=json',
        '-p',
        '[{"op":"remove","path":"/metadata/finalizers"}]',
      );
      const removed = await uninstall('-k', scoped, '--remove-finalizers');
      expect({ code: removed.code, err: removed.err }).toEqual({ code: 0, err: '' });
      expect(await chaosCrds()).toEqual([]);
      expect(await ok('get', 'rolebindings', '-n', 'team-a', '-o', 'name')).toBe('');
      expect(await ok('get', 'clusterrolebindings', '-o', 'name')).not.toContain('chaosplane');
    }, 120_000);
  },
);

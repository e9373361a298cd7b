// SPDX-License-Identifier: Apache-2.0
// Every manifest in deploy/ validates against the Kubernetes schemas (kubernetes-models), the
// CRDs are the ones the bundled plugins generate, and the security posture is what the docs say.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  generateCrd,
  generateNamespaceDefaultingPolicy,
  generateOperatorRbac,
  pluginAccessRole,
} from '@chaosplane/engine';
import { parse } from 'yaml';
import { loadPlugins } from '@chaosplane/service';
import { startKubeEmulator } from '@chaosplane/kube-emulator';
import { BUNDLED_PLUGINS, parseManifests } from '@chaosplane/operator';
import { ORCHESTRATION_PLURALS } from '@chaosplane/orchestration';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const deploy = path.join(repo, 'deploy');

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries.map(entry => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return yamlFiles(full);
      return Promise.resolve(
        entry.name.endsWith('.yaml') && entry.name !== 'kustomization.yaml' ? [full] : [],
      );
    }),
  );
  return files.flat();
}

/** kubernetes-models' module for an apiVersion: `v1` → `kubernetes-models/v1`, `apps/v1` → `kubernetes-models/apps/v1`. */
async function modelFor(obj: KubernetesObject): Promise<{ validate(): void }> {
  const module = (await import(`kubernetes-models/${obj.apiVersion}`)) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = module[obj.kind!];
  if (!Model) throw new Error(`kubernetes-models has no ${obj.apiVersion} ${obj.kind}`);
  return new Model(obj);
}

async function allManifests(): Promise<Array<{ file: string; obj: KubernetesObject }>> {
  const out: Array<{ file: string; obj: KubernetesObject }> = [];
  for (const file of await yamlFiles(deploy)) {
    for (const obj of parseManifests(await readFile(file, 'utf8')))
      out.push({ file: path.relative(repo, file), obj });
  }
  return out;
}

describe('deploy/ manifests', () => {
  it('each validates against the Kubernetes schema of its kind', async () => {
    const manifests = await allManifests();
    expect(manifests.length).toBeGreaterThanOrEqual(12);
    for (const { file, obj } of manifests) {
      const model = await modelFor(obj);
      expect(() => model.validate()).not.toThrow();
      expect({ file, kind: obj.kind, name: obj.metadata?.name }).toMatchObject({ name: expect.any(String) });
    }
  });

  it('would catch a broken manifest (so the check above means something)', async () => {
    const manifests = await allManifests();
    const deployment = structuredClone(manifests.find(m => m.obj.kind === 'Deployment')!.obj) as unknown as {
      spec: { replicas: unknown };
    };
    deployment.spec.replicas = 'two';
    const model = await modelFor(deployment as unknown as KubernetesObject);
    expect(() => model.validate()).toThrow(/replicas/);
  });

  it('passes the daemon only flags chaosplane-daemon has', async () => {
    const manifests = await allManifests();
    const daemonSet = manifests.find(m => m.obj.kind === 'DaemonSet')!.obj as unknown as {
      spec: { template: { spec: { containers: Array<{ args: string[] }> } } };
    };
    // The built binary's own help is the list of what it accepts (CI builds before testing).
    const { stdout: help } = await run(process.execPath, [
      path.join(repo, 'packages/daemon/dist/cli/main.js'),
      '--help',
    ]);
    for (const arg of daemonSet.spec.template.spec.containers[0]!.args) {
      const flag = arg.split('=')[0]!;
      expect(help).toContain(`${flag} `);
    }
  });

  it('holds the generated CRD of every bundled plugin, unchanged', async () => {
    const manifests = await allManifests();
    const crds = manifests.filter(m => m.obj.kind === 'CustomResourceDefinition').map(m => m.obj);
    const plugins = await loadPlugins(BUNDLED_PLUGINS, { from: repo });
    for (const plugin of plugins) {
      const expected = JSON.parse(JSON.stringify(generateCrd(plugin.kind))) as KubernetesObject;
      expect(crds).toContainEqual(expected);
    }
  });

  it('holds the generated namespace-defaulting warning policy and its binding, unchanged, in the kustomization', async () => {
    const manifests = await allManifests();
    const plugins = await loadPlugins(BUNDLED_PLUGINS, { from: repo });
    const generated = generateNamespaceDefaultingPolicy(plugins.map(p => p.kind))!;
    const file = 'crds/admissionregistration.k8s.io_chaosplane-namespace-defaulting.yaml';
    const inFile = manifests.filter(m => m.file === path.join('deploy', file)).map(m => m.obj);
    expect(inFile).toEqual(JSON.parse(JSON.stringify([generated.policy, generated.binding])));
    expect(generated.binding.spec.validationActions).toEqual(['Warn']);
    const kustomized = parse(await readFile(path.join(deploy, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
    };
    expect(kustomized.resources).toContain(file);
  });

  it('grants the chaos kinds by name, as generated from the bundled plugins: no wildcard, no unnamed CRD write', async () => {
    const manifests = await allManifests();
    const plugins = await loadPlugins(BUNDLED_PLUGINS, { from: repo });
    // The start-up check reads and --install-crds installs the orchestration CRDs too, by name.
    const generated = generateOperatorRbac(
      plugins.map(p => p.kind),
      {
        extraCrds: ORCHESTRATION_PLURALS.map(plural => `${plural}.chaos-mesh.org`),
      },
    );
    const role = (name: string) =>
      manifests.find(m => m.obj.kind === 'ClusterRole' && m.obj.metadata?.name === name);
    expect(role('chaosplane-operator-chaos-kinds')?.obj).toEqual(JSON.parse(JSON.stringify(generated.kinds)));
    expect(role('chaosplane-operator-crds')?.obj).toEqual(JSON.parse(JSON.stringify(generated.readCrds)));
    expect(
      (role('chaosplane-operator-crds')?.obj as unknown as { rules: { resourceNames: string[] }[] }).rules[0]!
        .resourceNames,
    ).toContain('schedules.chaos-mesh.org');
    expect(role('chaosplane-operator-install-crds')?.obj).toEqual(
      JSON.parse(JSON.stringify(generated.installCrds)),
    );
    // What a plugin declared in operatorAccess is its own role (PodChaos's only, of the bundled).
    const access = plugins.flatMap(p => {
      const declared = pluginAccessRole(p.kind, p.operatorAccess);
      return declared === undefined ? [] : [declared];
    });
    expect(access.map(r => r.metadata.name)).toEqual(['chaosplane-operator-podchaos']);
    expect(role('chaosplane-operator-podchaos')?.obj).toEqual(JSON.parse(JSON.stringify(access[0])));
    type Rule = { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] };
    const kustomized = parse(await readFile(path.join(deploy, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
    };
    const applied = manifests.filter(m =>
      kustomized.resources.includes(path.relative(deploy, path.join(repo, m.file))),
    );
    const rules = applied.flatMap(m => (m.obj as unknown as { rules?: Rule[] }).rules ?? []);
    // Every kind by name; nothing for kinds that are not loaded (Chaos Mesh's other thirteen).
    expect(
      rules
        .filter(r => r.apiGroups.includes('chaos-mesh.org'))
        .flatMap(r => r.resources)
        .sort(),
    ).toEqual(
      [
        // The chaos kinds' own role, then the orchestration's (create and delete by name).
        ...['helloworldchaos', 'networkchaos', 'podchaos', 'stresschaos'].flatMap(p => [p, `${p}/status`, p]),
        ...ORCHESTRATION_PLURALS.flatMap(p => [p, `${p}/status`]),
      ].sort(),
    );
    expect(rules.some(r => r.resources.some(resource => resource.includes('*')))).toBe(false);
    const crdRules = rules.filter(r => r.apiGroups.includes('apiextensions.k8s.io'));
    expect(crdRules).toEqual([
      {
        apiGroups: ['apiextensions.k8s.io'],
        resources: ['customresourcedefinitions'],
        // The start-up check reads the orchestration kinds' CRDs too.
        resourceNames: [
          'helloworldchaos.chaos-mesh.org',
          'networkchaos.chaos-mesh.org',
          'podchaos.chaos-mesh.org',
          'schedules.chaos-mesh.org',
          'statuschecks.chaos-mesh.org',
          'stresschaos.chaos-mesh.org',
          'workflownodes.chaos-mesh.org',
          'workflows.chaos-mesh.org',
        ],
        verbs: ['get'],
      },
    ]);
    // --install-crds is an optional role, left out of the kustomization.
    expect(kustomized.resources).not.toContain('rbac/install-crds.yaml');
    // It installs the warning policy too: create cannot be narrowed by name, the rest is by name.
    const installRules = (
      role('chaosplane-operator-install-crds')!.obj as unknown as { rules: Rule[] }
    ).rules.filter(r => r.apiGroups.includes('admissionregistration.k8s.io'));
    const policyResources = ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'];
    expect(installRules).toEqual([
      { apiGroups: ['admissionregistration.k8s.io'], resources: policyResources, verbs: ['create'] },
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: policyResources,
        resourceNames: ['chaosplane-namespace-defaulting'],
        verbs: ['get', 'update'],
      },
    ]);
    // No role in the kustomization touches admission policies.
    expect(rules.filter(r => r.apiGroups.includes('admissionregistration.k8s.io'))).toEqual([]);
  });

  it('runs the daemon with hostPID and eight capabilities (NET_ADMIN and NET_RAW for NetworkChaos), never privileged', async () => {
    const manifests = await allManifests();
    const daemonSet = manifests.find(m => m.obj.kind === 'DaemonSet')!.obj as unknown as {
      spec: {
        template: {
          spec: { hostPID: boolean; containers: Array<{ securityContext: Record<string, unknown> }> };
        };
      };
    };
    const pod = daemonSet.spec.template.spec;
    expect(pod.hostPID).toBe(true);
    const security = pod.containers[0]!.securityContext as {
      privileged?: boolean;
      capabilities: { drop: string[]; add: string[] };
    };
    expect(security.privileged).toBeUndefined();
    expect(security.capabilities.drop).toEqual(['ALL']);
    expect([...security.capabilities.add].sort()).toEqual([
      'KILL',
      'NET_ADMIN',
      'NET_RAW',
      'SETGID',
      'SETUID',
      'SYS_ADMIN',
      'SYS_CHROOT',
      'SYS_PTRACE',
    ]);
    // What each bundled plugin's daemon handler declares it needs is in the list.
    const plugins = await loadPlugins(BUNDLED_PLUGINS, { from: repo });
    const declared = plugins.flatMap(p => p.daemon?.capabilities ?? []);
    expect(declared).toContain('NET_ADMIN');
    expect(declared.filter(c => !security.capabilities.add.includes(c))).toEqual([]);
  });

  it('gives the operator pod delete and patch only through the PodChaos role, and the daemon no API access at all', async () => {
    const manifests = await allManifests();
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
    const roles = manifests.filter(m => m.obj.kind === 'ClusterRole' || m.obj.kind === 'Role');
    const rulesOf = (m: (typeof roles)[number]) => (m.obj as unknown as { rules?: Rule[] }).rules ?? [];
    const rules = roles.flatMap(rulesOf);
    const podVerbs = (list: Rule[]) =>
      list
        .filter(r => r.apiGroups.includes('') && r.resources.includes('pods'))
        .flatMap(r => r.verbs)
        .sort();
    // Every role but PodChaos's and the orchestration's only reads pods; PodChaos's adds exactly
    // delete (pod-kill) and patch (pod-failure), the orchestration's exactly create (a workflow's
    // Task pods), and both aggregate into the operator's ClusterRole.
    const podChaosRole = roles.find(m => m.obj.metadata?.name === 'chaosplane-operator-podchaos')!;
    expect(podChaosRole.file).toBe(path.join('deploy', 'rbac', 'podchaos.yaml'));
    expect(podChaosRole.obj.metadata?.labels?.['rbac.chaosplane.io/aggregate-to-operator']).toBe('true');
    expect(podVerbs(rulesOf(podChaosRole))).toEqual(['delete', 'patch']);
    const orchestrationRole = roles.find(m => m.obj.metadata?.name === 'chaosplane-operator-orchestration')!;
    expect(orchestrationRole.file).toBe(path.join('deploy', 'rbac', 'orchestration.yaml'));
    expect(orchestrationRole.obj.metadata?.labels?.['rbac.chaosplane.io/aggregate-to-operator']).toBe('true');
    expect(podVerbs(rulesOf(orchestrationRole))).toEqual(['create']);
    expect(
      podVerbs(roles.filter(m => m !== podChaosRole && m !== orchestrationRole).flatMap(rulesOf)),
    ).toEqual(['get', 'list', 'watch']);
    expect(podVerbs(rules)).toEqual(['create', 'delete', 'get', 'list', 'patch', 'watch']);
    expect(rules.some(r => r.verbs.includes('*') || r.resources.includes('secrets'))).toBe(false);
    const daemonAccount = manifests.find(
      m => m.obj.kind === 'ServiceAccount' && m.obj.metadata?.name === 'chaosplane-daemon',
    )!.obj as unknown as { automountServiceAccountToken: boolean };
    expect(daemonAccount.automountServiceAccountToken).toBe(false);
  });

  it('reads nodes and namespaces at cluster level through one role of exactly that, even for one target namespace', async () => {
    const manifests = await allManifests();
    type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
    const rulesOf = (m: (typeof manifests)[number]) => (m.obj as unknown as { rules?: Rule[] }).rules ?? [];
    const grantsNodesOrNamespaces = manifests.filter(
      m =>
        (m.obj.kind === 'ClusterRole' || m.obj.kind === 'Role') &&
        rulesOf(m).some(r => r.resources.includes('nodes') || r.resources.includes('namespaces')),
    );
    expect(grantsNodesOrNamespaces.map(m => `${m.obj.kind}/${m.obj.metadata?.name}`)).toEqual([
      'ClusterRole/chaosplane-operator-cluster-level',
    ]);
    const clusterLevel = grantsNodesOrNamespaces[0]!;
    expect(rulesOf(clusterLevel)).toEqual([
      { apiGroups: [''], resources: ['nodes', 'namespaces'], verbs: ['get', 'list', 'watch'] },
    ]);
    // Not aggregated into chaosplane-operator: binding that one in a single namespace (namespace-
    // scoped mode) leaves this cluster-wide binding in place.
    expect(clusterLevel.obj.metadata?.labels?.['rbac.chaosplane.io/aggregate-to-operator']).toBeUndefined();
    const binding = manifests.find(
      m =>
        m.obj.kind === 'ClusterRoleBinding' &&
        (m.obj as unknown as { roleRef: { name: string } }).roleRef.name ===
          'chaosplane-operator-cluster-level',
    )!.obj as unknown as { subjects: Array<{ kind: string; name: string; namespace: string }> };
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'chaosplane-operator', namespace: 'chaosplane' },
    ]);
  });

  it('applies to kube-emulator with kubectl, certificates included', async () => {
    const emulator = await startKubeEmulator();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cp-deploy-'));
    const kubectl = (...args: string[]) =>
      run(
        'kubectl',
        ['--kubeconfig', emulator.kubeconfigPath, '--cache-dir', path.join(dir, 'cache'), ...args],
        {
          timeout: 60_000,
        },
      ).then(r => r.stdout);
    try {
      await kubectl('apply', '-f', path.join(deploy, 'namespace.yaml'));
      const { stdout: secrets } = await run('bash', [
        path.join(deploy, 'certs/generate.sh'),
        path.join(dir, 'certs'),
      ]);
      await writeFile(path.join(dir, 'secrets.yaml'), secrets);
      expect(await kubectl('apply', '-f', path.join(dir, 'secrets.yaml'))).toContain(
        'secret/chaosplane-daemon-tls created',
      );
      const applied = await kubectl('apply', '-k', deploy);
      for (const line of [
        'customresourcedefinition.apiextensions.k8s.io/helloworldchaos.chaos-mesh.org created',
        'clusterrole.rbac.authorization.k8s.io/chaosplane-operator created',
        'deployment.apps/chaosplane-operator created',
        'daemonset.apps/chaosplane-daemon created',
        'service/chaosplane-daemon created',
        'validatingadmissionpolicy.admissionregistration.k8s.io/chaosplane-namespace-defaulting created',
        'validatingadmissionpolicybinding.admissionregistration.k8s.io/chaosplane-namespace-defaulting created',
      ]) {
        expect(applied).toContain(line);
      }
      // The CRDs are served at once: a HelloWorldChaos from the examples applies.
      await kubectl('apply', '-f', path.join(repo, 'examples/busybox.yaml'));
      expect(await kubectl('apply', '-f', path.join(repo, 'examples/helloworld.yaml'))).toContain('created');
      // Applying again creates nothing new.
      expect(await kubectl('apply', '-k', deploy)).not.toMatch(/ created$/m);
    } finally {
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

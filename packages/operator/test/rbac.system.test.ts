// SPDX-License-Identifier: Apache-2.0
// The operator under RBAC, as in a cluster: kube-emulator enforces RBAC, deploy/crds and the
// RBAC files of deploy/kustomization.yaml are applied with kubectl as they ship, and the real
// chaosplane-operator binary runs as a host process with a kubeconfig holding a token of its
// ServiceAccount (with leader election, as deploy/operator.yaml runs it). Pods are real
// containerd containers (the dev kubelet) and the daemon is reached over mTLS. Shown: the
// shipped roles suffice for every bundled kind cluster-wide (HelloWorldChaos, PodChaos's
// pod-failure, pod-kill and container-kill, StressChaos, NetworkChaos, and a Workflow whose Task
// pod's log picks the chaos to create), and in --target-namespace mode (the RoleBinding of
// deploy/README); a rule taken out of the operator's role fails with the apiserver's 403 on the
// chaos object, naming the rule to grant; a ClusterRole binding taken away leaves the operator
// unready with the 403 in its log; the daemon's ServiceAccount is refused everything.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { podNetworkUnavailableReason, startDevControlPlane, type DevControlPlane } from '@chaosplane/dev';
import { createSilentLogger } from '@chaosplane/service';
import { describeIf, eventually, testKitUnavailableReason } from '@chaosplane/testing';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const deploy = path.join(repo, 'deploy');
const binary = path.join(repo, 'packages/operator/dist/cli/operator.js');
const OPERATOR_USER = 'system:serviceaccount:chaosplane:chaosplane-operator';
const PLUGINS = [
  '@chaosplane/experiment-helloworld',
  '@chaosplane/experiment-podchaos',
  '@chaosplane/experiment-networkchaos',
  '@chaosplane/experiment-stresschaos',
];

interface OperatorProcess {
  lines: Array<Record<string, unknown>>;
  address(): Promise<string>;
  stop(): Promise<void>;
}

/** The bundled chaos kinds, by plural (what kubectl get takes). */
type ChaosPlural = 'helloworldchaos' | 'podchaos' | 'networkchaos' | 'stresschaos';

/** Why StressChaos or NetworkChaos cannot run here, if they cannot. */
function stressOrNetworkUnavailableReason(): string | undefined {
  if (!['/usr/bin', '/usr/local/bin', '/bin'].some(dir => existsSync(`${dir}/stress-ng`)))
    return 'stress-ng is not installed (Debian package stress-ng; scripts/install-system-deps.sh)';
  return podNetworkUnavailableReason();
}

interface Chaos {
  metadata: { name: string };
  status?: { experiment?: { containerRecords?: Array<{ id: string; phase: string }> } };
}

describeIf(testKitUnavailableReason())(
  'the operator under RBAC: shipped roles, a missing rule, the daemon',
  () => {
    let dir: string;
    let plane: DevControlPlane;
    let saKubeconfig: string;
    const stop = new AbortController();
    let current: OperatorProcess | undefined;

    const kubectl = async (args: string[], kubeconfig = plane.kubeconfigPath): Promise<string> =>
      (
        await run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache'), ...args], {
          timeout: 60_000,
        })
      ).stdout;
    /** kubectl that may fail: its output and exit code. */
    const kubectlResult = async (
      args: string[],
      kubeconfig: string,
    ): Promise<{ out: string; code: number }> => {
      try {
        return { out: await kubectl(args, kubeconfig), code: 0 };
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; code?: number };
        return { out: `${e.stdout ?? ''}${e.stderr ?? ''}`, code: e.code ?? 1 };
      }
    };
    const apply = async (yaml: string): Promise<string> => {
      const file = path.join(dir, `m-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
      await writeFile(file, yaml);
      return kubectl(['apply', '-f', file]);
    };

    function startOperator(extraArgs: string[] = []): OperatorProcess {
      const child: ChildProcess = spawn(
        process.execPath,
        [
          binary,
          `--kubeconfig=${saKubeconfig}`,
          ...PLUGINS.map(p => `--plugin=${p}`),
          '--namespace=chaosplane',
          '--leader-elect',
          '--lease-duration=4s',
          '--renew-deadline=3s',
          '--retry-period=500ms',
          '--http-addr=127.0.0.1:0',
          '--daemon-service=chaosplane-daemon',
          `--daemon-port=${plane.daemon.grpcPort}`,
          `--daemon-ca=${plane.certs.files.ca}`,
          `--daemon-cert=${plane.certs.files.clientCert}`,
          `--daemon-key=${plane.certs.files.clientKey}`,
          ...extraArgs,
        ],
        { cwd: repo, env: { ...process.env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const lines: Array<Record<string, unknown>> = [];
      let partial = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        const text = partial + chunk.toString('utf8');
        const parts = text.split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts.filter(Boolean)) {
          try {
            lines.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            lines.push({ message: line });
          }
        }
      });
      child.stderr!.on('data', (chunk: Buffer) =>
        lines.push({ message: chunk.toString('utf8'), stderr: true }),
      );
      const exited = new Promise<void>(resolve => child.once('exit', () => resolve()));
      return {
        lines,
        address: () =>
          eventually(
            () =>
              Promise.resolve(
                lines.find(l => l['message'] === 'serving /metrics, /healthz and /readyz')?.['address'] as
                  string | undefined,
              ),
            { what: 'the operator serves /readyz', timeoutMs: 30_000 },
          ),
        async stop() {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }

    /** Stops the running operator, if any (a function: TypeScript cannot follow `current` through restartOperator). */
    async function stopCurrent(): Promise<void> {
      await current?.stop();
      current = undefined;
    }

    async function restartOperator(extraArgs: string[] = []): Promise<OperatorProcess> {
      await current?.stop();
      current = startOperator(extraArgs);
      return current;
    }

    async function createPods(namespace: string, names: string[]): Promise<void> {
      await kubectl(['create', 'namespace', namespace]).catch(() =>
        apply(`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${namespace}}\n`),
      );
      for (const name of names) {
        await apply(
          `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${namespace}, labels: {app: target, pod: ${name}}}\nspec:\n  containers: [{name: main, image: busybox, command: [sleep, '3600']}]\n`,
        );
      }
      await plane.kubelet.waitRunning(namespace, names, 60_000);
    }

    async function chaos(kind: ChaosPlural, namespace: string, name: string): Promise<Chaos | undefined> {
      try {
        return JSON.parse(await kubectl(['get', kind, '-n', namespace, name, '-o', 'json'])) as Chaos;
      } catch {
        return undefined;
      }
    }

    const waitInjected = (kind: ChaosPlural, namespace: string, name: string, count: number) =>
      eventually(
        async () => {
          const records = (await chaos(kind, namespace, name))?.status?.experiment?.containerRecords ?? [];
          return records.length === count && records.every(r => r.phase === 'Injected') ? records : undefined;
        },
        {
          what: `${kind} ${namespace}/${name} injected on ${count} targets`,
          timeoutMs: 60_000,
          // On a timeout: the object's status and its Events, where a failed apply shows.
          describe: async () =>
            `${JSON.stringify((await chaos(kind, namespace, name))?.status)}\n${await kubectl(['get', 'events', '-n', namespace, '--field-selector', `involvedObject.name=${name}`])}`,
        },
      );

    const podChaos = (namespace: string, name: string, action: string, pod: string) =>
      apply(
        `apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n  action: ${action}\n  mode: all\n  gracePeriod: 0\n${action === 'container-kill' ? '  containerNames: [main]\n' : ''}  duration: 1h\n  selector: {namespaces: [${namespace}], labelSelectors: {pod: ${pod}}}\n`,
      );

    const helloWorld = (namespace: string, name: string) =>
      apply(
        `apiVersion: chaos-mesh.org/v1alpha1\nkind: HelloWorldChaos\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec:\n  selector: {namespaces: [${namespace}], labelSelectors: {app: target}}\n  mode: all\n  duration: 1h\n`,
      );

    const forbiddenLines = () =>
      (current?.lines ?? []).filter(l => /forbidden|\b403\b/.test(JSON.stringify(l)));

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'cp-rbac-'));
      plane = await startDevControlPlane({
        dir,
        plugins: PLUGINS,
        pluginsFrom: repo,
        operatorLog: createSilentLogger(),
        daemonLog: createSilentLogger(),
        log: createSilentLogger(),
        signal: stop.signal,
        operatorIdentity: 'admin',
        runOperator: false,
      });
      // As a platform engineer installs: the CRDs, then the RBAC files deploy/kustomization.yaml lists.
      await kubectl(['apply', '-f', path.join(deploy, 'crds')]);
      const kustomization = parse(await readFile(path.join(deploy, 'kustomization.yaml'), 'utf8')) as {
        resources: string[];
      };
      for (const file of kustomization.resources.filter(r => r.startsWith('rbac/')))
        await kubectl(['apply', '-f', path.join(deploy, file)]);
      const { token } = await plane.emulator.createToken('chaosplane', 'chaosplane-operator');
      saKubeconfig = path.join(dir, 'operator.kubeconfig');
      await writeFile(saKubeconfig, plane.emulator.kubeConfigFor(token), { mode: 0o600 });
    }, 120_000);

    afterAll(async () => {
      await current?.stop();
      stop.abort();
      await plane?.stop();
      await rm(dir, { recursive: true, force: true });
    }, 60_000);

    it('cluster-wide: the shipped roles suffice for HelloWorldChaos and every PodChaos action, leader election included', async () => {
      const operator = await restartOperator();
      await eventually(
        async () => {
          const lease = JSON.parse(
            await kubectl(['get', 'lease', '-n', 'chaosplane', 'chaosplane-operator', '-o', 'json']),
          ) as {
            spec?: { holderIdentity?: string };
          };
          return lease.spec?.holderIdentity;
        },
        { what: 'the operator holds its Lease', timeoutMs: 30_000 },
      );
      expect((await fetch(`http://${await operator.address()}/readyz`)).status).toBe(200);
      await createPods('rbac-a', ['a-0', 'a-1', 'a-2']);
      await helloWorld('rbac-a', 'hello');
      await waitInjected('helloworldchaos', 'rbac-a', 'hello', 3);

      await podChaos('rbac-a', 'failure', 'pod-failure', 'a-0');
      await waitInjected('podchaos', 'rbac-a', 'failure', 1);
      await kubectl(['delete', 'podchaos', '-n', 'rbac-a', 'failure', '--wait=true', '--timeout=60s']);

      await podChaos('rbac-a', 'ckill', 'container-kill', 'a-1');
      await waitInjected('podchaos', 'rbac-a', 'ckill', 1);

      const before = JSON.parse(await kubectl(['get', 'pod', '-n', 'rbac-a', 'a-2', '-o', 'json'])) as {
        metadata: { uid: string };
      };
      await podChaos('rbac-a', 'pkill', 'pod-kill', 'a-2');
      await eventually(
        async () =>
          (await kubectlResult(['get', 'pod', '-n', 'rbac-a', 'a-2', '-o', 'json'], plane.kubeconfigPath))
            .code !== 0
            ? true
            : undefined,
        { what: `pod a-2 (uid ${before.metadata.uid}) killed`, timeoutMs: 60_000 },
      );
      expect(forbiddenLines()).toEqual([]);
    }, 240_000);

    describeIf(stressOrNetworkUnavailableReason())('the other bundled kinds', () => {
      it('cluster-wide: the shipped roles suffice for StressChaos, NetworkChaos and a Workflow whose Task pod branches into a chaos', async () => {
        if (!current) await restartOperator();
        await createPods('rbac-d', ['d-0', 'd-1']);
        await apply(
          `apiVersion: chaos-mesh.org/v1alpha1\nkind: StressChaos\nmetadata: {name: cpu, namespace: rbac-d}\nspec:\n  mode: all\n  selector: {namespaces: [rbac-d], labelSelectors: {pod: d-0}}\n  stressors: {cpu: {workers: 1, load: 10}}\n  duration: 1h\n`,
        );
        await waitInjected('stresschaos', 'rbac-d', 'cpu', 1);
        await kubectl(['delete', 'stresschaos', '-n', 'rbac-d', 'cpu', '--wait=true', '--timeout=60s']);

        await apply(
          `apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: cut, namespace: rbac-d}\nspec:\n  action: partition\n  mode: all\n  selector: {namespaces: [rbac-d], labelSelectors: {pod: d-0}}\n  direction: to\n  target: {mode: all, selector: {namespaces: [rbac-d], labelSelectors: {pod: d-1}}}\n  duration: 1h\n`,
        );
        // A partition has records on both sides: the source's and the target's.
        await waitInjected('networkchaos', 'rbac-d', 'cut', 2);
        await kubectl(['delete', 'networkchaos', '-n', 'rbac-d', 'cut', '--wait=true', '--timeout=60s']);

        // The Task creates a pod and reads its log (pods create, pods/log get), then creates the
        // chaos of the branch its stdout selects, and deletes it at its deadline.
        await apply(
          `apiVersion: chaos-mesh.org/v1alpha1\nkind: Workflow\nmetadata: {name: flow, namespace: rbac-d}\nspec:\n  entry: decide\n  templates:\n    - name: decide\n      templateType: Task\n      task: {container: {name: main, image: busybox, command: [echo, branch-b]}}\n      conditionalBranches:\n        - {target: not-taken, expression: 'stdout == "branch-a"'}\n        - {target: hello, expression: 'exitCode == 0 && stdout == "branch-b"'}\n    - name: not-taken\n      templateType: Suspend\n      deadline: 1s\n    - name: hello\n      templateType: HelloWorldChaos\n      deadline: 5s\n      helloworldChaos: {mode: all, selector: {namespaces: [rbac-d], labelSelectors: {pod: d-1}}}\n`,
        );
        await eventually(
          async () => {
            const flow = JSON.parse(
              await kubectl(['get', 'workflow', '-n', 'rbac-d', 'flow', '-o', 'json']),
            ) as {
              status?: { conditions?: Array<{ type: string; status: string }> };
            };
            return flow.status?.conditions?.some(c => c.type === 'Accomplished' && c.status === 'True');
          },
          { what: 'the Workflow accomplished', timeoutMs: 90_000 },
        );
        const nodes = JSON.parse(await kubectl(['get', 'workflownodes', '-n', 'rbac-d', '-o', 'json'])) as {
          items: Array<{
            spec: { templateName: string };
            status?: { conditionalBranchesStatus?: { context?: string[] } };
          }>;
        };
        const task = nodes.items.find(n => n.spec.templateName === 'decide');
        expect(task?.status?.conditionalBranchesStatus?.context).toEqual([
          JSON.stringify({ exitCode: 0, stdout: 'branch-b' }),
        ]);
        expect(nodes.items.map(n => n.spec.templateName).sort()).toEqual(['decide', 'hello']);
        expect(forbiddenLines()).toEqual([]);
      }, 240_000);
    });

    it('one target namespace: a RoleBinding of chaosplane-operator there (deploy/README) suffices', async () => {
      await stopCurrent();
      await kubectl(['delete', 'clusterrolebinding', 'chaosplane-operator']);
      await createPods('rbac-b', ['b-0', 'b-1']);
      await apply(
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: chaosplane-operator, namespace: rbac-b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: chaosplane-operator}\nsubjects: [{kind: ServiceAccount, name: chaosplane-operator, namespace: chaosplane}]\n`,
      );
      try {
        await restartOperator(['--target-namespace=rbac-b']);
        await helloWorld('rbac-b', 'hello');
        await waitInjected('helloworldchaos', 'rbac-b', 'hello', 2);
        await podChaos('rbac-b', 'failure', 'pod-failure', 'b-0');
        await waitInjected('podchaos', 'rbac-b', 'failure', 1);
        await kubectl(['delete', 'podchaos', '-n', 'rbac-b', 'failure', '--wait=true', '--timeout=60s']);
        expect(forbiddenLines()).toEqual([]);
        // Outside its namespace the operator can do nothing with pods.
        const elsewhere = await kubectlResult(['get', 'pods', '-n', 'rbac-a'], saKubeconfig);
        expect(elsewhere.out).toContain(
          `pods is forbidden: User "${OPERATOR_USER}" cannot list resource "pods" in API group "" in the namespace "rbac-a"`,
        );
      } finally {
        await stopCurrent();
        await kubectl(['apply', '-f', path.join(deploy, 'rbac', 'operator.yaml')]);
      }
    }, 240_000);

    it('a rule taken out of the operator role: pod-kill fails with the 403 on the PodChaos object, naming the rule to grant', async () => {
      await restartOperator();
      await createPods('rbac-c', ['c-0']);
      // The PodChaos role without `delete`: the aggregation controller takes it out of chaosplane-operator.
      await apply(
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: chaosplane-operator-podchaos\n  labels: {app.kubernetes.io/part-of: chaosplane, rbac.chaosplane.io/aggregate-to-operator: 'true'}\nrules: [{apiGroups: [''], resources: [pods], verbs: [patch]}]\n`,
      );
      try {
        await eventually(
          async () => {
            const role = JSON.parse(
              await kubectl(['get', 'clusterrole', 'chaosplane-operator', '-o', 'json']),
            ) as {
              rules: Array<{ resources?: string[]; verbs: string[] }>;
            };
            return role.rules.some(r => r.resources?.includes('pods') && r.verbs.includes('delete'))
              ? undefined
              : true;
          },
          { what: 'delete on pods aggregated out of chaosplane-operator' },
        );
        const denied = `pods "c-0" is forbidden: User "${OPERATOR_USER}" cannot delete resource "pods" in API group "" in the namespace "rbac-c"`;
        await podChaos('rbac-c', 'pkill', 'pod-kill', 'c-0');
        const event = await eventually(
          async () => {
            const events = JSON.parse(
              await kubectl([
                'get',
                'events',
                '-n',
                'rbac-c',
                '--field-selector',
                'involvedObject.name=pkill',
                '-o',
                'json',
              ]),
            ) as { items: Array<{ type: string; reason: string; message: string }> };
            return events.items.find(e => e.type === 'Warning' && e.message.includes(denied));
          },
          { what: 'a Warning Event on the PodChaos with the 403', timeoutMs: 60_000 },
        );
        expect(event.reason).toBe('Failed');
        expect(event.message).toContain(
          'RBAC: grant the rule {apiGroups: [""], resources: ["pods"], verbs: ["delete"]} in a Role or ClusterRole bound in namespace "rbac-c"',
        );
        // kubectl describe shows it where a user looks.
        expect(await kubectl(['describe', 'podchaos', '-n', 'rbac-c', 'pkill'])).toContain('is forbidden');
        expect(await kubectl(['get', 'pod', '-n', 'rbac-c', 'c-0', '-o', 'name'])).toContain('pod/c-0');
      } finally {
        await kubectl(['apply', '-f', path.join(deploy, 'rbac', 'podchaos.yaml')]);
      }
      // With the rule back, the same experiment goes through on its next retry.
      await eventually(
        async () =>
          (await kubectlResult(['get', 'pod', '-n', 'rbac-c', 'c-0'], plane.kubeconfigPath)).code !== 0
            ? true
            : undefined,
        { what: 'pod c-0 killed once delete is granted again', timeoutMs: 90_000 },
      );
    }, 240_000);

    it('a cluster-level binding taken away: the operator stays unready, and its log has the list 403', async () => {
      await kubectl(['delete', 'clusterrolebinding', 'chaosplane-operator-cluster-level']);
      try {
        const operator = await restartOperator();
        const address = await operator.address();
        const warning = await eventually(
          () =>
            Promise.resolve(
              operator.lines.find(l =>
                JSON.stringify(l).includes(
                  `nodes is forbidden: User \\"${OPERATOR_USER}\\" cannot list resource \\"nodes\\" in API group \\"\\" at the cluster scope`,
                ),
              ),
            ),
          { what: 'the 403 of listing nodes in the operator log', timeoutMs: 30_000 },
        );
        expect(JSON.stringify(warning)).toContain(
          'RBAC: grant the rule {apiGroups: [\\"\\"], resources: [\\"nodes\\"], verbs: [\\"list\\"]}',
        );
        const ready = await fetch(`http://${address}/readyz`);
        expect(ready.status).not.toBe(200);
      } finally {
        await stopCurrent();
        await kubectl(['apply', '-f', path.join(deploy, 'rbac', 'operator.yaml')]);
      }
    }, 120_000);

    it("the daemon's ServiceAccount (no role, no token automount) is refused everything but discovery", async () => {
      const { token } = await plane.emulator.createToken('chaosplane', 'chaosplane-daemon');
      const daemonKubeconfig = path.join(dir, 'daemon.kubeconfig');
      await writeFile(daemonKubeconfig, plane.emulator.kubeConfigFor(token), { mode: 0o600 });
      const user = 'system:serviceaccount:chaosplane:chaosplane-daemon';
      const cases: Array<[string[], string]> = [
        [
          ['get', 'pods', '-A'],
          `pods is forbidden: User "${user}" cannot list resource "pods" in API group "" at the cluster scope`,
        ],
        [
          ['get', 'nodes'],
          `nodes is forbidden: User "${user}" cannot list resource "nodes" in API group "" at the cluster scope`,
        ],
        [
          ['get', 'secrets', '-n', 'chaosplane'],
          `secrets is forbidden: User "${user}" cannot list resource "secrets" in API group "" in the namespace "chaosplane"`,
        ],
        [
          ['get', 'podchaos', '-A'],
          `podchaos.chaos-mesh.org is forbidden: User "${user}" cannot list resource "podchaos" in API group "chaos-mesh.org" at the cluster scope`,
        ],
        [
          ['get', 'lease', '-n', 'chaosplane', 'chaosplane-operator'],
          `leases.coordination.k8s.io "chaosplane-operator" is forbidden: User "${user}" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "chaosplane"`,
        ],
        [
          ['delete', 'pod', '-n', 'rbac-a', 'a-0'],
          `pods "a-0" is forbidden: User "${user}" cannot delete resource "pods" in API group "" in the namespace "rbac-a"`,
        ],
      ];
      for (const [args, message] of cases) {
        const result = await kubectlResult(args, daemonKubeconfig);
        expect({ args, code: result.code }).toEqual({ args, code: 1 });
        expect(result.out).toContain(`Error from server (Forbidden): ${message}`);
      }
      // Discovery works for every authenticated user.
      expect(
        (await kubectlResult(['api-resources', '--api-group=chaos-mesh.org'], daemonKubeconfig)).out,
      ).toContain('podchaos');
    }, 120_000);
  },
);

// SPDX-License-Identifier: Apache-2.0
// `kubectl auth can-i` (SelfSubjectAccessReview, SelfSubjectRulesReview for --list) with the
// real kubectl against kube-emulator enforcing RBAC, deploy/ applied as it ships
// (`kubectl apply -k`): the answers a cluster gives for the shipped roles, asked as the admin
// impersonating (--as) the operator's and the daemon's ServiceAccounts, and a ServiceAccount
// bound to chaosplane-operator by a RoleBinding in one namespace (--target-namespace mode); and
// `kubectl create token` / `kubectl auth whoami`. kubectl sends these bodies as protobuf.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { kubectlOutcome } from '@chaosplane/dev';
import { describeIf, eventually } from '@chaosplane/testing';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const deploy = path.join(repo, 'deploy');
const OPERATOR = 'system:serviceaccount:chaosplane:chaosplane-operator';
const DAEMON = 'system:serviceaccount:chaosplane:chaosplane-daemon';
const SCOPED = 'system:serviceaccount:chaosplane:scoped-operator';

function kubectlUnavailableReason(): string | undefined {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'kubectl is not installed (scripts/install-system-deps.sh installs it)';
  }
}

/** [as, can-i arguments, the answer a cluster gives]. */
const CASES: Array<[string | undefined, string[], 'yes' | 'no']> = [
  // The admin (system:masters) may do anything.
  [undefined, ['*', '*', '--all-namespaces'], 'yes'],
  // The operator, bound cluster-wide: targets, its chaos kinds, Events, its Lease.
  [OPERATOR, ['list', 'pods', '--all-namespaces'], 'yes'],
  [OPERATOR, ['watch', 'pods', '-n', 'default'], 'yes'],
  [OPERATOR, ['delete', 'pods', '-n', 'default'], 'yes'],
  // Task pods of workflows (rbac/orchestration.yaml).
  [OPERATOR, ['create', 'pods', '-n', 'default'], 'yes'],
  [OPERATOR, ['deletecollection', 'pods', '-n', 'default'], 'no'],
  [OPERATOR, ['patch', 'podchaos.chaos-mesh.org', '-n', 'default'], 'yes'],
  // Workflows and Schedules create chaos objects of every kind.
  [OPERATOR, ['create', 'podchaos.chaos-mesh.org', '-n', 'default'], 'yes'],
  [OPERATOR, ['list', 'workflows.chaos-mesh.org', '-n', 'default'], 'yes'],
  [OPERATOR, ['update', 'podchaos.chaos-mesh.org', '--subresource=status', '-n', 'default'], 'yes'],
  [OPERATOR, ['update', 'helloworldchaos.chaos-mesh.org', '--subresource=status', '-n', 'x'], 'yes'],
  [OPERATOR, ['create', 'pods', '--subresource=exec', '-n', 'default'], 'no'],
  [OPERATOR, ['get', 'pods', '--subresource=log', '-n', 'default'], 'yes'],
  [OPERATOR, ['create', 'events', '-n', 'default'], 'yes'],
  [OPERATOR, ['delete', 'events', '-n', 'default'], 'no'],
  [OPERATOR, ['list', 'nodes'], 'yes'],
  [OPERATOR, ['delete', 'nodes'], 'no'],
  [OPERATOR, ['get', 'namespaces/default'], 'yes'],
  [OPERATOR, ['get', 'secrets', '-n', 'chaosplane'], 'no'],
  [OPERATOR, ['update', 'leases.coordination.k8s.io', '-n', 'chaosplane'], 'yes'],
  [OPERATOR, ['update', 'leases.coordination.k8s.io', '-n', 'default'], 'no'],
  [OPERATOR, ['list', 'endpointslices.discovery.k8s.io', '-n', 'chaosplane'], 'yes'],
  // resourceNames: its own CRDs by name, nothing else and no list.
  [OPERATOR, ['get', 'customresourcedefinitions/podchaos.chaos-mesh.org'], 'yes'],
  // The orchestration CRDs too: the start-up check reads them when orchestration runs.
  [OPERATOR, ['get', 'customresourcedefinitions/schedules.chaos-mesh.org'], 'yes'],
  [OPERATOR, ['get', 'customresourcedefinitions/workflownodes.chaos-mesh.org'], 'yes'],
  [SCOPED, ['get', 'customresourcedefinitions/statuschecks.chaos-mesh.org'], 'no'],
  [OPERATOR, ['get', 'customresourcedefinitions/iochaos.chaos-mesh.org'], 'no'],
  [OPERATOR, ['list', 'customresourcedefinitions'], 'no'],
  [OPERATOR, ['create', 'clusterroles'], 'no'],
  // Non-resource URLs: discovery and health for every authenticated user.
  [OPERATOR, ['get', '/apis'], 'yes'],
  [OPERATOR, ['get', '/metrics'], 'no'],
  // The daemon: no role at all, discovery only.
  [DAEMON, ['get', 'pods', '-n', 'chaosplane'], 'no'],
  [DAEMON, ['list', 'nodes'], 'no'],
  [DAEMON, ['get', 'leases.coordination.k8s.io', '-n', 'chaosplane'], 'no'],
  [DAEMON, ['get', '/api'], 'yes'],
  [DAEMON, ['get', '/healthz'], 'yes'],
  [DAEMON, ['create', 'selfsubjectaccessreviews.authorization.k8s.io'], 'yes'],
  // chaosplane-operator bound by a RoleBinding in team-a only.
  [SCOPED, ['delete', 'pods', '-n', 'team-a'], 'yes'],
  [SCOPED, ['list', 'podchaos.chaos-mesh.org', '-n', 'team-a'], 'yes'],
  [SCOPED, ['delete', 'pods', '-n', 'default'], 'no'],
  [SCOPED, ['list', 'pods', '--all-namespaces'], 'no'],
  [SCOPED, ['list', 'nodes'], 'no'],
];

describeIf(kubectlUnavailableReason())('kubectl auth can-i for the shipped roles', () => {
  let dir: string;
  let emulator: KubeEmulator;

  /** kubectl's stdout, else its stderr, and exit code (can-i exits 1 for "no"). */
  const kubectl = async (args: string[]): Promise<{ out: string; code: number | null }> => {
    const { code, stdout, stderr } = await kubectlOutcome(
      emulator.kubeconfigPath,
      ['--cache-dir', path.join(dir, 'cache'), ...args],
      { timeoutMs: 30_000 },
    );
    return { out: code === 0 || stdout ? stdout : stderr, code };
  };
  const ok = async (args: string[]): Promise<string> => {
    const result = await kubectl(args);
    expect({ args, code: result.code, out: result.code === 0 ? '' : result.out }).toEqual({
      args,
      code: 0,
      out: '',
    });
    return result.out;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-can-i-'));
    emulator = await startKubeEmulator({ kubeconfigPath: path.join(dir, 'kubeconfig') });
    await ok(['apply', '-f', path.join(deploy, 'namespace.yaml')]);
    await ok(['apply', '-k', deploy]);
    // A namespace-scoped operator's objects, applied from one YAML file (kubectl create's protobuf
    // bodies would do as well: kube-emulator reads them, see its protobufBodies test).
    const scoped = path.join(dir, 'scoped.yaml');
    await writeFile(
      scoped,
      [
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}',
        'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: scoped-operator, namespace: chaosplane}',
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: scoped-operator, namespace: team-a}\n' +
          'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: chaosplane-operator}\n' +
          'subjects: [{kind: ServiceAccount, name: scoped-operator, namespace: chaosplane}]',
      ].join('\n---\n'),
    );
    await ok(['apply', '-f', scoped]);
    // The aggregation controller fills chaosplane-operator from the aggregated roles.
    await eventually(
      async () =>
        (await kubectl(['get', 'clusterrole', 'chaosplane-operator', '-o', 'yaml'])).out.includes('podchaos')
          ? true
          : undefined,
      { what: 'chaosplane-operator aggregated' },
    );
  }, 60_000);

  afterAll(async () => {
    await emulator?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers yes or no as a cluster does, with exit code 0 or 1', async () => {
    const answers: Array<[string, string]> = [];
    const expected: Array<[string, string]> = [];
    for (const [as, args, answer] of CASES) {
      const result = await kubectl(['auth', 'can-i', ...args, ...(as ? [`--as=${as}`] : [])]);
      const label = `${as ?? 'admin'} ${args.join(' ')}`;
      answers.push([label, `${result.out.trim()} (exit ${result.code})`]);
      expected.push([label, `${answer} (exit ${answer === 'yes' ? 0 : 1})`]);
    }
    expect(answers).toEqual(expected);
  }, 120_000);

  it('lists the rules of a user (--list): the daemon has discovery and self-reviews, nothing on pods', async () => {
    const list = await ok(['auth', 'can-i', '--list', '-n', 'chaosplane', `--as=${DAEMON}`]);
    expect(list).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/m);
    expect(list).toMatch(/^selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/m);
    expect(list).toMatch(/^\s+\[\/api\]\s+\[\]\s+\[get\]/m);
    expect(list).not.toMatch(/^pods/m);
    const operator = await ok(['auth', 'can-i', '--list', '-n', 'default', `--as=${OPERATOR}`]);
    expect(operator).toMatch(/^pods\s+\[\]\s+\[\]\s+\[.*delete.*\]/m);
    // Its own CRDs by name (the orchestration kinds' too), one line per name as kubectl prints
    // them; nothing else on CRDs.
    const crdLines = operator.split('\n').filter(l => l.startsWith('customresourcedefinitions'));
    expect(crdLines.map(l => l.split(/\s+/).slice(1).join(' '))).toEqual(
      [
        'helloworldchaos',
        'networkchaos',
        'podchaos',
        'schedules',
        'statuschecks',
        'stresschaos',
        'workflownodes',
        'workflows',
      ].map(k => `[] [${k}.chaos-mesh.org] [get]`),
    );
  }, 60_000);

  it('refuses a ServiceAccount impersonating another (impersonation needs its own rule)', async () => {
    const { token } = await emulator.createToken('chaosplane', 'chaosplane-operator');
    const file = path.join(dir, 'operator.kubeconfig');
    await writeFile(file, emulator.kubeConfigFor(token), { mode: 0o600 });
    const result = await new Promise<{ out: string; code: number }>(resolve =>
      execFile(
        'kubectl',
        ['--kubeconfig', file, 'auth', 'can-i', 'list', 'secrets', `--as=${DAEMON}`],
        { timeout: 30_000 },
        (error, stdout, stderr) => resolve({ out: stdout + stderr, code: error ? 1 : 0 }),
      ),
    );
    expect(result.code).toBe(1);
    expect(result.out).toContain(
      `serviceaccounts "chaosplane-daemon" is forbidden: User "${OPERATOR}" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "chaosplane"`,
    );
  }, 60_000);

  it('issues a token with kubectl create token (TokenRequest), which kubectl auth whoami reads back', async () => {
    const token = (
      await ok(['create', 'token', 'chaosplane-daemon', '-n', 'chaosplane', '--duration=10m'])
    ).trim();
    const file = path.join(dir, 'daemon.kubeconfig');
    await writeFile(file, emulator.kubeConfigFor(token), { mode: 0o600 });
    const { stdout: whoami } = await promisify(execFile)(
      'kubectl',
      ['--kubeconfig', file, 'auth', 'whoami'],
      {
        timeout: 30_000,
      },
    );
    expect(whoami).toMatch(new RegExp(`^Username\\s+${DAEMON}$`, 'm'));
    expect(whoami).toMatch(
      /^Groups\s+\[system:serviceaccounts system:serviceaccounts:chaosplane system:authenticated\]$/m,
    );
  }, 60_000);
});

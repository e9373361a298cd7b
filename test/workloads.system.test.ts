// SPDX-License-Identifier: Apache-2.0
// The workload controllers inside `chaosplane dev`, used as a user would: the real kubectl
// applies a Deployment, a DaemonSet and a Service; `kubectl rollout status` waits for them as on
// a cluster and `kubectl scale` resizes the Deployment; the pods are real containerd containers of the local kubelet; a new template rolls
// out through a second ReplicaSet and `kubectl rollout undo` brings the first back; a deleted
// pod is replaced; the Service's EndpointSlice lists the pods' IPs; HelloWorldChaos selects the
// Deployment's pods by label like any others, and a pod PodChaos kills is replaced by its
// ReplicaSet, as on a cluster.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { PHASE_INJECTED, type Pod } from '@chaosplane/sdk';
import {
  describeIf,
  eventually,
  startTestKit,
  testKitUnavailableReason,
  type TestKit,
} from '@chaosplane/testing';

const plugin = (name: string) => new URL(`../packages/${name}/src/index.ts`, import.meta.url).pathname;
const NS = 'shop';

const WORKLOADS = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: main
        image: busybox
        command: [sleep, "3600"]
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ${NS}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - {name: agent, image: busybox, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${NS}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`;

/** The names of the pods `kubectl get` lists for a selector, sorted. */
async function podNames(kit: TestKit, selector: string): Promise<string[]> {
  const out = await kit.kubectl(['get', 'pods', '-n', NS, '-l', selector, '-o', 'name']);
  return out.split('\n').filter(Boolean).sort();
}

async function runningPods(kit: TestKit, selector: string): Promise<Pod[]> {
  const out = await kit.kubectl(['get', 'pods', '-n', NS, '-l', selector, '-o', 'json']);
  return (JSON.parse(out) as { items: Pod[] }).items.filter(
    p => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp,
  );
}

describeIf(testKitUnavailableReason())('workload controllers in chaosplane dev', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await startTestKit({
      plugins: [plugin('experiment-helloworld'), plugin('experiment-podchaos')],
      namespace: NS,
      pods: [],
    });
  }, 120_000);
  afterAll(() => kit?.close(), 60_000);

  it('rolls a Deployment and a DaemonSet out as real containers, as kubectl rollout status sees it', async () => {
    await kit.kubectl(['apply', '-f', '-'], WORKLOADS);
    expect(await kit.kubectl(['rollout', 'status', '-n', NS, 'deployment/web', '--timeout=60s'])).toContain(
      'deployment "web" successfully rolled out',
    );
    expect(await kit.kubectl(['rollout', 'status', '-n', NS, 'daemonset/agent', '--timeout=60s'])).toContain(
      'daemon set "agent" successfully rolled out',
    );
    const table = await kit.kubectl(['get', 'rs,pods', '-n', NS, '-l', 'app=web']);
    const rs = /replicaset\.apps\/(web-[a-z0-9]+)\s+2\s+2\s+2\s/.exec(table);
    expect(rs).not.toBeNull();
    const pods = await runningPods(kit, 'app=web');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(new RegExp(`^${rs![1]}-[a-z0-9]{5}$`));
      expect(pod.spec?.nodeName).toBe(kit.plane.nodeName);
      // A real container: its process is `sleep 3600`.
      const ps = await kit.exec(`${NS}/${pod.metadata.name}`, ['ps']);
      expect(ps.stdout).toMatch(/sleep 3600/);
    }
    // `kubectl scale` writes the scale subresource; the controllers follow it up and down.
    await kit.kubectl(['scale', '-n', NS, 'deployment/web', '--replicas=3']);
    await kit.kubectl(['rollout', 'status', '-n', NS, 'deployment/web', '--timeout=60s']);
    expect(await runningPods(kit, 'app=web')).toHaveLength(3);
    await kit.kubectl(['scale', '-n', NS, 'deployment/web', '--replicas=2']);
    await eventually(async () => (await runningPods(kit, 'app=web')).length === 2, {
      what: 'the Deployment scaled back to 2',
    });
    const [agent] = await runningPods(kit, 'app=agent');
    expect(agent?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: 'agent' });
  }, 120_000);

  it('publishes the ready pods behind the Service in its EndpointSlice', async () => {
    const ips = (await runningPods(kit, 'app=web')).map(p => p.status?.podIP).sort();
    const slice = await eventually(
      async () => {
        const out = await kit.kubectl([
          'get',
          'endpointslices',
          '-n',
          NS,
          '-l',
          'kubernetes.io/service-name=web',
          '-o',
          'json',
        ]);
        const [first] = (
          JSON.parse(out) as {
            items: { endpoints?: { addresses: string[] }[]; ports?: { name: string; port: number }[] }[];
          }
        ).items;
        const addresses = (first?.endpoints ?? []).flatMap(e => e.addresses).sort();
        return JSON.stringify(addresses) === JSON.stringify(ips) ? first : undefined;
      },
      { what: 'the Service web listing both pods', timeoutMs: 20_000 },
    );
    expect(slice.ports).toEqual([expect.objectContaining({ name: 'http', port: 8080 })]);
  }, 60_000);

  it('rolls a new pod template out through a new ReplicaSet, replaces a deleted pod, and rolls back', async () => {
    const before = await podNames(kit, 'app=web');
    await kit.kubectl(['set', 'env', '-n', NS, 'deployment/web', 'GREETING=hello']);
    await kit.kubectl(['rollout', 'status', '-n', NS, 'deployment/web', '--timeout=60s']);
    const after = await eventually(
      async () => {
        const pods = await runningPods(kit, 'app=web');
        return pods.length === 2 ? pods : undefined;
      },
      { what: 'two pods of the new template' },
    );
    expect(after.map(p => p.metadata.name).filter(n => before.includes(`pod/${n}`))).toEqual([]);
    const envOf = (p: Pod) =>
      p.spec?.containers[0]?.['env'] as { name: string; value?: string }[] | undefined;
    expect(after.every(p => envOf(p)?.[0]?.value === 'hello')).toBe(true);
    const history = await kit.kubectl(['rollout', 'history', '-n', NS, 'deployment/web']);
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);

    const victim = after[0]!.metadata.name!;
    await kit.kubectl(['delete', 'pod', '-n', NS, victim, '--wait=false']);
    await kit.kubectl(['rollout', 'status', '-n', NS, 'deployment/web', '--timeout=60s']);
    const replaced = await eventually(
      async () => {
        const pods = await runningPods(kit, 'app=web');
        return pods.length === 2 && pods.every(p => p.metadata.name !== victim) ? pods : undefined;
      },
      { what: 'the deleted pod replaced' },
    );
    expect(replaced).toHaveLength(2);

    // `kubectl rollout undo` brings revision 1's template back as revision 3, from its ReplicaSet.
    await kit.kubectl(['rollout', 'undo', '-n', NS, 'deployment/web']);
    await kit.kubectl(['rollout', 'status', '-n', NS, 'deployment/web', '--timeout=60s']);
    const undone = await eventually(
      async () => {
        const pods = await runningPods(kit, 'app=web');
        return pods.length === 2 && pods.every(p => envOf(p) === undefined) ? pods : undefined;
      },
      { what: 'two pods of the first template again' },
    );
    expect(undone).toHaveLength(2);
    const undoneHistory = await kit.kubectl(['rollout', 'history', '-n', NS, 'deployment/web']);
    expect(undoneHistory).toMatch(/^2\s/m);
    expect(undoneHistory).toMatch(/^3\s/m);
    expect(undoneHistory).not.toMatch(/^1\s/m);
  }, 120_000);

  it("says hello in the Deployment's pods, selected by label", async () => {
    await kit.kubectl(
      ['apply', '-f', '-'],
      `apiVersion: chaos-mesh.org/v1alpha1
kind: HelloWorldChaos
metadata: {name: hello-web, namespace: ${NS}}
spec: {selector: {namespaces: [${NS}], labelSelectors: {app: web}}, mode: all}
`,
    );
    const records = await kit.waitForRecords(
      { plural: 'helloworldchaos', name: 'hello-web' },
      PHASE_INJECTED,
    );
    const pods = (await podNames(kit, 'app=web')).map(n => `${NS}/${n.slice('pod/'.length)}/main`);
    expect(records.map(r => r.id).sort()).toEqual(pods);
    await kit.kubectl(['delete', 'helloworldchaos', '-n', NS, 'hello-web']);
    await kit.waitForDeletion({ plural: 'helloworldchaos', name: 'hello-web' });
  }, 60_000);

  it('replaces a pod PodChaos kills: the ReplicaSet makes a new one and the rollout is whole again', async () => {
    const before = (await runningPods(kit, 'app=web')).map(p => p.metadata.name!);
    await kit.kubectl(
      ['apply', '-f', '-'],
      `apiVersion: chaos-mesh.org/v1alpha1
kind: PodChaos
metadata: {name: kill-web, namespace: ${NS}}
spec: {action: pod-kill, mode: one, gracePeriod: 0, selector: {namespaces: [${NS}], labelSelectors: {app: web}}}
`,
    );
    const [record] = await kit.waitForRecords({ plural: 'podchaos', name: 'kill-web' }, PHASE_INJECTED);
    const killed = record!.id.split('/')[1]!;
    expect(before).toContain(killed);
    const after = await eventually(
      async () => {
        const pods = await runningPods(kit, 'app=web');
        return pods.length === 2 && pods.every(p => p.metadata.name !== killed) ? pods : undefined;
      },
      { what: 'the killed pod replaced', timeoutMs: 30_000 },
    );
    expect(after.filter(p => before.includes(p.metadata.name!))).toHaveLength(1);
    await kit.kubectl(['rollout', 'status', '-n', NS, 'deployment/web', '--timeout=60s']);
    await kit.kubectl(['delete', 'podchaos', '-n', NS, 'kill-web']);
    await kit.waitForDeletion({ plural: 'podchaos', name: 'kill-web' });
  }, 90_000);
});

// SPDX-License-Identifier: Apache-2.0
// SignalChaos end to end on the plugin test kit: the plugin loaded by path into the operator and
// the daemon (mTLS, real containerd), kubectl as the client. The daemon kills the selected
// container's task; the other container keeps running.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { PHASE_INJECTED } from '@chaosplane/sdk';
import {
  describeIf,
  eventually,
  startTestKit,
  testKitUnavailableReason,
  type TestKit,
} from '@chaosplane/testing';
import { ClientError, Status } from 'nice-grpc';
import { SignalDaemonDefinition } from '../src/index.js';

const run = promisify(execFile);
const OPERATOR = 'system:serviceaccount:chaosplane:chaosplane-operator';

/** A Workflow whose one step is a SignalChaos selecting no pod: the operator creates the object. */
const workflow = `apiVersion: chaos-mesh.org/v1alpha1
kind: Workflow
metadata: {name: signal-flow, namespace: chaos-test}
spec:
  entry: signal-step
  templates:
    - name: signal-step
      templateType: SignalChaos
      deadline: 60s
      signalChaos:
        selector: {namespaces: [chaos-test], labelSelectors: {app: nobody}}
        mode: all
        signal: SIGTERM
`;

/** The plugin as an operator or daemon given `--plugin <path>` loads it. */
const PLUGIN = new URL('../src/index.ts', import.meta.url).pathname;
const CHAOS = { plural: 'signalchaos', name: 'kill-victim' };

const manifest = (signal: string) => `apiVersion: chaos-mesh.org/v1alpha1
kind: SignalChaos
metadata: {name: kill-victim, namespace: chaos-test}
spec:
  selector: {namespaces: [chaos-test], labelSelectors: {app: victim}}
  mode: all
  signal: ${signal}
`;

describeIf(testKitUnavailableReason())(
  'SignalChaos end to end (test kit: containerd, daemon over mTLS, operator)',
  () => {
    let kit: TestKit;
    const bareIdOf = (podName: string) =>
      kit.pods
        .find(p => p.metadata.name === podName)!
        .status!.containerStatuses![0]!.containerID!.replace('containerd://', '');
    const containerIdOf = (podName: string) => `containerd://${bareIdOf(podName)}`;

    beforeAll(async () => {
      kit = await startTestKit({
        plugins: [PLUGIN],
        pods: [
          { name: 'victim', labels: { app: 'victim' } },
          { name: 'bystander', labels: { app: 'bystander' } },
        ],
      });
    }, 120_000);
    afterAll(() => kit?.close(), 60_000);

    it('is refused by the API server when the signal is not one SignalChaos supports', async () => {
      await expect(kit.kubectl(['apply', '-f', '-'], manifest('SIGSEGV'))).rejects.toThrow(
        /spec\.signal: Unsupported value: "SIGSEGV": supported values: "SIGTERM", "SIGKILL"/,
      );
    });

    it('kills the selected container only, records it Injected with its Events, and deletes cleanly', async () => {
      const victim = bareIdOf('victim');
      const bystander = bareIdOf('bystander');
      // The same process throughout (its pid too): a bystander killed and restarted would not do.
      const untouched = await kit.plane.containerd.taskStatus(bystander);
      expect(untouched).toEqual({ pid: expect.any(Number), status: 'RUNNING' });
      await kit.kubectl(['apply', '-f', '-'], manifest('SIGKILL'));
      const records = await kit.waitForRecords(CHAOS, PHASE_INJECTED);
      expect(records.map(r => r.id)).toEqual(['chaos-test/victim/main']);

      await eventually(async () => (await kit.plane.containerd.taskStatus(victim))?.status === 'STOPPED', {
        what: 'the victim task stops',
      });
      expect(await kit.plane.containerd.taskStatus(bystander)).toEqual(untouched);

      // The engine reports the applied record, and the plugin what it did, on the chaos object.
      const events = await eventually(
        async () => {
          const list = await kit.events(CHAOS.name);
          return list.some(e => e.reason === 'Applied') && list.some(e => e.reason === 'Signal') && list;
        },
        { what: 'the Applied and Signal events' },
      );
      expect(events.find(e => e.reason === 'Applied')?.message).toBe('chaos-test/victim/main');
      expect(events.find(e => e.reason === 'Signal')?.message).toMatch(
        /^sent SIGKILL to chaos-test\/victim\/main \(pid \d+\)$/,
      );

      await kit.kubectl(['delete', 'signalchaos', CHAOS.name, '-n', kit.namespace]);
      await kit.waitForDeletion(CHAOS);
      expect(await kit.plane.containerd.taskStatus(bystander)).toEqual(untouched);
    }, 60_000);

    it('refuses a signal SignalChaos does not allow, even from a client with a valid certificate', async () => {
      const client = await kit.daemonClient(SignalDaemonDefinition);
      const refused = await client
        .sendSignal({ containerId: containerIdOf('bystander'), signal: 'SIGSEGV' })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ClientError);
      expect((refused as ClientError).code).toBe(Status.INVALID_ARGUMENT);
      expect((refused as ClientError).details).toMatch(/^signal: Unsupported value: "SIGSEGV"/);
      expect((await kit.plane.containerd.taskStatus(bareIdOf('bystander')))?.status).toBe('RUNNING');
    });

    it('runs the operator as its ServiceAccount with roles made for SignalChaos: a Workflow creates one under RBAC', async () => {
      const whoami = await run('kubectl', [
        '--kubeconfig',
        kit.plane.operatorKubeconfigPath,
        'auth',
        'whoami',
        '-o',
        'jsonpath={.status.userInfo.username}',
      ]);
      expect(whoami.stdout).toBe(OPERATOR);
      // By name, for the kind loaded (deploy/'s roles name the bundled kinds only); no wildcard.
      const canI = (verb: string, resource: string) =>
        kit.kubectl(['auth', 'can-i', verb, resource, '-n', kit.namespace, `--as=${OPERATOR}`]).then(
          out => out.trim(),
          (error: Error) => (/\bno\b/.test(error.message) ? 'no' : error.message),
        );
      expect(await canI('create', 'signalchaos.chaos-mesh.org')).toBe('yes');
      expect(await canI('update', 'signalchaos.chaos-mesh.org/status')).toBe('yes');
      expect(await canI('create', 'iochaos.chaos-mesh.org')).toBe('no');

      await kit.kubectl(['apply', '-f', '-'], workflow);
      const created = await eventually(
        async () => {
          const list = JSON.parse(
            await kit.kubectl(['get', 'signalchaos', '-n', kit.namespace, '-o', 'json']),
          ) as {
            items: Array<{ metadata: { name: string } }>;
          };
          return list.items.find(item => item.metadata.name.startsWith('signal-step'));
        },
        { what: "the Workflow's SignalChaos" },
      );
      expect(created.metadata.name).toMatch(/^signal-step/);
      await kit.kubectl([
        'delete',
        'workflow',
        'signal-flow',
        '-n',
        kit.namespace,
        '--wait=true',
        '--timeout=60s',
      ]);
    }, 90_000);

    it('says which container is unknown', async () => {
      const client = await kit.daemonClient(SignalDaemonDefinition);
      await expect(
        client.sendSignal({ containerId: 'containerd://no-such-container', signal: 'SIGTERM' }),
      ).rejects.toMatchObject({
        code: Status.NOT_FOUND,
        details: expect.stringContaining('containerd://no-such-container not found'),
      });
    });
  },
);

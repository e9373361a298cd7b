// SPDX-License-Identifier: Apache-2.0
// Every Chaos Mesh example kept in fixtures/chaos-mesh/, applied unchanged with the real kubectl
// against kube-emulator with the shipped CRDs (deploy/crds): each is created, or refused with the
// reason docs/schedule.md and docs/workflow.md give (a kind Chaosplane does not ship). Only
// admission runs here (no operator): what each example then does is in schedule.test.ts,
// workflow.test.ts, statusCheck.test.ts and testKit.system.test.ts.
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { describeIf, kubectlUnavailableReason } from '@chaosplane/testing';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'fixtures', 'chaos-mesh');
const crds = path.resolve(here, '..', '..', '..', 'deploy', 'crds');

/**
 * What `kubectl apply` does with each fixture: `created`, or refused for a kind Chaosplane does not
 * ship: strict field validation (kubectl's default) refuses the kind's embedded field first; with
 * `--validate=false` the field is pruned and the `type` or `templateType` enum refuses the kind.
 */
const EXPECTED: Record<string, 'created' | { strict: string; enum: string }> = {
  'etcd-etcd-iochaos.yaml': {
    strict: 'strict decoding error: unknown field "spec.ioChaos"',
    enum: 'spec.type: Unsupported value: "IOChaos"',
  },
  'integration-physical_machine-schedule.yaml': {
    strict: 'strict decoding error: unknown field "spec.physicalmachineChaos"',
    enum: 'spec.type: Unsupported value: "PhysicalMachineChaos"',
  },
  'integration-physical_machine-workflow.yaml': {
    strict: 'strict decoding error: unknown field "spec.templates[1].physicalmachineChaos"',
    enum: 'spec.templates[1].templateType: Unsupported value: "PhysicalMachineChaos"',
  },
  'integration-statuscheck-statuscheck.yaml': 'created',
  'schedule-podchaos.yaml': 'created',
  'statuscheck-example.yaml': 'created',
  'web-show-network-delay.yaml': 'created',
  'web-show-pod-failure.yaml': 'created',
  'web-show-pod-kill.yaml': 'created',
  'workflow-custom-task.yaml': 'created',
  'workflow-parallel.yaml': 'created',
  'workflow-serial.yaml': 'created',
  'workflow-status-check.yaml': 'created',
};

describeIf(kubectlUnavailableReason(25, "server-side field validation (kubectl's strict default)"))(
  "Chaos Mesh's examples at kubectl apply",
  () => {
    let emulator: KubeEmulator;
    const kubectl = async (args: string[], stdin = '') => {
      const child = execFile('kubectl', ['--kubeconfig', emulator.kubeconfigPath, ...args]);
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      child.stdin!.end(stdin);
      const code = await new Promise<number>(resolve => child.on('close', c => resolve(c ?? 1)));
      return { code, out };
    };

    beforeAll(async () => {
      emulator = await startKubeEmulator({});
      for (const file of await readdir(crds)) await kubectl(['apply', '-f', path.join(crds, file)]);
      for (const name of ['default', 'chaos-mesh'])
        await kubectl(
          ['apply', '-f', '-'],
          JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
        );
    }, 60_000);
    afterAll(() => emulator?.stop());

    it('has an expectation for every fixture', async () => {
      expect((await readdir(fixtures)).sort()).toEqual(Object.keys(EXPECTED).sort());
    });

    it.each(Object.entries(EXPECTED))('%s: %j', async (file, expected) => {
      const text = await readFile(path.join(fixtures, file), 'utf8');
      const { kind, metadata } = parse(text) as { kind: string; metadata: { name: string } };
      const { code, out } = await kubectl(['apply', '-f', path.join(fixtures, file)]);
      if (expected === 'created') {
        expect({ code, out }).toEqual({
          code: 0,
          out: `${kind.toLowerCase()}.chaos-mesh.org/${metadata.name} created\n`,
        });
        return;
      }
      expect({ code: code !== 0, out }).toEqual({
        code: true,
        out: expect.stringContaining(expected.strict),
      });
      const lax = await kubectl(['apply', '--validate=false', '-f', path.join(fixtures, file)]);
      expect({ code: lax.code !== 0, out: lax.out }).toEqual({
        code: true,
        out: expect.stringContaining(expected.enum),
      });
    });
  },
);

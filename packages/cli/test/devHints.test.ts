// SPDX-License-Identifier: Apache-2.0
// What `chaosplane dev` prints follows the plugins it loaded: the examples of those kinds only,
// `kubectl explain` for a kind without one, and where the plane's containerd is. The plane is a
// plain object here: devHints reads only its paths and port (the command itself runs in
// devFlags.system.test.ts and the README's demo).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DevControlPlane } from '@chaosplane/dev';
import type { ChaosKind } from '@chaosplane/sdk';
import { devHints } from '../src/commands/devHints.js';

const kind = (name: string) => ({ kind: name, plural: name.toLowerCase() }) as unknown as ChaosKind;
const plane = {
  kubeconfigPath: '/dev-dir/kubeconfig',
  certs: { dir: '/dev-dir/certs' },
  daemon: { grpcPort: 31767 },
  containerd: { socketPath: '/dev-dir/cp-ctd-x/containerd.sock', namespace: 'chaosplane-dev' },
} as unknown as DevControlPlane;

describe('chaosplane dev hints', () => {
  let examples: string;
  beforeAll(async () => {
    examples = await mkdtemp(path.join(os.tmpdir(), 'cp-hints-'));
    await writeFile(
      path.join(examples, 'helloworld.yaml'),
      'apiVersion: chaos-mesh.org/v1alpha1\nkind: HelloWorldChaos\n',
    );
    await writeFile(
      path.join(examples, 'podchaos-kill.yaml'),
      'apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\n',
    );
  });
  afterAll(() => rm(examples, { recursive: true, force: true }));

  it("names the loaded kinds' examples only, and explain for a kind without one", async () => {
    const lines = await devHints(plane, [kind('HelloWorldChaos'), kind('SignalChaos')], examples);
    const text = lines.join('\n');
    expect(text).toContain(
      `apply -f ${path.relative(process.cwd(), path.join(examples, 'helloworld.yaml'))}`,
    );
    expect(text).not.toContain('podchaos-kill.yaml');
    expect(text).toContain('explain signalchaos.spec   # SignalChaos: no example in examples/');
    // The dry run uses the first example of a loaded kind.
    expect(text).toMatch(
      /explain -f \S*helloworld\.yaml --kubeconfig \/dev-dir\/kubeconfig --daemon-port 31767/,
    );
  });

  it('without HelloWorldChaos loaded, never names its example', async () => {
    const text = (await devHints(plane, [kind('PodChaos')], examples)).join('\n');
    expect(text).not.toContain('helloworld.yaml');
    expect(text).toContain('podchaos-kill.yaml');
  });

  it("says where the plane's containerd is and how to enter a container's namespaces from the host", async () => {
    const text = (await devHints(plane, [], undefined)).join('\n');
    expect(text).toContain(
      'ctr --address /dev-dir/cp-ctd-x/containerd.sock --namespace chaosplane-dev task ls',
    );
    expect(text).toContain('nsenter --target <PID> --mount --uts --ipc --net --pid -- /bin/sh');
    expect(text).toContain('explain -f <manifest>');
  });
});

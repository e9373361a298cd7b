// SPDX-License-Identifier: Apache-2.0
// The dev plane's operator identity, on a real kube-emulator (which enforces RBAC): its
// ServiceAccount gets deploy/'s written roles and the roles generated for the plugins loaded,
// each plugin's declared operatorAccess included, and nothing of a plugin not loaded, also when
// an earlier run on the same state loaded it. Asked as a cluster is asked: SubjectAccessReviews.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubeConnection, loadKubeConfig, type KubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { operatorServiceAccountKubeconfig } from '../src/operatorServiceAccount.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const OPERATOR = 'system:serviceaccount:chaosplane:chaosplane-operator';

describe("the dev plane's operator ServiceAccount", () => {
  let emulator: KubeEmulator;
  let kube: KubeConnection;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-dev-sa-'));
    emulator = await startKubeEmulator({});
    kube = createKubeConnection(loadKubeConfig(emulator.kubeconfigPath));
    await kube.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'chaosplane' } } });
  });

  afterAll(async () => {
    kube?.close();
    await emulator?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const grantFor = (plugins: string[]) =>
    operatorServiceAccountKubeconfig({
      kube,
      emulator,
      deploy: path.join(repo, 'deploy'),
      plugins,
      pluginsFrom: repo,
      dir,
    });

  /** Whether the operator's ServiceAccount may `verb` pods in `busybox`, as the API server says. */
  async function may(verb: string, resource: string, group = ''): Promise<boolean> {
    const review = await kube.request<{ status: { allowed: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: { user: OPERATOR, resourceAttributes: { namespace: 'busybox', verb, group, resource } },
        },
      },
    );
    return review.status.allowed;
  }

  it("grants PodChaos's declared delete and patch of pods while it is loaded, and its kind", async () => {
    await grantFor(['@chaosplane/experiment-helloworld', '@chaosplane/experiment-podchaos']);
    expect(await may('delete', 'pods')).toBe(true);
    expect(await may('patch', 'pods')).toBe(true);
    expect(await may('update', 'podchaos', 'chaos-mesh.org')).toBe(true);
    expect(await may('list', 'pods')).toBe(true);
  });

  it('takes them back when a later run on the same state does not load PodChaos', async () => {
    await grantFor(['@chaosplane/experiment-helloworld']);
    expect(await may('delete', 'pods')).toBe(false);
    expect(await may('patch', 'pods')).toBe(false);
    expect(await may('update', 'podchaos', 'chaos-mesh.org')).toBe(false);
    // The operator's own roles stay.
    expect(await may('list', 'pods')).toBe(true);
    expect(await may('update', 'helloworldchaos', 'chaos-mesh.org')).toBe(true);
  });
});

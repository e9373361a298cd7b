// SPDX-License-Identifier: Apache-2.0
// loadKubeConfig by the default rules when there is nothing to find: a clear error, not
// client-node's made-up http://localhost:8080 (what an operator image run outside a pod would
// otherwise report as "the API server must be https://").
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/sdk';
import { loadKubeConfig } from '@chaosplane/kube';

describe('loadKubeConfig by the default rules', () => {
  const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
  let home: string;

  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'cp-kubeconfig-'));
    process.env.HOME = home;
    delete process.env.KUBECONFIG;
  });

  afterEach(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(home, { recursive: true, force: true });
  });

  it('says no kubeconfig was found when none exists and this is not a pod', () => {
    let thrown: unknown;
    try {
      loadKubeConfig();
    } catch (error) {
      thrown = error;
    }
    expect(ChaosplaneError.is(thrown) && thrown.kind).toBe('invalid');
    expect((thrown as Error).message).toMatch(
      /^no kubeconfig found: KUBECONFIG is not set, ~\/\.kube\/config does not exist/,
    );
  });

  it('still loads a kubeconfig that KUBECONFIG names, even one for http://localhost:8080', async () => {
    const file = path.join(home, 'config');
    await writeFile(
      file,
      'apiVersion: v1\nkind: Config\nclusters: [{name: local, cluster: {server: "http://localhost:8080"}}]\n' +
        'users: [{name: me, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: local, user: me}}]\n' +
        'current-context: c\n',
    );
    process.env.KUBECONFIG = file;
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('http://localhost:8080');
  });
});

// SPDX-License-Identifier: Apache-2.0
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { BUNDLED_PLUGINS, operatorCommand, parseManifests, parseOperatorArgs } from '@chaosplane/operator';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('chaosplane-operator arguments', () => {
  it('has safe defaults: bundled plugins, mTLS required, no leader election unless asked', async () => {
    const options = await parseOperatorArgs(['--daemon-insecure'], {});
    expect(options.plugins).toEqual([...BUNDLED_PLUGINS]);
    expect(options.namespace).toBe('chaosplane');
    expect(options.leaderElection).toBeUndefined();
    expect(options.installCrds).toBe(false);
    expect(options.daemon).toMatchObject({
      discovery: { kind: 'service', namespace: 'chaosplane', serviceName: 'chaosplane-daemon' },
      port: 31767,
      tls: 'insecure',
      callTimeoutMs: 60_000,
    });
    expect(options.engine).toEqual({ workersPerKind: 4, recordParallelism: 16, shutdownGraceMs: 30_000 });
    await expect(parseOperatorArgs([], {})).rejects.toThrow(
      'mTLS to the daemons needs --daemon-ca, --daemon-cert and --daemon-key',
    );
  });

  it.each([
    [['--workers', '0'], '--workers "0" must be an integer in [1, 256]'],
    [['--daemon-port', '70000'], '--daemon-port "70000" must be an integer in [1, 65535]'],
    [['--lease-duration', 'ten'], '--lease-duration "ten": time: invalid duration "ten"'],
    [['--daemon-timeout', '-5s'], '--daemon-timeout "-5s": must be positive'],
    [
      ['--lease-duration', '5s', '--renew-deadline', '10s'],
      '--renew-deadline must be shorter than --lease-duration',
    ],
    [
      ['--daemon-ca', '/nonexistent/ca.crt', '--daemon-cert', '/x', '--daemon-key', '/y'],
      '--daemon-ca /nonexistent/ca.crt: ENOENT',
    ],
    [['--no-such-flag'], "unknown option '--no-such-flag'"],
    [['--daemon-insecure', '--daemon-ca', '/x'], '--daemon-insecure cannot be combined with --daemon-ca'],
  ])('refuses %j naming the flag', async (args, message) => {
    const insecure = args.includes('--daemon-ca') ? [] : ['--daemon-insecure'];
    await expect(parseOperatorArgs([...insecure, ...args], {})).rejects.toThrow(message);
  });

  it('reads boolean switches from the environment strictly; the command line wins', async () => {
    const on = await parseOperatorArgs(['--daemon-insecure'], {
      CHAOSPLANE_LEADER_ELECT: 'true',
      CHAOSPLANE_INSTALL_CRDS: '1',
    });
    expect(on.leaderElection).toMatchObject({ leaseName: 'chaosplane-operator', leaseDurationMs: 15_000 });
    expect(on.installCrds).toBe(true);
    const off = await parseOperatorArgs(['--daemon-insecure'], { CHAOSPLANE_LEADER_ELECT: 'false' });
    expect(off.leaderElection).toBeUndefined();
    const flagWins = await parseOperatorArgs(['--daemon-insecure', '--leader-elect'], {
      CHAOSPLANE_LEADER_ELECT: 'false',
    });
    expect(flagWins.leaderElection).toBeDefined();
    await expect(
      parseOperatorArgs(['--daemon-insecure'], { CHAOSPLANE_FILTER_NAMESPACES: 'maybe' }),
    ).rejects.toThrow('CHAOSPLANE_FILTER_NAMESPACES="maybe" must be true or false');
  });

  it('takes a fixed daemon address and selection gates', async () => {
    const options = await parseOperatorArgs(
      [
        '--daemon-insecure',
        '--daemon-address',
        '127.0.0.1',
        '--protected-namespaces',
        'kube-system, prod',
        '--target-namespace',
        'app',
      ],
      {},
    );
    expect(options.daemon.discovery).toEqual({ kind: 'fixed', host: '127.0.0.1' });
    expect(options.selection).toEqual({
      protectedNamespaces: ['kube-system', 'prod'],
      filterNamespaces: false,
      targetNamespace: 'app',
    });
  });

  it('accepts every argument deploy/operator.yaml passes', async () => {
    const [deployment] = parseManifests(
      await readFile(path.join(repo, 'deploy/operator.yaml'), 'utf8'),
    ) as unknown as [{ spec: { template: { spec: { containers: Array<{ args: string[] }> } } } }];
    const args = deployment.spec.template.spec.containers[0]!.args;
    const command = operatorCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    expect(() => command.parse(args, { from: 'user' })).not.toThrow();
    expect(command.opts()).toMatchObject({
      leaderElect: true,
      httpAddr: '0.0.0.0:10080',
      daemonService: 'chaosplane-daemon',
    });
  });
});

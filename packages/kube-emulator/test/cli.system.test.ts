// SPDX-License-Identifier: Apache-2.0
// The kube-emulator CLI as a child process: address printing, kubeconfig, argument errors.
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildCli, cliPath, startCli } from './cliProcess.js';

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, [cliPath, ...args], { timeout: 20_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

describe('kube-emulator CLI', () => {
  beforeAll(async () => {
    await buildCli();
  }, 120_000);

  it('listens on a free port, prints the address and writes a working kubeconfig', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-emulator-cli-'));
    const kubeconfig = path.join(dir, 'nested', 'kubeconfig');
    const cli = await startCli(['--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig]);
    try {
      expect(cli.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(cli.url).not.toMatch(/:0$/);
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfig);
      expect(kc.getCurrentCluster()?.server).toBe(cli.url);
      const namespaces = await kc.makeApiClient(k8s.CoreV1Api).listNamespace();
      expect(namespaces.items.map(n => n.metadata?.name)).toContain('default');
    } finally {
      cli.child.kill('SIGTERM');
      expect((await cli.exited).code).toBe(0);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad arguments with a message naming the option', async () => {
    const badListen = await runCli(['--listen', 'nowhere', '--kubeconfig', '/tmp/x']);
    expect(badListen.code).toBe(1);
    expect(badListen.stderr).toContain("option '--listen <host:port>' argument 'nowhere' is invalid");
    const missing = await runCli(['--listen', '127.0.0.1:0']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--kubeconfig <path>' not specified");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-emulator-cli-'));
    fs.writeFileSync(path.join(dir, 'faults.json'), JSON.stringify({ errors: [{ status: 500, rate: 7 }] }));
    const badFaults = await runCli([
      '--kubeconfig',
      path.join(dir, 'kc'),
      '--faults',
      path.join(dir, 'faults.json'),
    ]);
    expect(badFaults.code).toBe(1);
    expect(badFaults.stderr).toContain('faults.errors[0].rate: must be a number in [0, 1]');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

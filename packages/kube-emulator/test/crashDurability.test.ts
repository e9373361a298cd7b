// SPDX-License-Identifier: Apache-2.0
// The write-ahead log after a crash, in process: a torn last record (what a power loss or a full
// disk can leave) is cut on start, and damage before the last line refuses to start. The SIGKILL
// under load, with the real CLI as a child process, is crashDurability.system.test.ts.
import { describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KubeEmulatorError, startKubeEmulator } from '../src/index.js';
import { rejection, useScratchDir } from './support.js';

describe('durability when SIGKILLed with writes in flight', () => {
  const scratch = useScratchDir('kube-emulator-crash-');

  // A SIGKILL never tears a record (write(2) to a file completes), so the SIGKILL test
  // (crashDurability.system.test.ts) cannot produce a torn tail; a power loss or a full disk
  // can. This test makes one by hand.
  it('drops a torn last record on start, and refuses a corrupt record before it', async () => {
    const data = path.join(scratch.dir(), 'torn');
    const first = await startKubeEmulator({ dataDir: data });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(first.kubeConfig);
    const kept = await kc.makeApiClient(k8s.CoreV1Api).createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'kept' }, data: { a: 'b' } },
    });
    await first.stop();
    const logPath = path.join(data, 'store', 'wal.jsonl');
    const whole = fs.readFileSync(logPath, 'utf8');
    const lastLine = whole.slice(0, -1).split('\n').at(-1)!;
    const tornRecord = lastLine
      .replace('"kept"', '"torn"')
      .replaceAll(`"${kept.metadata!.resourceVersion}"`, '"999"');
    fs.appendFileSync(logPath, tornRecord.slice(0, tornRecord.length >> 1));

    const second = await startKubeEmulator({ dataDir: data });
    try {
      const kc2 = new k8s.KubeConfig();
      kc2.loadFromString(second.kubeConfig);
      const core = kc2.makeApiClient(k8s.CoreV1Api);
      const names = (await core.listNamespacedConfigMap({ namespace: 'default' })).items.map(
        c => c.metadata!.name,
      );
      expect(names).toContain('kept');
      expect(names).not.toContain('torn');
      const fresh = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'fresh' } },
      });
      expect(Number(fresh.metadata!.resourceVersion)).toBeGreaterThan(Number(kept.metadata!.resourceVersion));
    } finally {
      await second.stop();
    }
    // The new record starts on its own line: the torn half was cut, not glued to it.
    const lines = fs.readFileSync(logPath, 'utf8').slice(0, -1).split('\n');
    expect(lines.map(l => (JSON.parse(l) as { k: string }).k)).toContain('default/fresh');

    // Damage before the last line is not a crash artefact: starting fails and names the line.
    const [firstLine = '', ...rest] = lines;
    const damaged = [firstLine.slice(0, 10), ...rest];
    fs.writeFileSync(logPath, damaged.join('\n') + '\n');
    const error = await rejection(startKubeEmulator({ dataDir: data }));
    expect(KubeEmulatorError.is(error) && error.kind === 'Storage').toBe(true);
    expect((error as Error).message).toContain('corrupt record at line 1');
    // The failed start let go of the directory: repaired, it starts again in this process.
    fs.writeFileSync(logPath, lines.join('\n') + '\n');
    const repaired = await startKubeEmulator({ dataDir: data });
    await repaired.stop();
  });
});

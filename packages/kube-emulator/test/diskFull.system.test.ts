// SPDX-License-Identifier: Apache-2.0
// A full disk, for real: the data directory lives on a small tmpfs. A batch that fails part-way
// must not leave part of a record in the log, or the next batch would follow it and the
// directory would no longer load. Needs root (mount); says so and skips otherwise.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeIf } from '@chaosplane/testing';
import * as k8s from '@kubernetes/client-node';
import { startKubeEmulator, type KubeEmulator } from '../src/index.js';

const run = promisify(execFile);
describeIf(process.getuid?.() === 0 ? undefined : 'mounting a small tmpfs needs root')(
  'a full disk under --data (a real 1 MiB tmpfs)',
  () => {
    let mountpoint: string;
    let emulator: KubeEmulator | undefined;

    beforeAll(async () => {
      mountpoint = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-emulator-full-'));
      await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountpoint]);
    });
    afterAll(async () => {
      await emulator?.stop();
      await run('umount', [mountpoint]).catch(() => undefined);
      fs.rmSync(mountpoint, { recursive: true, force: true });
    });

    const core = (e: KubeEmulator) => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(e.kubeConfig);
      return kc.makeApiClient(k8s.CoreV1Api);
    };
    const configMap = (name: string, size: number) => ({
      metadata: { name },
      data: { payload: name.repeat(Math.ceil(size / name.length)).slice(0, size) },
    });

    it('refuses writes with 500 while full, keeps the log whole, and loads everything acknowledged after a restart', async () => {
      const dataDir = path.join(mountpoint, 'data');
      // Room to free later: the emulator itself never touches this file.
      const filler = path.join(mountpoint, 'filler');
      fs.writeFileSync(filler, Buffer.alloc(256 * 1024));
      emulator = await startKubeEmulator({ dataDir });
      const api = core(emulator);
      const acknowledged: string[] = [];
      let failure: unknown;
      // Records of ~10 KB that do not divide a 4 KiB page: the failing write is cut part-way.
      for (let i = 0; i < 200 && failure === undefined; i++) {
        const name = `cm-${i}`;
        try {
          await api.createNamespacedConfigMap({
            namespace: 'default',
            body: configMap(name, 10_000 + 37 * i),
          });
          acknowledged.push(name);
        } catch (error) {
          failure = error;
        }
      }
      expect(failure).toBeInstanceOf(k8s.ApiException);
      expect((failure as k8s.ApiException<unknown>).code).toBe(500);
      expect(acknowledged.length).toBeGreaterThan(10);
      // What is on disk ends on a record boundary: nothing of the failed batch is left.
      const log = fs.readFileSync(path.join(dataDir, 'store', 'wal.jsonl'));
      expect(log.at(-1)).toBe(0x0a);

      // Space comes back; writing goes on.
      fs.rmSync(filler);
      await api.createNamespacedConfigMap({ namespace: 'default', body: configMap('after-full', 1_000) });
      acknowledged.push('after-full');
      await emulator.stop();
      emulator = undefined;

      emulator = await startKubeEmulator({ dataDir });
      const names = (await core(emulator).listNamespacedConfigMap({ namespace: 'default' })).items.map(
        cm => cm.metadata!.name!,
      );
      for (const name of acknowledged) expect(names).toContain(name);
    }, 120_000);
  },
);

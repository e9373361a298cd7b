// SPDX-License-Identifier: Apache-2.0
// The PKI in a data directory: the CA is kept, the server certificate is issued again when a
// restart listens on an address it does not name.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startKubeEmulator } from '../src/index.js';
import { ensureTls } from '../src/tls.js';

describe('server certificate in a reused data directory', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-emulator-tls-'));
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the CA and re-issues the server certificate only when its names do not fit', async () => {
    const pki = path.join(dir, 'pki');
    const first = await ensureTls(pki);
    const firstCert = new X509Certificate(first.serverCert);
    expect(firstCert.checkIP('192.0.2.2')).toBeUndefined();

    const other = await ensureTls(pki, ['192.0.2.2', 'emulator.example']);
    expect(other.caCert).toBe(first.caCert);
    expect(other.serverCert).not.toBe(first.serverCert);
    const otherCert = new X509Certificate(other.serverCert);
    expect(otherCert.checkIssued(new X509Certificate(first.caCert))).toBe(true);
    expect(otherCert.checkIP('192.0.2.2')).toBe('192.0.2.2');
    expect(otherCert.checkHost('emulator.example')).toBe('emulator.example');
    for (const ip of ['127.0.0.1', '::1']) expect(otherCert.checkIP(ip)).toBeDefined();
    expect(otherCert.checkHost('localhost')).toBe('localhost');

    // A certificate that fits is kept: same hosts, or fewer.
    expect((await ensureTls(pki, ['emulator.example'])).serverCert).toBe(other.serverCert);
    expect((await ensureTls(pki)).serverCert).toBe(other.serverCert);

    // A server certificate from another CA (a copied pki/ half) is replaced too.
    const foreign = await ensureTls(path.join(dir, 'foreign'));
    fs.writeFileSync(path.join(pki, 'server.crt'), foreign.serverCert);
    fs.writeFileSync(path.join(pki, 'server.key'), foreign.serverKey);
    const healed = await ensureTls(pki);
    expect(healed.caCert).toBe(first.caCert);
    expect(new X509Certificate(healed.serverCert).checkIssued(new X509Certificate(first.caCert))).toBe(true);
  });

  it('serves TLS clients on a new listen address after a restart on the same data directory', async () => {
    const data = path.join(dir, 'data');
    const first = await startKubeEmulator({ dataDir: data });
    await first.stop();
    // 127.0.0.2 is loopback on Linux, and not in the first certificate.
    const again = await startKubeEmulator({ dataDir: data, host: '127.0.0.2' });
    try {
      expect(again.url).toMatch(/^https:\/\/127\.0\.0\.2:/);
      expect(again.caCert).toBe(first.caCert);
      const kc = new k8s.KubeConfig();
      kc.loadFromString(again.kubeConfig);
      const list = await kc.makeApiClient(k8s.CoreV1Api).listNamespace();
      expect(list.items.map(n => n.metadata!.name)).toContain('default');
    } finally {
      await again.stop();
    }
  });
});

// SPDX-License-Identifier: Apache-2.0
/**
 * Per-run PKI: a CA and a server certificate for 127.0.0.1/localhost, minted with the openssl
 * CLI (argv only). With a persistent directory the same CA is reused across restarts, so a
 * kubeconfig written earlier stays valid.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { KubeEmulatorError } from './errors.js';

const run = promisify(execFile);

/** PEM material the server and its clients need. */
export interface TlsMaterial {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

async function openssl(args: string[], cwd: string, signal?: AbortSignal): Promise<void> {
  try {
    await run('openssl', args, { cwd, signal, timeout: 30_000 });
  } catch (error) {
    throw new KubeEmulatorError('Startup', `openssl ${args[0]} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Loads the PKI from `dir`, or creates it there.
 * @param dir directory for ca.crt, ca.key, server.crt, server.key
 * @param hosts extra DNS names or IPs for the server certificate
 */
export async function ensureTls(
  dir: string,
  hosts: string[] = [],
  signal?: AbortSignal,
): Promise<TlsMaterial> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string): string => path.join(dir, name);
  if (
    fs.existsSync(file('server.crt')) &&
    fs.existsSync(file('server.key')) &&
    fs.existsSync(file('ca.crt'))
  ) {
    return {
      caCert: fs.readFileSync(file('ca.crt'), 'utf8'),
      serverCert: fs.readFileSync(file('server.crt'), 'utf8'),
      serverKey: fs.readFileSync(file('server.key'), 'utf8'),
    };
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '3650',
      '-subj',
      '/CN=kube-emulator-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
    signal,
  );
  await openssl(
    ['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-emulator'],
    dir,
    signal,
  );
  const sans = ['IP:127.0.0.1', 'IP:0:0:0:0:0:0:0:1', 'DNS:localhost', 'DNS:kubernetes.default.svc'];
  for (const h of hosts) sans.push(/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`);
  fs.writeFileSync(
    file('server.ext'),
    `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n`,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '3650',
      '-extfile',
      'server.ext',
    ],
    dir,
    signal,
  );
  return ensureTls(dir, hosts, signal);
}

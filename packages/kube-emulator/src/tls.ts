// SPDX-License-Identifier: Apache-2.0
/**
 * Per-run PKI: a CA and a server certificate for 127.0.0.1/localhost and the listen host, minted with the openssl
 * CLI (argv only). With a persistent directory the same CA is reused across restarts, so a
 * kubeconfig written earlier stays valid.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { isIP } from 'node:net';
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

/** Subject alternative names every server certificate carries, besides the listen host. */
const BASE_SANS = ['IP:127.0.0.1', 'IP:0:0:0:0:0:0:0:1', 'DNS:localhost', 'DNS:kubernetes.default.svc'];

function isIp(host: string): boolean {
  return isIP(host) !== 0;
}

/**
 * Whether a stored server certificate can serve these hosts: signed by this CA, currently valid
 * and naming localhost, 127.0.0.1, ::1 and every listen host. A data directory reused with
 * another `--listen` address must not keep a certificate clients would refuse.
 */
function serverCertFits(serverPem: string, caPem: string, hosts: string[]): boolean {
  try {
    const cert = new X509Certificate(serverPem);
    const ca = new X509Certificate(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    const now = Date.now();
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) <= now) return false;
    for (const host of ['127.0.0.1', '::1', 'localhost', ...hosts]) {
      const covered = isIp(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
      if (!covered) return false;
    }
    return true;
  } catch {
    // Unreadable PEM: issue a new one.
    return false;
  }
}

/**
 * Loads the PKI from `dir`, or creates it there. The CA is kept once created (kubeconfigs
 * written earlier stay valid); the server certificate is issued again when it does not cover
 * the hosts asked for (or localhost, 127.0.0.1, ::1).
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
  const read = (name: string): string | undefined =>
    fs.existsSync(file(name)) ? fs.readFileSync(file(name), 'utf8') : undefined;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  let caCert = read('ca.crt');
  if (!caCert || !fs.existsSync(file('ca.key'))) {
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
    caCert = fs.readFileSync(file('ca.crt'), 'utf8');
  }
  const serverCert = read('server.crt');
  const serverKey = read('server.key');
  if (serverCert && serverKey && serverCertFits(serverCert, caCert, hosts)) {
    return { caCert, serverCert, serverKey };
  }
  await openssl(
    ['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-emulator'],
    dir,
    signal,
  );
  const sans = [...BASE_SANS];
  for (const h of hosts) sans.push(isIp(h) ? `IP:${h}` : `DNS:${h}`);
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
  return {
    caCert,
    serverCert: fs.readFileSync(file('server.crt'), 'utf8'),
    serverKey: fs.readFileSync(file('server.key'), 'utf8'),
  };
}

// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { ChaosplaneError } from '@chaosplane/sdk';

const run = promisify(execFile);

/** Options of {@link mintCertificates}. */
export interface MintCertificatesOptions {
  /** Directory for the files; a new temporary directory by default (the caller removes it). */
  dir?: string;
  /** Common name of the CA; `chaosplane-ca` by default. */
  caName?: string;
  /** DNS names of the server certificate; `['localhost']` by default (dial `localhost`). */
  serverDnsNames?: string[];
  /** IP addresses of the server certificate (IP SANs), besides its DNS names; none by default. */
  serverIpAddresses?: string[];
  /** Common name of the client certificate, the identity the daemon sees; `chaosplane-controller`. */
  clientName?: string;
  /** Validity in days; 2 by default. */
  days?: number;
}

/** PEM files of a CA, a server and a client certificate (all EC P-256). */
export interface MintedCertificates {
  dir: string;
  caPem: Buffer;
  serverCertPem: Buffer;
  serverKeyPem: Buffer;
  clientCertPem: Buffer;
  clientKeyPem: Buffer;
  /** Paths of the same files: ca.crt, server.crt, server.key, client.crt, client.key. */
  files: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;

/** Throws `invalid` unless every name the certificates carry is DNS-style. */
function checkNames(caName: string, clientName: string, dnsNames: string[]): void {
  for (const [field, value] of [
    ['caName', caName],
    ['clientName', clientName],
    ...dnsNames.map((n, i) => [`serverDnsNames[${i}]`, n] as const),
  ] as const) {
    if (!NAME.test(value)) {
      throw new ChaosplaneError('invalid', `${field} ${JSON.stringify(value)} must be a DNS-style name`, {
        field,
      });
    }
  }
}

/** Runs the openssl CLI with `args` as its argv. */
function openssl(...args: string[]): Promise<unknown> {
  return run('openssl', args);
}

/** Writes a new EC P-256 private key to `keyFile`. */
function newKey(keyFile: string): Promise<unknown> {
  return openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile);
}

/** Mints the self-signed CA: ca.key and ca.crt in `dir`. */
async function mintCa(dir: string, caName: string, days: string): Promise<void> {
  await newKey(path.join(dir, 'ca.key'));
  await openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    path.join(dir, 'ca.key'),
    '-subj',
    `/CN=${caName}`,
    '-days',
    days,
    '-out',
    path.join(dir, 'ca.crt'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
}

/** Mints `<name>.key` and `<name>.crt` in `dir`, signed by its CA, with the openssl `extensions`. */
async function mintLeaf(
  dir: string,
  days: string,
  leaf: { name: string; commonName: string; extensions: string },
): Promise<void> {
  const file = (suffix: string): string => path.join(dir, `${leaf.name}.${suffix}`);
  await newKey(file('key'));
  await openssl('req', '-new', '-key', file('key'), '-subj', `/CN=${leaf.commonName}`, '-out', file('csr'));
  await writeFile(file('ext'), leaf.extensions);
  await openssl(
    'x509',
    '-req',
    '-in',
    file('csr'),
    '-CA',
    path.join(dir, 'ca.crt'),
    '-CAkey',
    path.join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    days,
    '-out',
    file('crt'),
    '-extfile',
    file('ext'),
  );
}

/** The minted files of `dir`, their paths and their contents. */
async function readMinted(dir: string): Promise<MintedCertificates> {
  const files = {
    ca: path.join(dir, 'ca.crt'),
    serverCert: path.join(dir, 'server.crt'),
    serverKey: path.join(dir, 'server.key'),
    clientCert: path.join(dir, 'client.crt'),
    clientKey: path.join(dir, 'client.key'),
  };
  return {
    dir,
    files,
    caPem: await readFile(files.ca),
    serverCertPem: await readFile(files.serverCert),
    serverKeyPem: await readFile(files.serverKey),
    clientCertPem: await readFile(files.clientCert),
    clientKeyPem: await readFile(files.clientKey),
  };
}

/**
 * Mints a throwaway CA plus a server certificate (SAN DNS names, serverAuth) and a client
 * certificate (CN = identity, clientAuth) with the openssl CLI, called with argv arrays. Used by
 * tests, benchmarks and the operator's local `dev` mode; never for production certificates.
 */
export async function mintCertificates(options: MintCertificatesOptions = {}): Promise<MintedCertificates> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'chaosplane-certs-')));
  await mkdir(dir, { recursive: true });
  const caName = options.caName ?? 'chaosplane-ca';
  const dnsNames = options.serverDnsNames ?? ['localhost'];
  const clientName = options.clientName ?? 'chaosplane-controller';
  const days = String(options.days ?? 2);
  checkNames(caName, clientName, dnsNames);
  const ips = options.serverIpAddresses ?? [];
  for (const [i, ip] of ips.entries())
    if (isIP(ip) === 0)
      throw new ChaosplaneError(
        'invalid',
        `serverIpAddresses[${i}] ${JSON.stringify(ip)} is not an IP address`,
        {
          field: `serverIpAddresses[${i}]`,
        },
      );
  const sans = [...dnsNames.map(n => `DNS:${n}`), ...ips.map(ip => `IP:${ip}`)];
  await mintCa(dir, caName, days);
  await mintLeaf(dir, days, {
    name: 'server',
    commonName: dnsNames[0] ?? 'localhost',
    extensions: `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`,
  });
  await mintLeaf(dir, days, {
    name: 'client',
    commonName: clientName,
    extensions: 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n',
  });
  return readMinted(dir);
}

// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
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
  const file = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args);
  const newKey = (name: string): Promise<unknown> =>
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(name));

  await newKey('ca.key');
  await openssl(
    'req',
    '-x509',
    '-new',
    '-key',
    file('ca.key'),
    '-subj',
    `/CN=${caName}`,
    '-days',
    days,
    '-out',
    file('ca.crt'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const leaf = async (name: string, commonName: string, extensions: string): Promise<void> => {
    await newKey(`${name}.key`);
    await openssl(
      'req',
      '-new',
      '-key',
      file(`${name}.key`),
      '-subj',
      `/CN=${commonName}`,
      '-out',
      file(`${name}.csr`),
    );
    await writeFile(file(`${name}.ext`), extensions);
    await openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      days,
      '-out',
      file(`${name}.crt`),
      '-extfile',
      file(`${name}.ext`),
    );
  };
  await leaf(
    'server',
    dnsNames[0] ?? 'localhost',
    `subjectAltName=${dnsNames.map(n => `DNS:${n}`).join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`,
  );
  await leaf('client', clientName, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');

  const files = {
    ca: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
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

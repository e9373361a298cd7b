// SPDX-License-Identifier: Apache-2.0
/** Test helpers: start an emulator and a client-node KubeConfig for it. */
import { afterAll, beforeAll } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type KubeEmulator, type KubeEmulatorOptions, startKubeEmulator } from '../src/index.js';

export interface Harness {
  emulator: KubeEmulator;
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
}

/** Starts an emulator on 127.0.0.1:0 and a KubeConfig loaded from its kubeconfig string. */
export async function startHarness(options: KubeEmulatorOptions = {}): Promise<Harness> {
  const emulator = await startKubeEmulator(options);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(emulator.kubeConfig);
  return { emulator, kc, core: kc.makeApiClient(k8s.CoreV1Api) };
}

/** A CoreV1Api client for a kubeconfig given as YAML text. */
export function coreApiFor(kubeConfig: string): k8s.CoreV1Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeConfig);
  return kc.makeApiClient(k8s.CoreV1Api);
}

/** The HTTP status of a client-node ApiException (or undefined). */
export function statusOf(error: unknown): number | undefined {
  return (error as { code?: number }).code;
}

/** The parsed Status body of a client-node ApiException. */
export function bodyOf(error: unknown): any {
  const body = (error as { body?: unknown }).body;
  return typeof body === 'string' ? JSON.parse(body) : body;
}

/** Awaits a promise that must reject; returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** Whether `read` fails with 404 (other errors are thrown). */
export async function gone(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return false;
  } catch (error) {
    if (statusOf(error) === 404) return true;
    throw error;
  }
}

/** A raw HTTPS request against the emulator (for things typed clients cannot send). */
export async function raw(
  emulator: KubeEmulator,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  body: string;
  json: any;
  headers: Record<string, string | string[] | undefined>;
}> {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    const base = new URL(emulator.url);
    // The path goes out as written (a URL would resolve `..` and `.` segments on the client).
    const req = https.request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method,
        ca: emulator.caCert,
        headers: {
          Authorization: `Bearer ${emulator.token}`,
          // Node's client sends no length for a DELETE body on its own; real clients do.
          ...(body !== undefined
            ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }
            : {}),
          ...headers,
        },
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: text, json, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export const podSpec = { containers: [{ name: 'main', image: 'busybox:1.36' }] };

/** A temporary directory a suite creates and removes; see {@link useScratchDir}. */
export interface ScratchDir {
  /** Makes the directory (call from `beforeAll`). */
  create(): void;
  /** The directory (once `create` has run). */
  dir(): string;
  /** Removes the directory and everything in it. */
  remove(): void;
}

/** A scratch directory under the system temp dir, named `prefix` + random; the caller runs the hooks. */
export function scratchDir(prefix: string): ScratchDir {
  let dir: string | undefined;
  return {
    create() {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    },
    dir() {
      if (dir === undefined) throw new Error('the scratch directory exists once beforeAll has run');
      return dir;
    },
    remove() {
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A scratch directory made in `beforeAll` and removed in `afterAll`. Call inside a `describe`. */
export function useScratchDir(prefix: string): Pick<ScratchDir, 'dir'> {
  const scratch = scratchDir(prefix);
  beforeAll(() => scratch.create());
  afterAll(() => scratch.remove());
  return { dir: scratch.dir };
}

// SPDX-License-Identifier: Apache-2.0
// Robustness: 10,000 random or malformed requests. Each gets the status code the apiserver
// would answer with and a Status body with a message; the server never crashes or answers 500.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { type KubeEmulator, startKubeEmulator } from '../src/index.js';
import { widgetCrd } from './fixtures.js';

interface Probe {
  category: string;
  method: string;
  path: string;
  body?: string | Buffer;
  contentType?: string;
  token?: string;
  expected: number;
}

const alnum = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')),
  minLength: 1,
  maxLength: 12,
});
const junk = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 });

function notJson(s: string): boolean {
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
}

let unique = 0;

function isStatusBody(text: string): boolean {
  try {
    return (JSON.parse(text) as { kind?: string }).kind === 'Status';
  } catch {
    return false;
  }
}

function probes(): fc.Arbitrary<Probe> {
  const cm = '/api/v1/namespaces/default/configmaps';
  const widgets = '/apis/example.com/v1/namespaces/default/widgets';
  return fc.oneof(
    junk
      .filter(s => notJson(s) && s.trim() !== '')
      .map(body => ({ category: 'bad JSON', method: 'POST', path: cm, body, expected: 400 })),
    fc
      .constantFrom('[1,2]', '42', '"text"', 'true')
      .map(body => ({ category: 'not an object', method: 'POST', path: cm, body, expected: 400 })),
    alnum.map(s => ({
      category: 'bad YAML',
      method: 'POST',
      path: cm,
      body: `metadata: {name: "${s}\n`,
      contentType: 'application/yaml',
      expected: 400,
    })),
    fc.tuple(alnum, alnum).map(([g, r]) => ({
      category: 'unknown group',
      method: 'GET',
      path: `/apis/${g}.nope.io/v1/${r}`,
      expected: 404,
    })),
    alnum.map(r => ({
      category: 'unknown core resource',
      method: 'GET',
      path: `/api/v1/namespaces/default/zz${r}`,
      expected: 404,
    })),
    fc.tuple(alnum, fc.constantFrom('_', 'A', '!', ' ', '..', '-')).map(([s, bad]) => ({
      category: 'invalid name',
      method: 'POST',
      path: cm,
      body: JSON.stringify({ metadata: { name: `${s}${bad}` } }),
      expected: 422,
    })),
    fc
      .oneof(
        fc.integer({ min: 11, max: 1e6 }),
        fc.integer({ max: 0 }),
        alnum,
        fc.double({ min: 1.1, max: 9.9, noInteger: true }),
      )
      .map(size => ({
        category: 'schema violation',
        method: 'POST',
        path: widgets,
        body: JSON.stringify({
          apiVersion: 'example.com/v1',
          kind: 'Widget',
          metadata: { name: `w${unique++}` },
          spec: { size },
        }),
        expected: 422,
      })),
    fc.constantFrom('Secret', 'Pod', 'Banana').map(kind => ({
      category: 'kind mismatch',
      method: 'POST',
      path: cm,
      body: JSON.stringify({ apiVersion: 'v1', kind, metadata: { name: 'x' } }),
      expected: 400,
    })),
    fc.tuple(alnum, fc.constantFrom('in (', 'notin', 'in (a', '==!', '!=!', 'in ()')).map(([k, op]) => ({
      category: 'bad label selector',
      method: 'GET',
      path: `${cm}?labelSelector=${encodeURIComponent(`${k} ${op}`)}`,
      expected: 400,
    })),
    alnum.map(f => ({
      category: 'bad field selector',
      method: 'GET',
      path: `${cm}?fieldSelector=${encodeURIComponent(`spec.${f}=x`)}`,
      expected: 400,
    })),
    fc.constantFrom('{"op":"add"}', '[1]', '[{"op":1,"path":"/a"}]', '"text"').map(body => ({
      category: 'malformed JSON patch',
      method: 'PATCH',
      path: `${cm}/target`,
      body,
      contentType: 'application/json-patch+json',
      expected: 400,
    })),
    // The apiserver's JSON patch library fails an unknown or missing op when it applies the
    // patch, which the apiserver answers with 422 (not at decoding).
    fc.constantFrom('[{"op":"explode","path":"/a"}]', '[{"path":"/a"}]').map(body => ({
      category: 'JSON patch with an unknown op',
      method: 'PATCH',
      path: `${cm}/target`,
      body,
      contentType: 'application/json-patch+json',
      expected: 422,
    })),
    alnum.map(k => ({
      category: 'JSON patch that does not apply',
      method: 'PATCH',
      path: `${cm}/target`,
      body: JSON.stringify([{ op: 'remove', path: `/data/missing-${k}` }]),
      contentType: 'application/json-patch+json',
      expected: 422,
    })),
    fc
      .constantFrom(
        { method: 'POST', path: `${cm}/target` },
        { method: 'PUT', path: cm },
        { method: 'PATCH', path: cm },
      )
      .map(p => ({ category: 'method not allowed', ...p, body: '{}', expected: 405 })),
    fc
      .constantFrom('limit=abc', 'dryRun=Some', 'timeoutSeconds=x&watch=true', 'fieldValidation=Loose')
      .map(q => ({
        category: 'bad query parameter',
        method: q.startsWith('dryRun') || q.startsWith('fieldValidation') ? 'POST' : 'GET',
        path: `${cm}?${q}`,
        body:
          q.startsWith('dryRun') || q.startsWith('fieldValidation')
            ? JSON.stringify({ metadata: { name: 'q' } })
            : undefined,
        expected: 400,
      })),
    alnum.map(t => ({ category: 'bad token', method: 'GET', path: cm, token: t, expected: 401 })),
    // Custom resources take no protobuf (415); built-in kinds do, and a body that does not
    // decode is the decoder's 400.
    fc.constant({
      category: 'protobuf body for a custom resource',
      method: 'POST',
      path: widgets,
      body: Buffer.from([0x6b, 0x38, 0x73, 0x00, 1, 2]),
      contentType: 'application/vnd.kubernetes.protobuf',
      expected: 415,
    }),
    fc
      .constantFrom(
        [0x6b, 0x38, 0x73, 0x00, 1, 2],
        [0x6b, 0x38, 0x73],
        [0x7b, 0x7d],
        [0x6b, 0x38, 0x73, 0x00, 0x0a, 0x7f],
      )
      .map(bytes => ({
        category: 'malformed protobuf body',
        method: 'POST',
        path: cm,
        body: Buffer.from(bytes),
        contentType: 'application/vnd.kubernetes.protobuf',
        expected: 400,
      })),
    fc.constant({
      category: 'patch media type',
      method: 'PATCH',
      path: `${cm}/target`,
      body: '{}',
      contentType: 'text/plain',
      expected: 415,
    }),
    fc.constant({
      category: 'strategic patch on a custom resource',
      method: 'PATCH',
      path: `${widgets}/anything`,
      body: '{}',
      contentType: 'application/strategic-merge-patch+json',
      expected: 415,
    }),
    alnum.map(n => ({
      category: 'missing object',
      method: 'GET',
      path: `${cm}/missing-${n}`,
      expected: 404,
    })),
    alnum.map(n => ({
      category: 'missing namespace',
      method: 'POST',
      path: `/api/v1/namespaces/nope-${n}/configmaps`,
      body: JSON.stringify({ metadata: { name: 'x' } }),
      expected: 404,
    })),
    alnum.map(n => ({
      category: 'valid create',
      method: 'POST',
      path: cm,
      body: JSON.stringify({ metadata: { name: `ok-${unique++}-${n}` } }),
      expected: 201,
    })),
    fc.integer({ min: 1001, max: 20_000 }).map(depth => ({
      category: 'deep nesting',
      method: 'POST',
      path: cm,
      body: `{"metadata":{"name":"deep"},"data":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      expected: 400,
    })),
    fc.constant({
      category: 'duplicate create',
      method: 'POST',
      path: cm,
      body: JSON.stringify({ metadata: { name: 'target' } }),
      expected: 409,
    }),
    fc.constant({
      category: 'stale update',
      method: 'PUT',
      path: `${cm}/target`,
      body: JSON.stringify({ metadata: { name: 'target', resourceVersion: '1' } }),
      expected: 409,
    }),
    fc.constant({
      category: 'name mismatch',
      method: 'PUT',
      path: `${cm}/target`,
      body: JSON.stringify({ metadata: { name: 'other' } }),
      expected: 400,
    }),
  );
}

describe('robustness', () => {
  let emulator: KubeEmulator;
  let agent: https.Agent;
  const internalErrors: string[] = [];

  function send(p: Probe): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Authorization: `Bearer ${p.token ?? emulator.token}` };
      if (p.body !== undefined) {
        headers['Content-Type'] = p.contentType ?? 'application/json';
        // Node's client sends no length for a GET/DELETE body; real clients do.
        headers['Content-Length'] = String(Buffer.byteLength(p.body));
      }
      const base = new URL(emulator.url);
      // Raw path (not resolved as a URL), so `//x` and `%zz` reach the server as sent.
      const req = https.request(
        { host: base.hostname, port: base.port, path: p.path, method: p.method, agent, headers },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      req.on('error', reject);
      if (p.body !== undefined) req.write(p.body);
      req.end();
    });
  }

  beforeAll(async () => {
    emulator = await startKubeEmulator({
      log: line => (line.startsWith('internal error') ? internalErrors.push(line) : undefined),
    });
    agent = new https.Agent({ ca: emulator.caCert, keepAlive: true, maxSockets: 8 });
    await send({
      category: 'setup',
      method: 'POST',
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      body: JSON.stringify(widgetCrd),
      expected: 201,
    });
    await send({
      category: 'setup',
      method: 'POST',
      path: '/api/v1/namespaces/default/configmaps',
      body: JSON.stringify({ metadata: { name: 'target' }, data: { a: 'b' } }),
      expected: 201,
    });
  });
  afterAll(async () => {
    agent.destroy();
    await emulator.stop();
  });

  it('answers 10,000 random and malformed requests like the apiserver, without crashing', async () => {
    const all = fc.sample(probes(), { numRuns: 10_000, seed: 20261127 });
    const mismatches: string[] = [];
    const byCategory = new Map<string, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let p = all[next++]; p !== undefined; p = all[next++]) {
          byCategory.set(p.category, (byCategory.get(p.category) ?? 0) + 1);
          const res = await send(p);
          if (res.status !== p.expected) {
            mismatches.push(
              `${p.category}: ${p.method} ${p.path} -> ${res.status} (expected ${p.expected}): ${res.body.slice(0, 200)}`,
            );
            continue;
          }
          if (res.status >= 400) {
            const status = JSON.parse(res.body) as {
              kind: string;
              code: number;
              message: string;
              status: string;
              reason: string;
            };
            if (
              status.kind !== 'Status' ||
              status.code !== res.status ||
              status.status !== 'Failure' ||
              !status.message ||
              !status.reason
            ) {
              mismatches.push(`${p.category}: not a proper Status body: ${res.body.slice(0, 200)}`);
            }
          }
        }
      }),
    );
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(internalErrors).toEqual([]);
    expect(byCategory.size).toBeGreaterThanOrEqual(20);

    // Oversized bodies get 413.
    const huge = await send({
      category: 'too large',
      method: 'POST',
      path: '/api/v1/namespaces/default/configmaps',
      body: Buffer.alloc(3 * 1024 * 1024 + 10, 0x20),
      expected: 413,
    });
    expect(huge.status).toBe(413);

    // Unstructured noise: random methods, paths built from API words and junk, random bodies.
    // Nothing may answer 5xx, and every error is a Status.
    const word = fc.constantFrom(
      'api',
      'apis',
      'v1',
      'namespaces',
      'default',
      'pods',
      'configmaps',
      'status',
      'watch',
      'example.com',
      'widgets',
      'binding',
      'finalize',
      '%',
      '%zz',
      '..',
      '',
      'openapi',
      'v3',
      'v2',
      'version',
    );
    const noise = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
      segments: fc.array(fc.oneof(word, alnum), { maxLength: 7 }),
      query: fc.constantFrom(
        '',
        '?watch=1&timeoutSeconds=1',
        '?limit=-1',
        '?labelSelector=%ZZ',
        '?continue=abc',
        '?resourceVersion=999999999',
        '?dryRun=All',
        '?fieldSelector=metadata.name%3D',
      ),
      body: fc.option(
        fc.oneof(
          junk,
          fc.jsonValue().map(v => JSON.stringify(v)),
          // Protobuf-looking bodies: the magic and random bytes for the envelope.
          fc
            .uint8Array({ maxLength: 64 })
            .map(b => Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from(b)])),
        ),
        { nil: undefined },
      ),
      contentType: fc.constantFrom(
        'application/json',
        'application/yaml',
        'application/merge-patch+json',
        'application/json-patch+json',
        'application/strategic-merge-patch+json',
        'application/apply-patch+yaml',
        'application/vnd.kubernetes.protobuf',
        'text/plain',
      ),
    });
    const noisy = fc.sample(noise, { numRuns: 3000, seed: 7 });
    const serverErrors: string[] = [];
    let n = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let r = noisy[n++]; r !== undefined; r = noisy[n++]) {
          const path = `/${r.segments.join('/')}${r.query}`;
          let res: { status: number; body: string };
          try {
            res = await send({
              category: 'noise',
              method: r.method,
              path,
              body: r.body,
              contentType: r.contentType,
              expected: 0,
            });
          } catch (error) {
            serverErrors.push(`${r.method} ${path} (${r.contentType}) -> ${(error as Error).message}`);
            continue;
          }
          const isStatus = res.status < 400 || r.method === 'HEAD' || isStatusBody(res.body);
          if (res.status >= 500 || !isStatus)
            serverErrors.push(
              `${r.method} ${path} [${r.contentType} ${JSON.stringify(r.body)}] -> ${res.status}: ${res.body.slice(0, 160)}`,
            );
        }
      }),
    );
    expect(serverErrors.slice(0, 10)).toEqual([]);
    expect(internalErrors).toEqual([]);

    // Bytes that are not HTTP at all get a Status too, from the server's parser-error path.
    const garbage = await new Promise<string>((resolve, reject) => {
      const base = new URL(emulator.url);
      const socket = tls.connect({ host: base.hostname, port: Number(base.port), ca: emulator.caCert }, () =>
        socket.write('NOT HTTP AT ALL\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(garbage).toContain('"kind":"Status"');

    const health = await send({ category: 'health', method: 'GET', path: '/readyz', expected: 200 });
    expect(health.status).toBe(200);
  }, 120_000);
});

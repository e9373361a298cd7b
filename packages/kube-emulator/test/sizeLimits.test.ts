// SPDX-License-Identifier: Apache-2.0
// Size limits, as a 1.32 apiserver with etcd applies them: a request body over 3 MiB is a 413,
// a ConfigMap's or a Secret's data over 1 MiB is a 422 from validation, and an object over
// etcd's 1.5 MiB request limit is refused when it would be stored (the apiserver passes etcd's
// error on as a 500; the emulator answers 413 with etcd's words). A dry run stores nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Harness, raw, startHarness } from './support.js';

const NS = '/api/v1/namespaces/default';
const MiB = 1024 * 1024;

describe('size limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.emulator.stop());

  const create = (plural: string, body: unknown, query = '') =>
    raw(h.emulator, 'POST', `${NS}/${plural}${query}`, JSON.stringify(body));

  it('refuses a 2 MiB ConfigMap with the validation’s 422 on the whole object', async () => {
    const res = await create('configmaps', { metadata: { name: 'big' }, data: { a: 'x'.repeat(2 * MiB) } });
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
      message: 'ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes',
      details: {
        name: 'big',
        kind: 'ConfigMap',
        causes: [
          {
            reason: 'FieldValueTooLong',
            message: 'Too long: may not be more than 1048576 bytes',
            field: '[]',
          },
        ],
      },
    });
    expect((await raw(h.emulator, 'GET', `${NS}/configmaps/big`)).status).toBe(404);
  });

  it('counts data and decoded binaryData together, and takes exactly 1 MiB', async () => {
    const half = Buffer.alloc(MiB / 2 + 1, 7).toString('base64');
    const both = await create('configmaps', {
      metadata: { name: 'both' },
      data: { a: 'x'.repeat(MiB / 2) },
      binaryData: { b: half },
    });
    expect(both.status).toBe(422);
    expect(both.json.details.causes[0].field).toBe('[]');
    const exact = await create('configmaps', { metadata: { name: 'exact' }, data: { a: 'x'.repeat(MiB) } });
    expect(exact.status).toBe(201);
  });

  it('refuses a Secret whose decoded data passes 1 MiB, on the field data', async () => {
    const res = await create('secrets', {
      metadata: { name: 'big' },
      data: { a: Buffer.alloc(MiB + 1, 1).toString('base64') },
    });
    expect(res.status).toBe(422);
    expect(res.json.message).toBe(
      'Secret "big" is invalid: data: Too long: may not be more than 1048576 bytes',
    );
    const fits = await create('secrets', {
      metadata: { name: 'fits' },
      data: { a: Buffer.alloc(MiB, 1).toString('base64') },
    });
    expect(fits.status).toBe(201);
  });

  it('refuses to store an object larger than etcd takes (1.5 MiB), but not in a dry run', async () => {
    const pod = {
      metadata: { name: 'huge' },
      spec: {
        containers: [{ name: 'c', image: 'busybox', env: [{ name: 'A', value: 'x'.repeat(1.6 * MiB) }] }],
      },
    };
    const dry = await create('pods', pod, '?dryRun=All');
    expect(dry.status).toBe(201);
    const res = await create('pods', pod);
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({
      kind: 'Status',
      reason: 'RequestEntityTooLarge',
      code: 413,
      message: 'etcdserver: request is too large',
    });
    expect((await raw(h.emulator, 'GET', `${NS}/pods/huge`)).status).toBe(404);
  });

  it('refuses a body over 3 MiB before reading it all', async () => {
    const res = await create('configmaps', { metadata: { name: 'body' }, data: { a: 'x'.repeat(3 * MiB) } });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({
      reason: 'RequestEntityTooLarge',
      message: 'Request entity too large: limit is 3145728',
    });
  });
});

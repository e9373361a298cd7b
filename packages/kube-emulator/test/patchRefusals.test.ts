// SPDX-License-Identifier: Apache-2.0
// Patches answered as a 1.32 apiserver answers them. JSON patch: decoding errors are 400s in
// its JSON decoder's words, an operation that does not apply is a 422 with the generic message
// (the apiserver drops its library's), more than 10,000 operations a 413; pointers are unescaped
// as its library does (`~1`, `~0` only), so `/~2` is the key `~2`: missing for a replace (422),
// an unknown field for an add (refused with fieldValidation=Strict, dropped otherwise).
// Strategic merge patch: a `$patch` directive other than replace and delete is refused.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Harness, raw, startHarness } from './support.js';

const CM = '/api/v1/namespaces/default/configmaps';
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };

describe('JSON patch', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const res = await raw(
      h.emulator,
      'POST',
      CM,
      JSON.stringify({ metadata: { name: 'cm' }, data: { a: 'b' } }),
    );
    expect(res.status).toBe(201);
  });
  afterAll(() => h.emulator.stop());

  const patch = (ops: unknown, query = '') =>
    raw(h.emulator, 'PATCH', `${CM}/cm${query}`, JSON.stringify(ops), JSON_PATCH);

  it('answers an operation that does not apply with the generic 422', async () => {
    for (const ops of [
      [{ op: 'replace', path: '/data/~2', value: 'x' }],
      [{ op: 'remove', path: '/data/missing' }],
      [{ op: 'test', path: '/data/a', value: 'c' }],
      [{ op: 'add', path: '/data/missing/deeper', value: 'x' }],
      [{ op: 'explode', path: '/data/a' }],
      [{ path: '/data/a' }],
      [{ op: 'move', from: '/nope', path: '/data/b' }],
    ]) {
      const res = await patch(ops);
      expect({ ops, status: res.status }).toEqual({ ops, status: 422 });
      expect(res.json).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the server rejected our request due to an error in our request',
        reason: 'Invalid',
        details: {},
        code: 422,
      });
    }
    expect((await raw(h.emulator, 'GET', `${CM}/cm`)).json.data).toEqual({ a: 'b' });
  });

  it('unescapes pointers as Kubernetes does: /~2 is the key "~2"', async () => {
    const strict = await patch([{ op: 'add', path: '/~2', value: 'x' }], '?fieldValidation=Strict');
    expect(strict.status).toBe(422);
    expect(strict.json.reason).toBe('Invalid');
    expect(strict.json.details.causes).toEqual([
      expect.objectContaining({ field: 'patch', reason: 'FieldValueInvalid' }),
    ]);
    expect(strict.json.details.causes[0].message).toContain('strict decoding error: unknown field "~2"');
    // Without Strict an unknown field is dropped.
    const lenient = await patch([{ op: 'add', path: '/~2', value: 'x' }]);
    expect(lenient.status).toBe(200);
    expect(lenient.json['~2']).toBeUndefined();
    // A data key "~2" is a ConfigMap key the validation refuses.
    const key = await patch([{ op: 'add', path: '/data/~2', value: 'x' }]);
    expect(key.status).toBe(422);
    expect(key.json.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        message: expect.stringContaining('Invalid value: "~2": a valid config key must consist of'),
        field: 'data[~2]',
      },
    ]);
    const escaped = await patch([{ op: 'add', path: '/data/x~1y~0z', value: 'v' }]);
    expect(escaped.status).toBe(422);
    expect(escaped.json.details.causes[0].field).toBe('data[x/y~z]');
  });

  it('answers a body that is not a list of operations with the decoder’s 400', async () => {
    for (const [ops, message] of [
      [{ op: 'add' }, 'json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp'],
      [[1], 'json: cannot unmarshal number into Go value of type handlers.jsonPatchOp'],
      [
        [{ op: 'add', path: 5 }],
        'json: cannot unmarshal number into Go struct field jsonPatchOp.path of type string',
      ],
      ['text', 'json: cannot unmarshal string into Go value of type []handlers.jsonPatchOp'],
    ] as const) {
      const res = await patch(ops);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ reason: 'BadRequest', message: `error decoding patch: ${message}` });
    }
  });

  it('takes at most 10,000 operations', async () => {
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/data/a', value: 'b' }));
    const res = await patch(ops);
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({
      reason: 'RequestEntityTooLarge',
      message: 'The allowed maximum operations in a JSON patch is 10000, got 10001',
    });
    const fine = await patch(ops.slice(0, 10_000));
    expect(fine.status).toBe(200);
  });
});

describe('strategic merge patch directives', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    const res = await raw(
      h.emulator,
      'POST',
      '/api/v1/namespaces/default/pods',
      JSON.stringify({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }),
    );
    expect(res.status).toBe(201);
  });
  afterAll(() => h.emulator.stop());

  const smp = (body: unknown) =>
    raw(h.emulator, 'PATCH', '/api/v1/namespaces/default/pods/p', JSON.stringify(body), {
      'Content-Type': 'application/strategic-merge-patch+json',
    });

  it('refuses an unknown $patch directive with the apiserver’s message', async () => {
    const res = await smp({ metadata: { labels: { $patch: 'explode', a: 'b' } } });
    // The apiserver answers this error with a 500 (it is not a status error); the emulator
    // keeps its message and answers 400.
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      message: 'unknown patch type: explode in map: map[$patch:explode a:b]',
    });
    const top = await smp({ $patch: 'explode' });
    expect(top.json.message).toBe('unknown patch type: explode in map: map[$patch:explode]');
    // Only replace and delete exist for a map; merge is not one of them.
    expect((await smp({ metadata: { labels: { $patch: 'merge' } } })).status).toBe(400);
    expect(
      (await raw(h.emulator, 'GET', '/api/v1/namespaces/default/pods/p')).json.metadata.labels,
    ).toBeUndefined();
  });

  it('refuses unknown directives in merged lists', async () => {
    const list = await smp({ spec: { containers: [{ name: 'c', $patch: 'explode' }] } });
    expect(list.status).toBe(400);
    expect(list.json.message).toBe('unknown patch type: explode in map: map[$patch:explode name:c]');
    const merge = await smp({ spec: { containers: [{ name: 'c', $patch: 'merge' }] } });
    expect(merge.json.message).toBe('merging lists cannot yet be specified in the patch');
  });

  it('still applies replace and delete', async () => {
    const res = await smp({ metadata: { labels: { a: 'b', c: 'd' } } });
    expect(res.status).toBe(200);
    const replaced = await smp({ metadata: { labels: { $patch: 'replace', e: 'f' } } });
    expect(replaced.json.metadata.labels).toEqual({ e: 'f' });
    const deleted = await smp({ metadata: { labels: { $patch: 'delete' } } });
    expect(deleted.json.metadata.labels).toBeUndefined();
  });
});

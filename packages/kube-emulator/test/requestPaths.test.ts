// SPDX-License-Identifier: Apache-2.0
// Request paths are taken as the apiserver takes them: percent-decoded, split on `/`, never
// normalised. `.` and `..` segments and encoded slashes are refused (404 where no route matches,
// 400 where they would be a name) and never reach another resource.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Harness, raw, startHarness } from './support.js';

describe('request paths', () => {
  let h: Harness;
  const ns = '/api/v1/namespaces/default';

  beforeAll(async () => {
    h = await startHarness();
    for (const [plural, body] of [
      ['secrets', { metadata: { name: 'keep' }, data: { a: 'Yg==' } }],
      ['configmaps', { metadata: { name: 'keep' }, data: { a: 'b' } }],
    ] as const) {
      const res = await raw(h.emulator, 'POST', `${ns}/${plural}`, JSON.stringify(body));
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => h.emulator.stop());

  it('does not resolve `..` onto another resource (DELETE configmaps/../secrets/NAME)', async () => {
    for (const path of [
      `${ns}/configmaps/../secrets/keep`,
      `${ns}/configmaps/%2e%2e/secrets/keep`,
      `${ns}/configmaps/./../secrets/keep`,
      `${ns}/configmaps/..%2Fsecrets%2Fkeep`,
      `${ns}/configmaps/keep/../../secrets/keep`,
    ]) {
      const res = await raw(h.emulator, 'DELETE', path);
      expect({ path, status: res.status, reason: res.json?.reason }).toEqual({
        path,
        status: 404,
        reason: 'NotFound',
      });
      expect(res.json.message).toBe('the server could not find the requested resource');
    }
    // `configmaps/../secrets` is configmaps/NAME/SUBRESOURCE with an unserved subresource.
    const collection = await raw(h.emulator, 'DELETE', `${ns}/configmaps/../secrets`);
    expect(collection.status).toBe(404);
    expect((await raw(h.emulator, 'GET', `${ns}/secrets/keep`)).status).toBe(200);
    expect((await raw(h.emulator, 'GET', `${ns}/configmaps/keep`)).status).toBe(200);
  });

  it('answers `.` and `..` as names with the registry key function’s 400', async () => {
    for (const [method, name, why] of [
      ['GET', '..', "may not be '..'"],
      ['DELETE', '..', "may not be '..'"],
      ['GET', '.', "may not be '.'"],
      ['GET', '%2e%2e', "may not be '..'"],
      ['PUT', '..', "may not be '..'"],
      ['GET', 'a%25b', "may not contain '%'"],
    ] as const) {
      const res = await raw(
        h.emulator,
        method,
        `${ns}/configmaps/${name}`,
        method === 'PUT' ? '{}' : undefined,
      );
      const decoded = decodeURIComponent(name);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({
        kind: 'Status',
        reason: 'BadRequest',
        message: `Name parameter invalid: ${JSON.stringify(decoded)}: ${why}`,
      });
    }
  });

  it('splits encoded slashes as the apiserver does, so they cannot reach a resource of another name', async () => {
    // `keep%2Fstatus` is keep/status: a subresource ConfigMaps do not have.
    expect((await raw(h.emulator, 'GET', `${ns}/configmaps/keep%2Fstatus`)).status).toBe(404);
    expect((await raw(h.emulator, 'GET', `${ns}/configmaps/ke%2Fep`)).status).toBe(404);
    expect((await raw(h.emulator, 'GET', `${ns}/configmaps/keep`)).status).toBe(200);
    // An empty segment inside the path matches no route.
    expect((await raw(h.emulator, 'GET', `${ns}//configmaps/keep`)).status).toBe(404);
  });

  it('answers an unserved subresource with 404 for every verb, a served one with 405 for a verb it does not take', async () => {
    expect((await raw(h.emulator, 'DELETE', `${ns}/configmaps/keep/status`)).status).toBe(404);
    expect((await raw(h.emulator, 'POST', `${ns}/configmaps/keep/binding`, '{}')).status).toBe(404);
    const pod = await raw(
      h.emulator,
      'POST',
      `${ns}/pods`,
      JSON.stringify({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }),
    );
    expect(pod.status).toBe(201);
    const deleteStatus = await raw(h.emulator, 'DELETE', `${ns}/pods/p/status`);
    expect(deleteStatus.status).toBe(405);
    expect(deleteStatus.json.reason).toBe('MethodNotAllowed');
    expect((await raw(h.emulator, 'GET', `${ns}/pods/p/status`)).status).toBe(200);
  });
});

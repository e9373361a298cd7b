// SPDX-License-Identifier: Apache-2.0
// A CRD version's schema is compiled once and used for every write; a CRD written again with
// another schema is validated with the new one at once (the compiled validator is keyed by the
// schema object, which a CRD update replaces).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { specCrd } from './fixtures.js';
import { type Harness, raw, startHarness } from './support.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const LABELS = '/apis/example.com/v1/namespaces/default/labels';

const labelCrd = (maxLength: number, resourceVersion?: string) =>
  specCrd('example.com', 'labels', { text: { type: 'string', maxLength } }, resourceVersion);

const label = (name: string, text: string) =>
  JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Label', metadata: { name }, spec: { text } });

describe('a custom resource schema changed by a CRD update', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    expect((await raw(h.emulator, 'POST', CRDS, JSON.stringify(labelCrd(3)))).status).toBe(201);
  });
  afterAll(() => h.emulator.stop());

  it('validates the next write with the new schema, in both directions', async () => {
    const tooLong = await raw(h.emulator, 'POST', LABELS, label('a', 'four'));
    expect(tooLong.status).toBe(422);
    expect(tooLong.json.details.causes).toEqual([
      { reason: 'FieldValueTooLong', field: 'spec.text', message: 'Too long: may not be more than 3 bytes' },
    ]);
    // Written many times with the same schema: one compiled validator, the same verdict.
    for (let i = 0; i < 5; i++)
      expect((await raw(h.emulator, 'POST', LABELS, label(`ok-${i}`, 'abc'))).status).toBe(201);

    const current = await raw(h.emulator, 'GET', `${CRDS}/labels.example.com`);
    const loosened = labelCrd(5, current.json.metadata.resourceVersion);
    expect(
      (await raw(h.emulator, 'PUT', `${CRDS}/labels.example.com`, JSON.stringify(loosened))).status,
    ).toBe(200);
    expect((await raw(h.emulator, 'POST', LABELS, label('b', 'four'))).status).toBe(201);

    const again = await raw(h.emulator, 'GET', `${CRDS}/labels.example.com`);
    const tightened = labelCrd(2, again.json.metadata.resourceVersion);
    expect(
      (await raw(h.emulator, 'PUT', `${CRDS}/labels.example.com`, JSON.stringify(tightened))).status,
    ).toBe(200);
    const refused = await raw(h.emulator, 'POST', LABELS, label('c', 'abc'));
    expect(refused.status).toBe(422);
    expect(refused.json.details.causes[0].message).toBe('Too long: may not be more than 2 bytes');
  });
});

// SPDX-License-Identifier: Apache-2.0
// ListOptions are checked as the apiserver checks them: resourceVersionMatch needs a
// resourceVersion and no continue token, takes Exact or NotOlderThan on a list and only
// NotOlderThan (with sendInitialEvents) on a watch; every violation is a 422 with its cause.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Harness, raw, startHarness } from './support.js';

const CM = '/api/v1/namespaces/default/configmaps';

describe('ListOptions', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.emulator.stop());

  async function refused(query: string): Promise<{ message: string; causes: unknown[] }> {
    const res = await raw(h.emulator, 'GET', `${CM}?${query}`);
    expect(res.status).toBe(422);
    expect(res.json.details.name).toBeUndefined();
    expect(res.json).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      details: { group: 'meta.k8s.io', kind: 'ListOptions' },
    });
    return { message: res.json.message, causes: res.json.details.causes };
  }

  it('refuses an unknown resourceVersionMatch on a list', async () => {
    expect(await refused('resourceVersion=1&resourceVersionMatch=NotAThing')).toEqual({
      message:
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "NotAThing": supported values: "Exact", "NotOlderThan", ""',
      causes: [
        {
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: "NotAThing": supported values: "Exact", "NotOlderThan", ""',
          field: 'resourceVersionMatch',
        },
      ],
    });
  });

  it('refuses resourceVersionMatch without a resourceVersion, with continue, and Exact at "0"', async () => {
    const both = await refused('resourceVersionMatch=NotAThing');
    expect(both.message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, resourceVersionMatch: Unsupported value: "NotAThing": supported values: "Exact", "NotOlderThan", ""]',
    );
    expect(both.causes).toHaveLength(2);
    expect((await refused('resourceVersionMatch=Exact')).causes).toEqual([
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
        field: 'resourceVersionMatch',
      },
    ]);
    expect(
      (await refused('resourceVersion=1&resourceVersionMatch=NotOlderThan&continue=abc')).causes,
    ).toEqual([
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: resourceVersionMatch is forbidden when continue is provided',
        field: 'resourceVersionMatch',
      },
    ]);
    expect((await refused('resourceVersion=0&resourceVersionMatch=Exact')).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    );
    expect((await refused('sendInitialEvents=true')).causes).toEqual([
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: sendInitialEvents is forbidden for list',
        field: 'sendInitialEvents',
      },
    ]);
  });

  it('serves the valid combinations', async () => {
    const current = (await raw(h.emulator, 'GET', CM)).json.metadata.resourceVersion as string;
    for (const query of [
      `resourceVersion=${current}&resourceVersionMatch=Exact`,
      'resourceVersion=0&resourceVersionMatch=NotOlderThan',
      `resourceVersion=${current}&resourceVersionMatch=NotOlderThan`,
      'resourceVersionMatch=',
    ]) {
      const res = await raw(h.emulator, 'GET', `${CM}?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 200 });
      expect(res.json.kind).toBe('ConfigMapList');
    }
  });

  it('on a watch, takes resourceVersionMatch only as NotOlderThan with sendInitialEvents', async () => {
    expect((await refused('watch=true&resourceVersionMatch=NotOlderThan')).causes).toEqual([
      {
        reason: 'FieldValueForbidden',
        message:
          'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
        field: 'resourceVersionMatch',
      },
    ]);
    expect((await refused('watch=true&sendInitialEvents=true&resourceVersionMatch=Exact')).message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]',
    );
    expect((await refused('watch=true&sendInitialEvents=true')).causes).toEqual([
      {
        reason: 'FieldValueForbidden',
        message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
        field: 'resourceVersionMatch',
      },
    ]);
    const ok = await raw(
      h.emulator,
      'GET',
      `${CM}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1`,
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('"k8s.io/initial-events-end":"true"');
  });
});

// SPDX-License-Identifier: Apache-2.0
// Unit tests of the pure parts: the three patch formats and label selectors.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  KubeEmulatorError,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  matchLabels,
  parseLabelSelector,
} from '../src/index.js';

const pod = {
  metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x/one', 'x/two'] },
  spec: {
    containers: [
      { name: 'main', image: 'a:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
      { name: 'side', image: 'b:1' },
    ],
    tolerations: [{ key: 'k', operator: 'Exists' }],
  },
};

describe('strategic merge patch', () => {
  it('merges lists by their merge key and keeps the rest', () => {
    const out: any = applyStrategicMergePatch(pod, {
      spec: {
        containers: [
          { name: 'side', image: 'b:2' },
          { name: 'new', image: 'c:1' },
        ],
      },
    });
    expect(out.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual([
      'main=a:1',
      'side=b:2',
      'new=c:1',
    ]);
    expect(out.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }]);
  });

  it('replaces lists without a merge key', () => {
    const out: any = applyStrategicMergePatch(pod, {
      spec: { tolerations: [{ key: 'z', operator: 'Exists' }] },
    });
    expect(out.spec.tolerations).toEqual([{ key: 'z', operator: 'Exists' }]);
  });

  it('honours $patch delete/replace, $setElementOrder, $deleteFromPrimitiveList and null', () => {
    const out: any = applyStrategicMergePatch(pod, {
      metadata: { labels: { a: null }, '$deleteFromPrimitiveList/finalizers': ['x/one'] },
      spec: {
        '$setElementOrder/containers': [{ name: 'side' }, { name: 'main' }],
        containers: [
          { name: 'main', env: [{ name: 'A', $patch: 'delete' }], ports: [{ containerPort: 81 }] },
        ],
      },
    });
    expect(out.metadata.labels).toEqual({ b: '2' });
    expect(out.metadata.finalizers).toEqual(['x/two']);
    expect(out.spec.containers.map((c: any) => c.name)).toEqual(['side', 'main']);
    expect(out.spec.containers[1].env).toEqual([]);
    expect(out.spec.containers[1].ports).toEqual([{ containerPort: 80 }, { containerPort: 81 }]);
    const replaced: any = applyStrategicMergePatch(pod, {
      spec: { $patch: 'replace', containers: [{ name: 'only', image: 'x' }] },
    });
    expect(replaced.spec).toEqual({ containers: [{ name: 'only', image: 'x' }] });
  });

  it('merges primitive finalizer lists as sets', () => {
    const out: any = applyStrategicMergePatch(pod, { metadata: { finalizers: ['x/two', 'x/three'] } });
    expect(out.metadata.finalizers).toEqual(['x/one', 'x/two', 'x/three']);
  });

  it('takes list strategies from the type of the field, not its name', () => {
    const slice = {
      kind: 'EndpointSlice',
      endpoints: [{ addresses: ['10.0.0.1'] }],
      ports: [{ name: 'http', port: 80 }],
    };
    const patched: any = applyStrategicMergePatch(slice, {
      endpoints: [{ addresses: ['10.0.0.2'] }],
      ports: [{ name: 'http', port: 81 }],
    });
    expect(patched.ports).toEqual([{ name: 'http', port: 81 }]);
    expect(patched.endpoints).toEqual([{ addresses: ['10.0.0.2'] }]);

    const node = { kind: 'Node', spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } };
    const retainted: any = applyStrategicMergePatch(node, {
      spec: { taints: [{ key: 'b', effect: 'NoSchedule' }] },
    });
    expect(retainted.spec.taints).toEqual([{ key: 'b', effect: 'NoSchedule' }]);
    const podTolerations: any = applyStrategicMergePatch(pod, {
      spec: { tolerations: [{ key: 'j', operator: 'Exists' }] },
    });
    expect(podTolerations.spec.tolerations).toEqual([{ key: 'j', operator: 'Exists' }]);

    const service = {
      kind: 'Service',
      spec: {
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 81 },
        ],
      },
    };
    const servicePatched: any = applyStrategicMergePatch(service, {
      spec: { ports: [{ port: 81, name: 'bee' }] },
    });
    expect(servicePatched.spec.ports).toEqual([
      { name: 'a', port: 80 },
      { name: 'bee', port: 81 },
    ]);

    // The pod template of a workload merges containers by name and their ports by containerPort.
    const deployment = {
      kind: 'Deployment',
      spec: {
        template: { spec: { containers: [{ name: 'm', image: 'a', ports: [{ containerPort: 80 }] }] } },
      },
    };
    const deployed: any = applyStrategicMergePatch(deployment, {
      spec: { template: { spec: { containers: [{ name: 'm', ports: [{ containerPort: 81 }] }] } } },
    });
    expect(deployed.spec.template.spec.containers).toEqual([
      { name: 'm', image: 'a', ports: [{ containerPort: 80 }, { containerPort: 81 }] },
    ]);

    // The explicit kind wins; a ServiceAccount's secrets merge by name, its imagePullSecrets are atomic.
    const account = { secrets: [{ name: 's1' }], imagePullSecrets: [{ name: 'p1' }] };
    const accountPatched: any = applyStrategicMergePatch(
      account,
      { secrets: [{ name: 's2' }], imagePullSecrets: [{ name: 'p2' }] },
      'ServiceAccount',
    );
    expect(accountPatched.secrets).toEqual([{ name: 's1' }, { name: 's2' }]);
    expect(accountPatched.imagePullSecrets).toEqual([{ name: 'p2' }]);
  });

  it('rejects list items without the merge key', () => {
    expect(() => applyStrategicMergePatch(pod, { spec: { containers: [{ image: 'no-name' }] } })).toThrow(
      KubeEmulatorError,
    );
  });
});

describe('merge and JSON patch', () => {
  it('follows RFC 7386', () => {
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { b: { c: null, x: 1 }, e: [2] })).toEqual({
      a: 1,
      b: { d: 3, x: 1 },
      e: [2],
    });
  });

  it('follows RFC 6902, including escapes and "-"', () => {
    const doc = { metadata: { annotations: { 'a/b': '1', 'c~d': '2' } }, list: [1, 2] };
    const out = applyJsonPatch(doc, [
      { op: 'replace', path: '/metadata/annotations/a~1b', value: 'x' },
      { op: 'remove', path: '/metadata/annotations/c~0d' },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'move', from: '/list/0', path: '/first' },
      { op: 'copy', from: '/first', path: '/copy' },
      { op: 'test', path: '/copy', value: 1 },
    ]);
    expect(out).toEqual({ metadata: { annotations: { 'a/b': 'x' } }, list: [2, 3], first: 1, copy: 1 });
    expect(doc.list).toEqual([1, 2]);
  });

  it('names the failing path', () => {
    expect(() => applyJsonPatch({}, [{ op: 'remove', path: '/nope' }])).toThrow('/nope');
    expect(() => applyJsonPatch({}, { op: 'add' })).toThrow(KubeEmulatorError);
  });

  it('merge patch of a document with itself is the identity (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), v => {
        const doc = { v };
        expect(applyMergePatch(doc, {})).toEqual(doc);
      }),
    );
  });
});

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'example.com/team': 'a', version: '3' };
  it.each([
    ['app=web', true],
    ['app==web,tier=front', true],
    ['app!=web', false],
    ['app in (web,api)', true],
    ['app notin (web)', false],
    ['example.com/team', true],
    ['!missing', true],
    ['!app', false],
    ['missing=', false],
    ['version>2', true],
    ['version<3', false],
    ['', true],
  ])('%s -> %s', (selector, expected) => {
    expect(matchLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it.each(['app in (', 'a in ()', '=x', 'a b', 'a=b c', 'Bad Key=1', 'a=' + 'x'.repeat(64)])(
    'rejects %j',
    selector => {
      expect(() => parseLabelSelector(selector)).toThrow(KubeEmulatorError);
    },
  );
});

// SPDX-License-Identifier: Apache-2.0
// pod-failure's annotation scheme: whatever the order in which overlapping experiments apply
// and recover, the pod ends with its first images, and no annotation is left behind.
import { describe, expect, it } from '@jest/globals';
import type { Pod } from '@chaosplane/sdk';
import fc from 'fast-check';
import {
  ORIGINAL_IMAGES_ANNOTATION_PREFIX,
  annotationKeyFor,
  applyChange,
  planFailure,
  planRestore,
  toStrategicMergePatch,
} from '@chaosplane/experiment-podchaos';

const PAUSE = 'registry.k8s.io/pause:3.10';

function pod(): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', annotations: { keep: 'me' } },
    spec: {
      initContainers: [{ name: 'init', image: 'busybox:init' }],
      containers: [
        { name: 'app', image: 'nginx:1.27' },
        { name: 'sidecar', image: 'envoy:1.31' },
      ],
    },
  };
}

const images = (p: Pod) => [...p.spec!.containers, ...(p.spec!.initContainers ?? [])].map(c => c.image);
const ours = (p: Pod) =>
  Object.keys(p.metadata?.annotations ?? {}).filter(k => k.startsWith(ORIGINAL_IMAGES_ANNOTATION_PREFIX));

function apply(p: Pod, uid: string): Pod {
  const change = planFailure(p, annotationKeyFor(uid), `default/${uid}`, PAUSE);
  return change ? applyChange(p, change) : p;
}
function recover(p: Pod, uid: string): Pod {
  const change = planRestore(p, annotationKeyFor(uid));
  return change ? applyChange(p, change) : p;
}

describe('pod-failure image plan', () => {
  it('pauses every container and init container and restores them', () => {
    const failed = apply(pod(), 'a');
    expect(images(failed)).toEqual([PAUSE, PAUSE, PAUSE]);
    expect(ours(failed)).toEqual([annotationKeyFor('a')]);
    const restored = recover(failed, 'a');
    expect(images(restored)).toEqual(['nginx:1.27', 'envoy:1.31', 'busybox:init']);
    expect(restored.metadata!.annotations).toEqual({ keep: 'me' });
  });

  it('is idempotent: a second apply or recover changes nothing', () => {
    const failed = apply(pod(), 'a');
    expect(planFailure(failed, annotationKeyFor('a'), 'default/a', PAUSE)).toBeUndefined();
    expect(planRestore(recover(failed, 'a'), annotationKeyFor('a'))).toBeUndefined();
  });

  it('two overlapping experiments, recovered first-in-first-out: the first images come back', () => {
    let p = apply(apply(pod(), 'a'), 'b');
    p = recover(p, 'a');
    expect(images(p)).toEqual([PAUSE, PAUSE, PAUSE]); // b still holds the pod
    p = recover(p, 'b');
    expect(images(p)).toEqual(['nginx:1.27', 'envoy:1.31', 'busybox:init']);
  });

  it('any number of experiments in any apply/recover interleaving ends with the first images (property)', () => {
    const uids = ['a', 'b', 'c', 'd'];
    const step = fc.record({ uid: fc.constantFrom(...uids), apply: fc.boolean() });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), steps => {
        let p = pod();
        const active = new Set<string>();
        for (const s of steps) {
          p = s.apply ? apply(p, s.uid) : recover(p, s.uid);
          if (s.apply) active.add(s.uid);
          else active.delete(s.uid);
          // While any experiment is active, the pod is paused; otherwise it is pristine.
          expect(images(p)).toEqual(
            active.size > 0 ? [PAUSE, PAUSE, PAUSE] : ['nginx:1.27', 'envoy:1.31', 'busybox:init'],
          );
        }
        for (const uid of [...active].reverse()) p = recover(p, uid);
        expect(images(p)).toEqual(['nginx:1.27', 'envoy:1.31', 'busybox:init']);
        expect(ours(p)).toEqual([]);
      }),
    );
  });

  it('patches are conditional on the resourceVersion, containers merged by name', () => {
    const change = planFailure(pod(), annotationKeyFor('a'), 'default/a', PAUSE)!;
    expect(toStrategicMergePatch(change, '42')).toEqual({
      metadata: {
        resourceVersion: '42',
        annotations: { [annotationKeyFor('a')]: expect.any(String) as unknown },
      },
      spec: {
        containers: [
          { name: 'app', image: PAUSE },
          { name: 'sidecar', image: PAUSE },
        ],
        initContainers: [{ name: 'init', image: PAUSE }],
      },
    });
  });

  it('refuses to recover from an annotation it cannot read, instead of leaving the pod paused', () => {
    const paused = apply(pod(), 'a');
    const key = annotationKeyFor('a');
    const damaged: Pod = {
      ...paused,
      metadata: { ...paused.metadata, annotations: { ...paused.metadata!.annotations, [key]: '{not json' } },
    };
    expect(() => planRestore(damaged, key)).toThrow(/cannot be read: its original images are unknown/);
  });

  it('annotation keys are valid: one DNS label per chaos uid', () => {
    const key = annotationKeyFor('5f3c1a0e-2b7d-4c8e-9f10-aa11bb22cc33');
    expect(key).toBe('podfailure.chaosplane.io/5f3c1a0e-2b7d-4c8e-9f10-aa11bb22cc33');
    expect(key.split('/')[1]!.length).toBeLessThanOrEqual(63);
  });
});

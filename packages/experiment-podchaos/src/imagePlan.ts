// SPDX-License-Identifier: Apache-2.0
// pod-failure's bookkeeping, as pure functions over a pod: which images to swap, what to
// remember, and what to restore. Each experiment keeps its own annotation on the pod, and every
// such annotation holds the pod's *first* images (an experiment that arrives while another is
// active copies that one's originals instead of the pause images it sees). So whichever
// experiment recovers last restores the true originals, in any order; the others only drop
// their annotation. Chaos Mesh keys one annotation per container and can restore the pause
// image when two pod-failures overlap; this scheme cannot.
import { ChaosplaneError, type Pod } from '@chaosplane/sdk';

/** Prefix of the annotations pod-failure writes on the pods it pauses. */
export const ORIGINAL_IMAGES_ANNOTATION_PREFIX = 'podfailure.chaosplane.io/';

/** What one annotation remembers: the chaos object and the pod's first images. */
export interface OriginalImages {
  /** `namespace/name` of the experiment that wrote the annotation (for people reading the pod). */
  chaos: string;
  /** Container name → original image. */
  containers: Record<string, string>;
  /** Init container name → original image. */
  initContainers: Record<string, string>;
}

/** A change to a pod: annotations to set (`null` removes) and images to set, by container name. */
export interface ImageChange {
  annotations: Record<string, string | null>;
  containers: Record<string, string>;
  initContainers: Record<string, string>;
}

/**
 * The annotation key of one experiment: the prefix and the chaos object's uid (a DNS label of
 * at most 63 characters), so two experiments never share a key, even with the same name.
 */
export function annotationKeyFor(chaosUid: string): string {
  const label = chaosUid
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63);
  return `${ORIGINAL_IMAGES_ANNOTATION_PREFIX}${label.replace(/^-+|-+$/g, '') || 'unnamed'}`;
}

function parse(value: string | undefined): OriginalImages | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<OriginalImages>;
    if (typeof parsed.containers !== 'object' || parsed.containers === null) return undefined;
    return {
      chaos: String(parsed.chaos ?? ''),
      containers: parsed.containers,
      initContainers: parsed.initContainers ?? {},
    };
  } catch {
    return undefined;
  }
}

/** The pod-failure annotations on a pod other than `key`, parsed. */
function otherAnnotations(pod: Pod, key: string): OriginalImages[] {
  return Object.entries(pod.metadata?.annotations ?? {})
    .filter(([name]) => name.startsWith(ORIGINAL_IMAGES_ANNOTATION_PREFIX) && name !== key)
    .map(([, value]) => parse(value))
    .filter((value): value is OriginalImages => value !== undefined);
}

function imagesOf(containers: ReadonlyArray<{ name: string; image?: string }> | undefined) {
  return Object.fromEntries((containers ?? []).map(c => [c.name, c.image ?? '']));
}

/**
 * What pod-failure's apply changes on `pod` for the experiment owning `key`: its annotation
 * (first images, copied from an active experiment when there is one) and every container and
 * init container image set to `pauseImage`. Undefined when nothing needs to change.
 */
export function planFailure(
  pod: Pod,
  key: string,
  chaos: string,
  pauseImage: string,
): ImageChange | undefined {
  const annotations: Record<string, string | null> = {};
  if (parse(pod.metadata?.annotations?.[key]) === undefined) {
    const active = otherAnnotations(pod, key)[0];
    const current: OriginalImages = {
      chaos,
      containers: imagesOf(pod.spec?.containers),
      initContainers: imagesOf(pod.spec?.initContainers),
    };
    // Images of containers the active experiment knows come from it; the rest are as seen.
    const originals: OriginalImages = {
      chaos,
      containers: { ...current.containers, ...active?.containers },
      initContainers: { ...current.initContainers, ...active?.initContainers },
    };
    annotations[key] = JSON.stringify(originals);
  }
  const paused = (list: ReadonlyArray<{ name: string; image?: string }> | undefined) =>
    Object.fromEntries((list ?? []).filter(c => c.image !== pauseImage).map(c => [c.name, pauseImage]));
  const change = {
    annotations,
    containers: paused(pod.spec?.containers),
    initContainers: paused(pod.spec?.initContainers),
  };
  return isEmpty(change) ? undefined : change;
}

/**
 * What pod-failure's recover changes on `pod` for the experiment owning `key`: its annotation
 * goes; the images come back only when no other pod-failure is still active on the pod.
 * Undefined when the experiment left nothing on this pod.
 */
export function planRestore(pod: Pod, key: string): ImageChange | undefined {
  const raw = pod.metadata?.annotations?.[key];
  if (raw === undefined) return undefined;
  const mine = parse(raw);
  if (mine === undefined) {
    // Dropping it would report the pod recovered while it still runs the pause image.
    throw new ChaosplaneError(
      'invalid',
      `annotation ${key} of pod ${pod.metadata?.namespace}/${pod.metadata?.name} cannot be read: its original images are unknown, so they are not restored`,
      { field: `metadata.annotations["${key}"]` },
    );
  }
  const change: ImageChange = { annotations: { [key]: null }, containers: {}, initContainers: {} };
  if (otherAnnotations(pod, key).length === 0) {
    const restore = (
      list: ReadonlyArray<{ name: string; image?: string }> | undefined,
      originals: Record<string, string>,
    ) =>
      Object.fromEntries(
        (list ?? [])
          .filter(c => originals[c.name] !== undefined && originals[c.name] !== c.image)
          .map(c => [c.name, originals[c.name]!]),
      );
    change.containers = restore(pod.spec?.containers, mine.containers);
    change.initContainers = restore(pod.spec?.initContainers, mine.initContainers);
  }
  return change;
}

function isEmpty(change: ImageChange): boolean {
  return (
    Object.keys(change.annotations).length === 0 &&
    Object.keys(change.containers).length === 0 &&
    Object.keys(change.initContainers).length === 0
  );
}

/**
 * The strategic merge patch of a change, conditional on `resourceVersion` (the API server
 * answers 409 Conflict when the pod changed since it was read).
 */
export function toStrategicMergePatch(change: ImageChange, resourceVersion: string | undefined): object {
  const byName = (images: Record<string, string>) =>
    Object.entries(images).map(([name, image]) => ({ name, image }));
  const spec: Record<string, unknown> = {};
  if (Object.keys(change.containers).length > 0) spec['containers'] = byName(change.containers);
  if (Object.keys(change.initContainers).length > 0) spec['initContainers'] = byName(change.initContainers);
  return {
    metadata: {
      ...(resourceVersion !== undefined ? { resourceVersion } : {}),
      ...(Object.keys(change.annotations).length > 0 ? { annotations: change.annotations } : {}),
    },
    ...(Object.keys(spec).length > 0 ? { spec } : {}),
  };
}

/** Applies a change to a pod in memory (what the API server does with the patch). */
export function applyChange(pod: Pod, change: ImageChange): Pod {
  const annotations = { ...pod.metadata?.annotations };
  for (const [name, value] of Object.entries(change.annotations)) {
    if (value === null) delete annotations[name];
    else annotations[name] = value;
  }
  const swap = <C extends { name: string; image?: string }>(
    list: C[] | undefined,
    images: Record<string, string>,
  ) => list?.map(c => (images[c.name] !== undefined ? { ...c, image: images[c.name] } : c));
  return {
    ...pod,
    metadata: { ...pod.metadata, annotations },
    spec: {
      ...pod.spec!,
      containers: swap(pod.spec?.containers, change.containers) ?? [],
      ...(pod.spec?.initContainers
        ? { initContainers: swap(pod.spec.initContainers, change.initContainers) }
        : {}),
    },
  };
}

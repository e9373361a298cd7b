// SPDX-License-Identifier: Apache-2.0
// What a kind asks to be selected, and the targets the engine hands back to its implementation.
import type { Pod } from '../api/objects.js';
import type { ContainerSelector, PodSelector } from '../api/selector.js';

/** A target as a selector picked it: what is stored on the record. */
export interface SelectedTarget {
  /** Stable id: `ns/pod`, `ns/pod/container`, or the selector kind's own form. */
  id: string;
  /**
   * The exact instance that was selected, when the target has one: the pod's UID, the
   * container's runtime id. Stored on the record as `instanceId`, so an implementation can tell
   * the selected instance from a replacement that took the same name since.
   */
  instanceId?: string;
}

/** A selected target as `apply`/`recover` receive it: its record's id, and what it is now. */
export interface Target extends SelectedTarget {
  /** The selector kind that picked it (`pod`, `container`, or a plugin's). */
  readonly kind: string;
  /** The node it runs on, if it runs on one: where `ctx.daemon` calls go. */
  readonly nodeName?: string;
}

/** A pod target, read from the API server just before the call. */
export interface PodTarget extends Target {
  /** A pod target. */
  readonly kind: 'pod';
  /** The pod's namespace. */
  readonly namespace: string;
  /** The pod's name. */
  readonly podName: string;
  /** The pod as it is now. */
  readonly pod: Pod;
}

/** A container target: its pod, and the container's name and runtime id as the pod reports them now. */
export interface ContainerTarget extends Omit<PodTarget, 'kind'> {
  /** A container target. */
  readonly kind: 'container';
  /** The container's name in its pod. */
  readonly containerName: string;
  /** With its runtime prefix: `containerd://…`, `docker://…`, `cri-o://…`. */
  readonly containerId: string;
}

/**
 * What a chaos object asks to be selected under one selector key: the kind of selector (a key
 * of the selector registry) and its spec. `T` is the target type `apply` receives for it.
 */
export interface SelectorRef<Spec = unknown, T extends Target = Target> {
  /** The registry key: `pod`, `container`, or a kind a plugin registered. */
  kind: string;
  /** The selector's spec, as written in the chaos object. */
  spec: Spec;
  /** Type-level only: the target type this selector yields. */
  readonly __target?: T;
}

/**
 * The target type `apply` receives for a kind whose `selectors` return `R`: the union of the
 * target types of its selectors.
 */
export type TargetOf<R> =
  R extends Record<string, infer Ref> ? (Ref extends SelectorRef<unknown, infer T> ? T : never) : never;

/** What a selector needs to know about the request. */
export interface SelectionContext {
  /** Namespace of the chaos object; an empty `namespaces` list means this one. */
  namespace: string;
  /** Cancels the selection. */
  signal: AbortSignal;
}

/**
 * One kind of selector (pods, containers, nodes…), registered under {@link TargetSelector.kind};
 * a plugin adds one through `definePlugin({ targetSelectors })`.
 */
export interface TargetSelector<Spec = unknown, T extends Target = Target> {
  /** The registry key chaos objects refer to in {@link SelectorRef.kind}. */
  readonly kind: string;
  /** Picks the targets; rejects with a `selection` ChaosplaneError when the spec cannot be evaluated. */
  select(spec: Spec, context: SelectionContext): Promise<SelectedTarget[]>;
  /**
   * Reads a stored target back before each apply or recover (a `not-found` error when it is
   * gone). Without it, `apply` gets `{ kind, id, instanceId }`.
   */
  resolve?(target: SelectedTarget, signal: AbortSignal): Promise<T>;
}

/** Selects the pods of a `PodSelector`: records `ns/pod`, targets {@link PodTarget}. */
export function podSelector(spec: PodSelector): SelectorRef<PodSelector, PodTarget> {
  return { kind: 'pod', spec };
}

/** Selects the containers of a `ContainerSelector`: records `ns/pod/container`, targets {@link ContainerTarget}. */
export function containerSelector(spec: ContainerSelector): SelectorRef<ContainerSelector, ContainerTarget> {
  return { kind: 'container', spec };
}

// SPDX-License-Identifier: Apache-2.0
import type { ContainerSelector, PodSelector } from '../api/selector.js';

/**
 * What a chaos object asks to be selected under one selector key: the kind of selector
 * (a key of the selector registry) and its spec. Plugins may register new kinds.
 */
export interface SelectorRef<Spec = unknown> {
  /** The registry key: `pod`, `container`, or a kind a plugin registered. */
  kind: string;
  /** The selector's spec, as written in the chaos object. */
  spec: Spec;
}

/** A target picked by a selector. Its id is stored as the record id. */
export interface Target {
  /** Stable id: `ns/pod`, `ns/pod/container`, or the selector kind's own form. */
  id: string;
  /**
   * The exact instance that was selected, when the target has one: the pod's UID, the
   * container's runtime id. Stored on the record as `instanceId`, so an implementation can tell
   * the selected instance from a replacement that took the same name since (a one-shot kill
   * repeated by the engine must not kill the pod a controller created in its place).
   */
  instanceId?: string;
}

/** What a selector needs to know about the request. */
export interface SelectionContext {
  /** Namespace of the chaos object; an empty `namespaces` list means this one. */
  namespace: string;
  /** Cancels the selection. */
  signal: AbortSignal;
}

/** One kind of selector (pods, containers, nodes…), registered under {@link TargetSelector.kind}. */
export interface TargetSelector<Spec = unknown> {
  /** The registry key chaos objects refer to in {@link SelectorRef.kind}. */
  readonly kind: string;
  /** Picks the targets; rejects with a `selection` ChaosplaneError when the spec cannot be evaluated. */
  select(spec: Spec, context: SelectionContext): Promise<Target[]>;
}

/** Dispatches a {@link SelectorRef} to the {@link TargetSelector} of its kind. */
export interface SelectorRegistry {
  /** Selects the targets of one selector reference. */
  select(ref: SelectorRef, context: SelectionContext): Promise<Target[]>;
  /** The registered selector kinds. */
  kinds(): string[];
}

/** Refers to a pod selector (`PodSelector`): targets are pods, ids `ns/pod`. */
export function podSelector(spec: PodSelector): SelectorRef<PodSelector> {
  return { kind: 'pod', spec };
}

/** Refers to a container selector (`ContainerSelector`): targets are containers, ids `ns/pod/container`. */
export function containerSelector(spec: ContainerSelector): SelectorRef<ContainerSelector> {
  return { kind: 'container', spec };
}

// SPDX-License-Identifier: Apache-2.0
import type { KubeConfig } from '@kubernetes/client-node';
import type { TSchema, Static } from '@sinclair/typebox';
import type { ChaosObject } from '../api/ChaosObject.js';
import type { Phase } from '../api/phase.js';
import type { ContainerRecord } from '../api/status.js';
import type { Logger } from '../logging/createLogger.js';
import type { SelectorRef } from './selection.js';

/**
 * A semantic rule beyond the schema: returns every violation of one spec (`path` is where
 * the spec sits, `spec`). Declared bivariant so kinds of different specs share one list.
 */
export type SpecRule<Spec> = { check(spec: Spec, path: string): Violation[] }['check'];

/** One violation of a spec: where and why. */
export interface Violation {
  /** Field path, e.g. `spec.selector.namespaces[0]`. */
  field: string;
  /** Why, in Chaos Mesh's words where it has them. */
  message: string;
}

/** The definition of a chaos kind: its API identity, its spec schema and its behaviour. */
export interface ChaosKindDefinition<S extends TSchema = TSchema> {
  /** API group; defaults to `chaos-mesh.org`. */
  group?: string;
  /** API version; defaults to `v1alpha1`. */
  version?: string;
  /** Kind, e.g. `HelloWorldChaos`. */
  kind: string;
  /** Plural resource name, e.g. `helloworldchaos`. */
  plural: string;
  /** Singular name; defaults to the lower-cased kind. */
  singular?: string;
  /** Short names for kubectl. */
  shortNames?: string[];
  /** Namespaced (the default) or cluster-scoped. */
  namespaced?: boolean;
  /** The spec schema: one source for the TS type, the CRD schema and validation. */
  spec: S;
  /** Rules the schema cannot express (cross-field checks). */
  rules?: SpecRule<Static<S>>[];
  /** One-shot kinds stay in Run forever: applied once, never recovered by duration or pause. */
  isOneShot?(obj: ChaosObject<Static<S>>): boolean;
  /** The spec's duration string, if any; defaults to `spec.duration`. */
  duration?(obj: ChaosObject<Static<S>>): string | undefined;
  /** What to select: selector key → selector reference (`'.'` for the spec itself). */
  selectors(obj: ChaosObject<Static<S>>): Record<string, SelectorRef>;
}

/** A chaos kind with its defaults filled in (see `resolveKind`). */
export interface ChaosKind<S extends TSchema = TSchema> {
  group: string;
  version: string;
  /** `group/version`. */
  apiVersion: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  spec: S;
  rules: SpecRule<Static<S>>[];
  isOneShot(obj: ChaosObject<Static<S>>): boolean;
  duration(obj: ChaosObject<Static<S>>): string | undefined;
  selectors(obj: ChaosObject<Static<S>>): Record<string, SelectorRef>;
}

/** What the engine hands to `apply` and `recover` for one record. */
export interface ImplContext<Spec = unknown> {
  /** Index of the record this call is about. */
  index: number;
  /** All records of the object; implementations may read siblings. */
  records: readonly ContainerRecord[];
  /** The chaos object. */
  obj: ChaosObject<Spec>;
  /** Aborted when the operator shuts down or the object goes away. */
  signal: AbortSignal;
  /** A logger that names the chaos object and the record. */
  log: Logger;
  /** The operator's connection to the API server. */
  kube: KubeConfig;
  /** Kubernetes Events about the chaos object (rate-limited by the engine). */
  events?: ImplEvents;
}

/** Lets an implementation attach what it learned to the chaos object as Kubernetes Events. */
export interface ImplEvents {
  /** A `Normal` event, e.g. the output a daemon returned. */
  normal(reason: string, message: string): void;
  /** A `Warning` event. */
  warning(reason: string, message: string): void;
}

/** A chaos implementation: one target at a time, returning the record's new phase. */
export interface ChaosImpl<Spec = unknown> {
  /** Injects the fault of `records[index]`; returns the new phase (`Injected`, or a sub-phase). */
  apply(context: ImplContext<Spec>): Promise<Phase>;
  /** Recovers `records[index]`; returns the new phase (`Not Injected`, or a sub-phase). */
  recover(context: ImplContext<Spec>): Promise<Phase>;
}

/** What a plugin binds into the DI "impl" group: its kind and its implementation. */
export interface ChaosImplRegistration<S extends TSchema = TSchema> {
  kind: ChaosKind<S>;
  impl: ChaosImpl<Static<S>>;
}

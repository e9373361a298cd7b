// SPDX-License-Identifier: Apache-2.0
import type { Static, TSchema } from '@sinclair/typebox';
import type { ChaosObject } from '../api/objects.js';
import type { Phase } from '../api/phase.js';
import type { ContainerRecord } from '../api/status.js';
import type { DaemonClient, DaemonServiceDefinition } from '../daemon/DaemonClient.js';
import type { Token } from '../di/tokens.js';
import type { KubeClient } from '../kube/KubeClient.js';
import type { Logger } from '../logging/Logger.js';
import type { SelectorRef, Target } from './selection.js';

/** One violation of a spec: where and why. */
export interface Violation {
  /** Field path, e.g. `spec.selector.namespaces[0]`. */
  field: string;
  /** Why, in Chaos Mesh's words where it has them. */
  message: string;
}

/**
 * A Kubernetes CEL validation rule (`x-kubernetes-validations`) on the spec: the CRD carries it,
 * so a real API server (1.25+) refuses a spec that fails it at `kubectl apply`, and the engine
 * checks it too. `self` is the spec; write `has(self.field)` before reading an optional field.
 * The API server also estimates each rule's worst-case cost from the schema (a string's
 * `maxLength`, a list's `maxItems`, a map's `maxProperties`; without them, what fits in 3 MiB)
 * and refuses a CRD over its budget, as kube-emulator (and so the test kit) does: bound what a
 * rule matches, iterates over or concatenates.
 */
export interface CelValidation {
  /** The CEL expression that must be true (`self.action != 'pod-kill' || !has(self.containerNames)`). */
  rule: string;
  /** The message when it is false. */
  message?: string;
  /** A CEL expression giving the message (a string), computed from `self`. */
  messageExpression?: string;
  /** Where to report it, relative to the spec (`.containerNames`). */
  fieldPath?: string;
  /** How the API server words it: `FieldValueInvalid` (default), `FieldValueForbidden`, `FieldValueRequired`. */
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/**
 * A semantic rule beyond the schema: returns every violation of one spec (`path` is where
 * the spec sits, `spec`). Declared bivariant so kinds of different specs share one list.
 */
export type SpecRule<Spec> = { check(spec: Spec, path: string): Violation[] }['check'];

/**
 * The definition of a chaos kind: its API identity, its spec schema and what it selects.
 * `R` is what `selectors` returns; `apply` gets the targets of those selectors (`TargetOf<R>`).
 */
export interface ChaosKindDefinition<
  S extends TSchema = TSchema,
  R extends Record<string, SelectorRef<unknown, Target>> = Record<string, SelectorRef>,
> {
  /** API group; `chaos-mesh.org` by default. */
  group?: string;
  /** API version; `v1alpha1` by default. */
  version?: string;
  /** Kind, UpperCamelCase, e.g. `HelloWorldChaos`. */
  kind: string;
  /** Plural resource name, a lower-case DNS label, e.g. `helloworldchaos`. */
  plural: string;
  /** Singular name; the lower-cased kind by default. */
  singular?: string;
  /** Short names for kubectl. */
  shortNames?: string[];
  /** Namespaced (the default) or cluster-scoped. */
  namespaced?: boolean;
  /** The spec schema: one source for the TypeScript type, the CRD schema and validation. */
  spec: S;
  /**
   * Cross-field rules in CEL: enforced at `kubectl apply` by the API server (through the CRD) and
   * by the engine. Prefer them to `rules`, which only the engine can run.
   */
  validations?: CelValidation[];
  /** Rules in TypeScript, for what CEL cannot say; checked by the engine only (never at apply). */
  rules?: SpecRule<Static<S>>[];
  /** One-shot kinds stay in Run: applied once, recovered only when the object is deleted. */
  isOneShot?(obj: ChaosObject<Static<S>>): boolean;
  /** The spec's duration (a Go duration string), if any; `spec.duration` by default. */
  duration?(obj: ChaosObject<Static<S>>): string | undefined;
  /** What to select: selector key → selector (`'.'` for the spec itself). */
  selectors(obj: ChaosObject<Static<S>>): R;
}

/** Lets an implementation attach what it learned to the chaos object as Kubernetes Events. */
export interface ImplEvents {
  /** A `Normal` event, e.g. the output a daemon returned. */
  normal(reason: string, message: string): void;
  /** A `Warning` event. */
  warning(reason: string, message: string): void;
}

/** What the engine hands to `apply` and `recover`: one record and everything needed to act on it. */
export interface ImplContext<Spec = unknown, T extends Target = Target> {
  /** The chaos object. Its spec cannot change after creation. */
  obj: ChaosObject<Spec>;
  /** The record this call is about, with the phase it is in. */
  record: Readonly<ContainerRecord>;
  /** The record's target as it is now (a pod or container read just before the call). */
  target: T;
  /**
   * The targets another selector of this object picked (`'.Target'` of NetworkChaos), read as
   * they are now; those that are gone are left out. Read once per pass over the records and
   * shared by its calls.
   */
  targetsOf(selectorKey: string): Promise<Target[]>;
  /**
   * A client of a daemon service on the target's node, acting for this chaos object and record
   * (the daemon keys journaled changes by them) with the experiment's end as the deadline.
   */
  daemon: <D extends DaemonServiceDefinition>(definition: D) => DaemonClient<D>;
  /** The operator's connection to the Kubernetes API server. */
  kube: KubeClient;
  /** Kubernetes Events on the chaos object (rate-limited, identical ones aggregated). */
  events: ImplEvents;
  /** A logger whose lines name the chaos object and the record. */
  log: Logger;
  /** Aborted when the operator stops or loses its lease. */
  signal: AbortSignal;
}

/** A chaos implementation: one record at a time, returning the record's new phase. */
export interface ChaosImpl<Spec = unknown, T extends Target = Target> {
  /** Injects the fault on `ctx.target`; returns `Injected`, or a `Not Injected/…` sub-phase to be called again. */
  apply(ctx: ImplContext<Spec, T>): Phase | Promise<Phase>;
  /** Removes it; returns `Not Injected`, or an `Injected/…` sub-phase to be called again. */
  recover(ctx: ImplContext<Spec, T>): Phase | Promise<Phase>;
  /**
   * Called instead of `apply` when the target could not be read back because it is gone (`error`,
   * a `not-found` ChaosplaneError); `ctx.target` is then only what was selected. Return a phase
   * (a kill whose target is gone is done: `Injected`) or throw. Without it, the apply fails and
   * is retried with back-off. A gone target always counts as recovered.
   */
  whenTargetGone?(ctx: ImplContext<Spec, Target>, error: unknown): Phase | Promise<Phase>;
  /**
   * What would keep `apply` from working on `ctx.target`, in words for a person (`this node's
   * kernel has no sch_netem`); an empty list when nothing. `chaosplane explain` asks it for every
   * target before anything runs. It must change nothing.
   */
  preflight?(ctx: ImplContext<Spec, T>): Promise<string[]>;
}

/** What a controller factory (`controller: deps => impl`) can use. */
export interface ControllerDeps {
  /** A logger whose lines carry the plugin's kind. */
  log: Logger;
  /** The operator's connection to the Kubernetes API server. */
  kube: KubeClient;
  /** Anything else bound in the operator, by its typed token. */
  get<V>(token: Token<V>): V;
}

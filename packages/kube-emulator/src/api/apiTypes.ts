// SPDX-License-Identifier: Apache-2.0
/** The shapes of requests to the API core: scopes, options, list results and watch events. */
import { type AdmissionRequestContext } from '../admission/policyTypes.js';
import { type JsonObject, type KubeObject, type ResourceType } from '../types.js';

/** Which resource a request addresses. */
export interface Scope {
  type: ResourceType;
  version: string;
  /** Request namespace (namespaced kinds; undefined = all namespaces for list/watch). */
  namespace?: string;
}

/** Options shared by writes. */
export interface WriteOptions {
  dryRun?: boolean;
  /** `Strict` rejects unknown fields of custom resources; otherwise they are pruned. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /**
   * The requester and the sink of warnings of a write that came through the API: set, the
   * ValidatingAdmissionPolicies run on it (the controllers' own writes have none).
   */
  admission?: AdmissionRequestContext;
}

/** List/watch options (query parameters). */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

/** The result of a list: items as served objects, or JSON text when no conversion is needed. */
export interface ListResult {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
  /** Served objects; present when `json` is not. */
  items: KubeObject[];
  /** JSON text of each item, when the served form equals the cached stored JSON. */
  json?: string[];
}

/** DeleteOptions (body or query). */
export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  gracePeriodSeconds?: number;
  /** As {@link WriteOptions.admission}: set, the ValidatingAdmissionPolicies run on the delete. */
  admission?: AdmissionRequestContext;
}

/** Patch content types the emulator understands. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** A watch event as sent to clients (served form). */
export interface WatchEventOut {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject | JsonObject;
}

/** Watch options. */
export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

/** What the core tells the controllers after a change. */
export interface CoreHooks {
  /** Called after an object left storage. */
  onRemoved(type: ResourceType, obj: KubeObject): void;
  /** Called after an object was written with a deletionTimestamp. */
  onDeleting(type: ResourceType, obj: KubeObject): void;
  /** Called after any write of an object (controllers that follow a kind, such as RBAC aggregation). */
  onWritten?(type: ResourceType, obj: KubeObject): void;
}

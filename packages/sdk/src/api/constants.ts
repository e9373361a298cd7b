// SPDX-License-Identifier: Apache-2.0
// Names shared with Chaos Mesh, so its manifests, dashboards and runbooks keep working.

/** The default API group of chaos kinds. One constant, so a deployment can choose another. */
export const DEFAULT_CHAOS_GROUP = 'chaos-mesh.org';
/** The default API version of chaos kinds. */
export const DEFAULT_CHAOS_VERSION = 'v1alpha1';

/** Annotation that pauses an experiment when set to `"true"`. */
export const PAUSE_ANNOTATION = 'experiment.chaos-mesh.org/pause';
/** Annotation that, set to {@link CLEAN_FINALIZER_FORCED}, removes our finalizer without recovery. */
export const CLEAN_FINALIZER_ANNOTATION = 'chaos-mesh.chaos-mesh.org/cleanFinalizer';
/** The value of {@link CLEAN_FINALIZER_ANNOTATION} that forces the finalizer off. */
export const CLEAN_FINALIZER_FORCED = 'forced';
/** The finalizer that keeps a chaos object until every record is recovered. */
export const RECORDS_FINALIZER = 'chaos-mesh/records';
/** Namespace annotation that opts a namespace in when namespace filtering is on. */
export const INJECT_ANNOTATION = 'chaos-mesh.org/inject';
/** The value of {@link INJECT_ANNOTATION} that opts a namespace in. */
export const INJECT_ENABLED = 'enabled';

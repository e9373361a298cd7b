// SPDX-License-Identifier: Apache-2.0
// containerd's gRPC API on its unix socket, scoped to one namespace through the
// `containerd-namespace` metadata: the one connection both the daemon's runtime client and
// @chaosplane/dev's local kubelet make, over the one proto subset (proto/thirdparty/containerd).
import { type Channel, createChannel, createClient, Metadata } from 'nice-grpc';

import { ContainersDefinition } from '../gen/containerd/services/containers/v1/containers.js';
import { ContentDefinition } from '../gen/containerd/services/content/v1/content.js';
import { ImagesDefinition } from '../gen/containerd/services/images/v1/images.js';
import { LeasesDefinition } from '../gen/containerd/services/leases/v1/leases.js';
import { SnapshotsDefinition } from '../gen/containerd/services/snapshots/v1/snapshots.js';
import { TasksDefinition } from '../gen/containerd/services/tasks/v1/tasks.js';

/** Options of {@link createContainerdApi}. */
export interface ContainerdApiOptions {
  /** Path of containerd's gRPC socket. */
  socketPath: string;
  /** The containerd namespace every call is made in (`k8s.io` is the kubelet's). */
  namespace: string;
}

/** containerd's services, every call in one namespace. */
export interface ContainerdApi {
  /** Path of containerd's gRPC socket (what `ctr --address` takes). */
  readonly socketPath: string;
  /** The containerd namespace every call is made in. */
  readonly namespace: string;
  /** `containerd namespace NS (socket PATH)`, for error messages. */
  readonly where: string;
  /** Tasks: a container's task (its init process) and exec processes. */
  readonly tasks: ReturnType<typeof createClient<typeof TasksDefinition>>;
  /** Containers: the container records (labels, OCI spec, snapshot). */
  readonly containers: ReturnType<typeof createClient<typeof ContainersDefinition>>;
  /** Snapshots: a container's root filesystem prepared from an image's layers. */
  readonly snapshots: ReturnType<typeof createClient<typeof SnapshotsDefinition>>;
  /** Leases: what keeps new resources from the garbage collector until something refers to them. */
  readonly leases: ReturnType<typeof createClient<typeof LeasesDefinition>>;
  /** Images: names and their target descriptors. */
  readonly images: ReturnType<typeof createClient<typeof ImagesDefinition>>;
  /** Content: the content store's blobs (manifests, configs). */
  readonly content: ReturnType<typeof createClient<typeof ContentDefinition>>;
  /** Call metadata that puts a call under a lease (and the namespace). */
  leased(leaseId: string): Metadata;
  /** Ends the channel. */
  close(): void;
}

/**
 * Connects to containerd's socket (lazily: the channel connects on the first call); `close()`
 * ends the channel. All service clients share it.
 */
export function createContainerdApi(options: ContainerdApiOptions): ContainerdApi {
  const { socketPath, namespace } = options;
  const channel: Channel = createChannel(`unix://${socketPath}`);
  const defaults = { '*': { metadata: Metadata({ 'containerd-namespace': namespace }) } };
  return {
    socketPath,
    namespace,
    where: `containerd namespace ${namespace} (socket ${socketPath})`,
    tasks: createClient(TasksDefinition, channel, defaults),
    containers: createClient(ContainersDefinition, channel, defaults),
    snapshots: createClient(SnapshotsDefinition, channel, defaults),
    leases: createClient(LeasesDefinition, channel, defaults),
    images: createClient(ImagesDefinition, channel, defaults),
    content: createClient(ContentDefinition, channel, defaults),
    leased: leaseId => Metadata({ 'containerd-namespace': namespace, 'containerd-lease': leaseId }),
    close: () => channel.close(),
  };
}

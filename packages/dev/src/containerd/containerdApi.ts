// SPDX-License-Identifier: Apache-2.0
// The local kubelet's containerd: its gRPC API on the socket (tasks, containers, snapshots,
// leases, images and content), scoped to one namespace through the `containerd-namespace`
// metadata, as a kubelet's CRI runtime calls it.
import { ChaosplaneError } from '@chaosplane/sdk';
import { type Channel, ClientError, createChannel, createClient, Metadata, Status } from 'nice-grpc';
import { ContainersDefinition } from '../gen/containerd/services/containers/v1/containers.js';
import { ContentDefinition } from '../gen/containerd/services/content/v1/content.js';
import { ImagesDefinition } from '../gen/containerd/services/images/v1/images.js';
import { LeasesDefinition } from '../gen/containerd/services/leases/v1/leases.js';
import { SnapshotsDefinition } from '../gen/containerd/services/snapshots/v1/snapshots.js';
import { TasksDefinition } from '../gen/containerd/services/tasks/v1/tasks.js';

/** The containerd services the kubelet calls. */
export interface ContainerdApi {
  readonly socketPath: string;
  readonly namespace: string;
  readonly tasks: ReturnType<typeof createClient<typeof TasksDefinition>>;
  readonly containers: ReturnType<typeof createClient<typeof ContainersDefinition>>;
  readonly snapshots: ReturnType<typeof createClient<typeof SnapshotsDefinition>>;
  readonly leases: ReturnType<typeof createClient<typeof LeasesDefinition>>;
  readonly images: ReturnType<typeof createClient<typeof ImagesDefinition>>;
  readonly content: ReturnType<typeof createClient<typeof ContentDefinition>>;
  /** Call metadata that puts a call under a lease (and the namespace). */
  leased(leaseId: string): Metadata;
  close(): void;
}

/** Connects to containerd's socket; `close()` ends the channel. */
export function createContainerdApi(socketPath: string, namespace: string): ContainerdApi {
  const channel: Channel = createChannel(`unix://${socketPath}`);
  const defaults = { '*': { metadata: Metadata({ 'containerd-namespace': namespace }) } };
  return {
    socketPath,
    namespace,
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

/** True when a containerd call failed with NOT_FOUND. */
export function isNotFound(error: unknown): boolean {
  return error instanceof ClientError && error.code === Status.NOT_FOUND;
}

/** True when a containerd call failed with ALREADY_EXISTS. */
export function isAlreadyExists(error: unknown): boolean {
  return error instanceof ClientError && error.code === Status.ALREADY_EXISTS;
}

/** A containerd call's failure as a `runtime` error naming the call. */
export function containerdError(action: string, error: unknown): ChaosplaneError {
  if (ChaosplaneError.is(error)) return error;
  const detail = error instanceof ClientError ? error.details : String(error);
  return new ChaosplaneError('runtime', `containerd ${action} failed: ${detail}`, { cause: error });
}

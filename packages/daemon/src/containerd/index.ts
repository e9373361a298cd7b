// SPDX-License-Identifier: Apache-2.0
/**
 * @chaosplane/daemon/containerd: the one containerd client of Chaosplane, for the daemon's
 * containerd runtime and the local kubelet of @chaosplane/dev. The connection (containerd's
 * services over gRPC on its socket, in one namespace, from the proto subset in
 * proto/thirdparty/containerd), what its errors mean, a process's stdio through FIFOs, and the
 * steps of an exec in a running container.
 * @packageDocumentation
 */
export { createContainerdApi, type ContainerdApi, type ContainerdApiOptions } from './createContainerdApi.js';
export { containerdError, isAlreadyExists, isNotFound } from './containerdErrors.js';
export {
  drainOutput,
  makeFifos,
  openInput,
  openOutput,
  type InputWriter,
  type MakeFifosOptions,
  type OutputReader,
  type ProcessFifos,
} from './processFifos.js';
export {
  createExecProcess,
  DELETE_TIMEOUT_MS,
  execProcessSpec,
  KILL_WAIT_MS,
  newExecIds,
  OUTPUT_DRAIN_MS,
  removeExecProcess,
  type ExecIds,
  type ExecProcessSpecOptions,
} from './execProcess.js';

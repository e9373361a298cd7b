// SPDX-License-Identifier: Apache-2.0
export {
  createDaemonClientPool,
  DEFAULT_DAEMON_PORT,
  type DaemonAddressSource,
  type DaemonClientOptions,
  type DaemonClientPool,
  type DaemonClientPoolOptions,
  type DaemonClientTls,
  type DaemonTarget,
} from './createDaemonClientPool.js';

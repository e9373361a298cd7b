// SPDX-License-Identifier: Apache-2.0
import type { DaemonAddressSource } from '@chaosplane/daemon/client';
import type { KubeConnection } from '@chaosplane/kube';
import type { OperatorOptions } from './OperatorOptions.js';

/** Where the daemon client pool finds the daemons: a fixed host, or the daemons' Service. */
export function daemonSource(
  options: Pick<OperatorOptions, 'daemon'>,
  kube: KubeConnection,
): DaemonAddressSource {
  const discovery = options.daemon.discovery;
  if (discovery.kind === 'fixed') return { resolve: () => Promise.resolve(discovery.host) };
  return { kube, namespace: discovery.namespace, serviceName: discovery.serviceName };
}

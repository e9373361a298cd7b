// SPDX-License-Identifier: Apache-2.0
import type { DaemonClientTls } from '@chaosplane/daemon/client';

/** How the operator reaches the chaos daemons. */
export type DaemonDiscovery =
  /** EndpointSlices of the daemon's headless Service, by node (production). */
  | { kind: 'service'; namespace: string; serviceName: string }
  /** One fixed host for every node (the embedded `chaosplane dev` control plane). */
  | { kind: 'fixed'; host: string };

/** Everything `chaosplane-operator` can be told; the CLI and `chaosplane dev` build this. */
export interface OperatorOptions {
  /** Path of a kubeconfig; the default loading rules (KUBECONFIG, in-cluster, ~/.kube/config) otherwise. */
  kubeconfig?: string;
  /** Plugin package names or paths. */
  plugins: string[];
  /** Directory plugin package names are resolved from; the current directory by default. */
  pluginsFrom?: string;
  /** The operator's own namespace (Lease, daemon Service, always protected). */
  namespace: string;
  /** Create or upgrade the plugins' CRDs at start. */
  installCrds: boolean;
  /** Leader election on a Lease; off when undefined. */
  leaderElection?: {
    leaseName: string;
    identity?: string;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  /** `host:port` for /metrics, /healthz and /readyz; none when undefined. */
  httpAddress?: string;
  /** Daemon discovery, port and mTLS (or `'insecure'`). */
  daemon: {
    discovery: DaemonDiscovery;
    port: number;
    tls: DaemonClientTls | 'insecure';
    callTimeoutMs: number;
  };
  /** Selection safety gates. */
  selection: { protectedNamespaces?: string[]; filterNamespaces: boolean; targetNamespace?: string };
  /**
   * Run the Schedule, Workflow and StatusCheck controllers (@chaosplane/orchestration) beside
   * the chaos kinds'; true when undefined.
   */
  orchestration?: boolean;
  /** Engine knobs. */
  engine: { workersPerKind: number; recordParallelism: number; shutdownGraceMs: number };
}

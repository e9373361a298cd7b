// SPDX-License-Identifier: Apache-2.0
// The parts of core/v1 Pod the local kubelet reads, typed as Kubernetes defines them (a pod's
// objects arrive as JSON; fields the kubelet does not use are not listed).
import type { SecurityContextFields } from './containerSecurity.js';

/** `valueFrom` of an environment variable. */
export interface EnvVarSource {
  fieldRef?: { fieldPath: string };
  secretKeyRef?: { name: string; key: string; optional?: boolean };
  configMapKeyRef?: { name: string; key: string; optional?: boolean };
  resourceFieldRef?: { resource: string };
}

/** `env` entry. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

/** `envFrom` entry. */
export interface EnvFromSource {
  prefix?: string;
  secretRef?: { name: string; optional?: boolean };
  configMapRef?: { name: string; optional?: boolean };
}

/** An HTTP GET or TCP probe (exec probes run a command). */
export interface Probe {
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string };
  tcpSocket?: { port: number | string; host?: string };
  exec?: { command: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

/** A container of the pod spec. */
export interface PodContainer {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  securityContext?: SecurityContextFields;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  /** Only `limits.memory` is applied (to the container's cgroup). */
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  tty?: boolean;
  stdin?: boolean;
}

/** Items of a Secret, ConfigMap or projection. */
export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

/** A pod volume. */
export interface PodVolume {
  name: string;
  emptyDir?: { medium?: string };
  hostPath?: { path: string; type?: string };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  downwardAPI?: {
    items?: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[];
    defaultMode?: number;
  };
  projected?: {
    defaultMode?: number;
    sources?: {
      secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
      configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
      downwardAPI?: { items?: { path: string; fieldRef?: { fieldPath: string }; mode?: number }[] };
      serviceAccountToken?: { path: string; audience?: string; expirationSeconds?: number };
    }[];
  };
}

/** The pod spec. */
export interface PodSpec {
  nodeName?: string;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: SecurityContextFields;
  containers: PodContainer[];
  volumes?: PodVolume[];
}

// SPDX-License-Identifier: Apache-2.0
// A pod's `fieldRef` paths (env valueFrom and downwardAPI volumes), as the kubelet resolves them.
import { ChaosplaneError, type Pod } from '@chaosplane/sdk';

/** The value of `fieldPath` for the pod running at `podIP` on the node at `hostIP`. */
export function fieldRefValue(pod: Pod, fieldPath: string, ips: { podIP: string; hostIP: string }): string {
  const meta = pod.metadata;
  const mapKey = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (mapKey) {
    const map = (mapKey[1] === 'labels' ? meta.labels : meta.annotations) ?? {};
    return map[mapKey[2]!] ?? '';
  }
  const spec = pod.spec as { nodeName?: string; serviceAccountName?: string } | undefined;
  const values: Record<string, string | undefined> = {
    'metadata.name': meta.name,
    'metadata.namespace': meta.namespace,
    'metadata.uid': meta.uid,
    'metadata.labels': Object.entries(meta.labels ?? {})
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n'),
    'metadata.annotations': Object.entries(meta.annotations ?? {})
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n'),
    'spec.nodeName': spec?.nodeName,
    'spec.serviceAccountName': spec?.serviceAccountName ?? 'default',
    'status.hostIP': ips.hostIP,
    'status.hostIPs': ips.hostIP,
    'status.podIP': ips.podIP,
    'status.podIPs': ips.podIP,
  };
  if (!(fieldPath in values))
    throw new ChaosplaneError('invalid', `unsupported fieldPath ${JSON.stringify(fieldPath)}`, {
      field: 'fieldRef.fieldPath',
    });
  return values[fieldPath] ?? '';
}

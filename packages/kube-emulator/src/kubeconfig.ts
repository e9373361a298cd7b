// SPDX-License-Identifier: Apache-2.0
/** The kubeconfig the emulator writes: its CA, its URL and a bearer token. */
import { stringify } from 'yaml';

/** Parts of the kubeconfig. */
export interface KubeconfigParts {
  url: string;
  caCert: string;
  token: string;
  /** Context, cluster and user name. Default `kube-emulator`. */
  name?: string;
  namespace?: string;
}

/** Renders a kubeconfig YAML that kubectl and @kubernetes/client-node accept as is. */
export function renderKubeconfig(parts: KubeconfigParts): string {
  const name = parts.name ?? 'kube-emulator';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: parts.url,
          'certificate-authority-data': Buffer.from(parts.caCert).toString('base64'),
        },
      },
    ],
    users: [{ name, user: { token: parts.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: parts.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

// SPDX-License-Identifier: Apache-2.0
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { ChaosStatus } from './status.js';

/** A chaos custom resource as read from the API server. */
export interface ChaosObject<Spec = unknown, Status extends ChaosStatus = ChaosStatus> {
  apiVersion: string;
  kind: string;
  metadata: V1ObjectMeta;
  spec: Spec;
  status?: Status;
}

// SPDX-License-Identifier: Apache-2.0
import type { KubeConnection } from '@chaosplane/kube';

/** The connection of engines whose API access is all faked (`apis`): any use is a test bug. */
export const noConnection: KubeConnection = {
  request: () => Promise.reject(new Error('this engine test fakes its API access; nothing may reach HTTPS')),
  watch: () => Promise.reject(new Error('this engine test fakes its API access; nothing may reach HTTPS')),
  close: () => undefined,
};

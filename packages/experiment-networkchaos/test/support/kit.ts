// SPDX-License-Identifier: Apache-2.0
// The test kit as the NetworkChaos system suites start it: the plugin loaded by package name (the
// daemon runs it in its own process, from the build: npm run build first), deploy/daemon.yaml's
// capabilities, and pods in their own network namespaces.
import { DAEMON_CAPABILITIES, podNetworkUnavailableReason } from '@chaosplane/dev';
import type { Pod } from '@chaosplane/sdk';
import { startTestKit, testKitUnavailableReason, type TestKit, type TestPod } from '@chaosplane/testing';
import { netnsUnavailableReason } from './netns.js';

/** The namespace the kit's pods and the suites' chaos objects are in. */
export const NS = 'chaos-test';
/** The plugin, by package name, and where it is resolved from (the repository). */
export const PLUGIN = '@chaosplane/experiment-networkchaos';
export const REPO = new URL('../../../..', import.meta.url).pathname;

/** Why the suites cannot run on this machine, or undefined when they can. */
export function networkKitUnavailableReason(): string | undefined {
  return testKitUnavailableReason() ?? netnsUnavailableReason() ?? podNetworkUnavailableReason();
}

/** Starts the kit with the NetworkChaos plugin and these pods. */
export function startNetworkKit(pods: TestPod[]): Promise<TestKit> {
  return startTestKit({
    plugins: [PLUGIN],
    pluginsFrom: REPO,
    daemonCapabilities: DAEMON_CAPABILITIES,
    pods,
  });
}

/** The host pid of the pod's (first) container: a handle on its network namespace. */
export async function containerPid(kit: TestKit, pod: Pod): Promise<number> {
  const bareId = pod.status!.containerStatuses![0]!.containerID!.replace('containerd://', '');
  return (await kit.plane.containerd.taskStatus(bareId))!.pid;
}

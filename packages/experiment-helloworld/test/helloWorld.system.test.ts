// SPDX-License-Identifier: Apache-2.0
// HelloWorldChaos for real, on the plugin test kit: each selected container runs `ps aux`,
// as nobody, through the daemon on its node; the output comes back as an Event.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { PHASE_INJECTED } from '@chaosplane/sdk';
import {
  describeIf,
  eventually,
  startTestKit,
  testKitUnavailableReason,
  type TestKit,
} from '@chaosplane/testing';

const PLUGIN = new URL('../src/index.ts', import.meta.url).pathname;
const CHAOS = { plural: 'helloworldchaos', name: 'hello' };
const MANIFEST = `apiVersion: chaos-mesh.org/v1alpha1
kind: HelloWorldChaos
metadata: {name: hello, namespace: chaos-test}
spec: {selector: {namespaces: [chaos-test]}, mode: all}
`;

describeIf(testKitUnavailableReason())('HelloWorldChaos', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await startTestKit({ plugins: [PLUGIN] });
  }, 120_000);
  afterAll(() => kit?.close(), 60_000);

  it('says hello in every selected container, as nobody, and deletes cleanly', async () => {
    await kit.kubectl(['apply', '-f', '-'], MANIFEST);
    const records = await kit.waitForRecords(CHAOS, PHASE_INJECTED);
    expect(records.map(r => r.id).sort()).toEqual(['chaos-test/target-0/main', 'chaos-test/target-1/main']);
    expect(records.every(r => r.injectedCount === 1 && r.inFlight === undefined)).toBe(true);

    const hellos = await eventually(
      async () => {
        const events = (await kit.events(CHAOS.name)).filter(e => e.reason === 'HelloWorld');
        return events.length === 2 ? events : undefined;
      },
      { what: 'one HelloWorld event per container' },
    );
    for (const pod of kit.pods) {
      const hello = hellos.find(e => e.message.startsWith(`ps aux in chaos-test/${pod.metadata.name}/main`));
      expect(hello?.message).toMatch(/\(pid \d+\):\n/);
      // The container's own process, and ps itself running as nobody (uid 65534).
      expect(hello?.message).toMatch(/^\s*1\s+root\s+.*sleep 3600$/m);
      expect(hello?.message).toMatch(/^\s*\d+\s+(65534|nobody)\s+.*ps aux$/m);
    }

    await kit.kubectl(['delete', 'helloworldchaos', CHAOS.name, '-n', kit.namespace]);
    await kit.waitForDeletion(CHAOS);
  }, 60_000);
});

// SPDX-License-Identifier: Apache-2.0
// A command that fails in a plugin's daemon handler reaches the user as the documented gRPC
// status and message: FAILED_PRECONDITION with the exit code and stderr, on the record and in
// `kubectl describe` (one Warning event, its count growing with the retries).
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  describeIf,
  eventually,
  startTestKit,
  testKitUnavailableReason,
  type TestKit,
} from '@chaosplane/testing';

const PLUGIN = new URL('./fixtures/failingPlugin.ts', import.meta.url).pathname;
const MANIFEST = `apiVersion: chaos-mesh.org/v1alpha1
kind: FailChaos
metadata: {name: full-disk, namespace: chaos-test}
spec: {selector: {namespaces: [chaos-test], labelSelectors: {app: target}}, mode: one}
`;

describeIf(testKitUnavailableReason())('a failed command in a handler', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await startTestKit({ plugins: [PLUGIN] });
  }, 120_000);
  afterAll(() => kit?.close(), 60_000);

  it('shows in kubectl describe as FAILED_PRECONDITION with its exit code and stderr', async () => {
    await kit.kubectl(['apply', '-f', '-'], MANIFEST);
    const expected =
      /daemon on node \S+: FAILED_PRECONDITION: command \["sh","-c",.*\] exited with 3: no space left on device/;
    const record = await eventually(
      async () => {
        const obj = await kit.get({ plural: 'failchaos', name: 'full-disk' });
        const [first] = obj?.status?.experiment?.containerRecords ?? [];
        return first?.events?.some(e => e.type === 'Failed') ? first : undefined;
      },
      { what: 'the record shows a failed apply' },
    );
    expect(record.phase).toBe('Not Injected');
    expect(record.events?.find(e => e.type === 'Failed')?.message).toMatch(expected);

    const described = await eventually(
      async () => {
        const text = await kit.kubectl(['describe', 'failchaos', 'full-disk', '-n', kit.namespace]);
        return /Warning\s+Failed/.test(text) && /\(x[2-9]\d* over/.test(text) ? text : undefined;
      },
      { what: 'kubectl describe shows the Warning, repeated', timeoutMs: 30_000 },
    );
    expect(described).toMatch(expected);
    // Repeats are counted on one Event, not written as new ones.
    const failed = (await kit.events('full-disk')).filter(e => e.reason === 'Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.count).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

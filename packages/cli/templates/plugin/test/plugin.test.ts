// __KIND__ for real: the test kit runs kube-emulator, containerd, the daemon (mTLS) and the
// operator with this plugin loaded, and two busybox pods; kubectl applies the example.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeIf, startTestKit, testKitUnavailableReason, type TestKit } from '@chaosplane/testing';

const PLUGIN = new URL('../src/index.ts', import.meta.url).pathname;
const CHAOS = { plural: '__PLURAL__', name: 'hello-file' };

describeIf(testKitUnavailableReason())('__KIND__', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await startTestKit({ plugins: [PLUGIN] });
  }, 120_000);
  afterAll(() => kit?.close(), 60_000);

  it('writes the file in every selected container, and removes it when the experiment is deleted', async () => {
    const manifest = await readFile(new URL('../examples/__PLURAL__.yaml', import.meta.url), 'utf8');
    await kit.kubectl(['apply', '-f', '-'], manifest);
    await kit.waitForRecords(CHAOS, 'Injected');
    for (const pod of kit.pods)
      expect((await kit.exec(pod.metadata.name!, ['cat', '/tmp/hello'])).stdout).toBe(
        'hello from __KIND__\n',
      );

    await kit.kubectl(['delete', '-f', '-'], manifest);
    await kit.waitForDeletion(CHAOS);
    for (const pod of kit.pods)
      expect((await kit.exec(pod.metadata.name!, ['cat', '/tmp/hello'])).exitCode).not.toBe(0);
  });
});

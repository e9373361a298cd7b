// SPDX-License-Identifier: Apache-2.0
// A command that exits without reading its stdin: the daemon's write gets EPIPE, which must end
// as the command's result, not as an unhandled error that would take the daemon down.
import { describe, expect, it } from '@jest/globals';
import { runCommand } from '../src/process/runCommand.js';

const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
/** Far more than a pipe holds (64 KiB), so the write is still going when the program exits. */
const BIG = 'x'.repeat(4 * 1024 * 1024);

describe('runCommand with stdin the program does not read', () => {
  it('answers with the exit of a program that exits at once', async () => {
    for (let i = 0; i < 5; i += 1) {
      await expect(runCommand(['true'], { env, stdin: BIG })).resolves.toMatchObject({ exitCode: 0 });
      await expect(
        runCommand(['sh', '-c', 'echo no >&2; exit 3'], { env, stdin: BIG }),
      ).resolves.toMatchObject({
        exitCode: 3,
        stderr: 'no\n',
      });
    }
  });
});

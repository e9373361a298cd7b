// SPDX-License-Identifier: Apache-2.0
import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { chaosLogger, createLogger } from '@chaosplane/core';

function capture(format: 'json' | 'pretty') {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  return { log: createLogger({ format, stream, component: 'test' }), lines };
}

describe('createLogger', () => {
  it('writes JSON lines that carry the chaos object and the record', async () => {
    const { log, lines } = capture('json');
    chaosLogger(log, {
      kind: 'HelloWorldChaos',
      namespace: 'busybox',
      name: 'hello',
      record: 'busybox/a/c',
    }).info('Apply helloworld chaos');
    await new Promise(resolve => setImmediate(resolve));
    const line = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(line).toMatchObject({
      message: 'Apply helloworld chaos',
      level: 'info',
      component: 'test',
      chaosKind: 'HelloWorldChaos',
      chaos: 'busybox/hello',
      record: 'busybox/a/c',
    });
    expect(typeof line['timestamp']).toBe('string');
  });

  it('writes readable lines for a terminal', async () => {
    const { log, lines } = capture('pretty');
    log.child({ chaos: 'ns/x' }).warn('careful');
    await new Promise(resolve => setImmediate(resolve));
    expect(lines[0]).toMatch(/warn.*\[test\] careful chaos=ns\/x/);
  });
});

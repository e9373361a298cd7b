// SPDX-License-Identifier: Apache-2.0
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { chaosLogger, createLogger } from '@chaosplane/service';

const execFileAsync = promisify(execFile);

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
    // The line just logged (a missing one fails JSON.parse).
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
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

describe('createLogger without a format (a real process)', () => {
  // Run the compiled package in a child, so stdout is what the process really gets: a pipe here,
  // a pseudo-terminal through script(1).
  const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  const program = `import(${JSON.stringify(entry)}).then(m => m.createLogger({ component: 'auto' }).info('hello', { chaos: 'ns/x' }))`;
  const run = (argv: string[], env: Record<string, string> = {}) =>
    execFileAsync(argv[0]!, argv.slice(1), { env: { ...process.env, LOG_FORMAT: '', ...env } }).then(
      r => r.stdout,
    );

  it('writes JSON when stdout is not a terminal (a pod, CI)', async () => {
    const out = await run([process.execPath, '-e', program]);
    expect(JSON.parse(out.trim())).toMatchObject({ message: 'hello', component: 'auto', chaos: 'ns/x' });
  });

  it('writes readable lines on a terminal, and LOG_FORMAT overrides the choice', async () => {
    const script = ['script', '-qec', `${process.execPath} -e ${shellQuote(program)}`, '/dev/null'];
    const tty = await run(script);
    expect(tty).toMatch(/\[auto\] hello chaos=ns\/x/);
    expect(tty.trim().startsWith('{')).toBe(false);
    const forced = await run([process.execPath, '-e', program], { LOG_FORMAT: 'pretty' });
    expect(forced).toMatch(/info \[auto\] hello chaos=ns\/x/);
  });
});

/** Quotes one word for script(1)'s `-c`, which takes a shell command line (test input only). */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

// SPDX-License-Identifier: Apache-2.0
// The data-directory lock: a lock naming a dead, zombie or reused pid is taken over; one naming
// the live owner is refused with a message naming it.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { describeIf, eventually } from '@chaosplane/testing';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeEmulatorError } from '../src/index.js';
import { createPersistence } from '../src/store/persistence.js';

function startTimeOf(pid: number): string {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 22 of a process's stat is always there.
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[19]!;
}

function stateOf(pid: number): string | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

describeIf(fs.existsSync('/proc/self/stat') ? undefined : 'they need /proc (Linux)')(
  'data directory lock',
  () => {
    let dir: string;
    const children: ChildProcess[] = [];

    /** A live process that is not an emulator: `sleep`, killed in afterAll. */
    async function liveProcess(): Promise<number> {
      const child = spawn('sleep', ['60'], { stdio: 'ignore' });
      children.push(child);
      await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
      return child.pid!;
    }

    function lockDir(name: string, content: string): string {
      const d = path.join(dir, name);
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, 'lock'), content);
      return d;
    }

    async function opens(d: string): Promise<void> {
      const p = createPersistence(d);
      const lock = fs.readFileSync(path.join(d, 'lock'), 'utf8');
      expect(lock).toBe(`${process.pid} ${startTimeOf(process.pid)}\n`);
      await p.close();
      expect(fs.existsSync(path.join(d, 'lock'))).toBe(false);
    }

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-emulator-lock-'));
    });

    afterAll(async () => {
      for (const c of children) {
        if (c.exitCode === null && c.signalCode === null) {
          const exited = new Promise(resolve => c.once('exit', resolve));
          c.kill('SIGKILL');
          await exited;
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('takes over a lock whose pid is gone', async () => {
      const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
      const pid = child.pid!;
      await new Promise(resolve => child.once('exit', resolve));
      await eventually(() => stateOf(pid) === undefined);
      await opens(lockDir('dead', `${pid}\n`));
    });

    it('takes over a lock whose pid is a zombie (killed, not yet reaped)', async () => {
      // `sh` starts a short `sleep` in the background and becomes a long `sleep`, which never
      // reaps it (the short one ends after the exec, so the shell cannot reap it first).
      const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 60'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      children.push(parent);
      let out = '';
      parent.stdout.on('data', (c: Buffer) => (out += c.toString()));
      await eventually(() => out.includes('\n'));
      const zombie = Number(out.trim());
      await eventually(() => stateOf(zombie) === 'Z');
      // kill(pid, 0) succeeds on a zombie: the old check called this an owner.
      expect(() => process.kill(zombie, 0)).not.toThrow();
      await opens(lockDir('zombie', `${zombie} ${startTimeOf(zombie)}\n`));
    });

    it('takes over a lock whose pid now belongs to another process', async () => {
      const pid = await liveProcess();
      const otherStart = String(Number(startTimeOf(pid)) - 1);
      await opens(lockDir('reused', `${pid} ${otherStart}\n`));
    });

    it('refuses a lock held by its live owner, naming it', async () => {
      const pid = await liveProcess();
      for (const content of [`${pid} ${startTimeOf(pid)}\n`, `${pid}\n`]) {
        const d = lockDir(`held-${content.length}`, content);
        let error: unknown;
        try {
          createPersistence(d);
        } catch (e) {
          error = e;
        }
        expect(KubeEmulatorError.is(error) && error.kind === 'Startup').toBe(true);
        expect((error as Error).message).toContain(`is in use by process ${pid}`);
        // The owner's lock stays.
        expect(fs.readFileSync(path.join(d, 'lock'), 'utf8')).toBe(content);
      }
    });
  },
);

// SPDX-License-Identifier: Apache-2.0
// `kubectl exec` over a WebSocket with the remote command subprotocol kubectl 1.30+ speaks
// (`v5.channel.k8s.io`, and v4 without the close signal): each binary message starts with its
// channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize); `[255, channel]` half-closes a
// channel (kubectl sends it when its stdin ends). The error channel carries a v1 Status once the
// command ended: Success, or NonZeroExitCode with the exit code as the ExitCode cause, which
// kubectl exits with. The connection is then closed normally.
import type { WebSocket } from 'ws';
import { startExec, type ExecSession } from '../containerd/execProcess.js';
import type { KubeletState } from './kubeletState.js';

/** The subprotocols served, preferred first. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** What an exec request asks for. */
export interface ExecRequest {
  bareId: string;
  argv: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The exec query of `/exec/...`: `command` repeated, and the stream flags. */
export function execRequestOf(q: URLSearchParams, bareId: string): ExecRequest {
  const flag = (name: string) => q.get(name) === 'true' || q.get(name) === '1';
  return {
    bareId,
    argv: q.getAll('command'),
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    tty: flag('tty'),
  };
}

/** The v1 Status sent on the error channel for an exit code. */
export function exitStatus(argv: string[], exitCode: number): object {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** Sends `payload` on `channel`. */
function send(ws: WebSocket, channel: number, payload: Buffer | string): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(Buffer.concat([Buffer.from([channel]), Buffer.isBuffer(payload) ? payload : Buffer.from(payload)]));
}

/** Feeds one client message to the session: stdin, a resize, or a half-close. */
function onClientMessage(session: ExecSession, v5: boolean, data: Buffer): void {
  if (data.length === 0) return;
  const channel = data[0];
  const payload = data.subarray(1);
  if (channel === STDIN) session.writeStdin(payload);
  else if (channel === RESIZE) {
    try {
      const size = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
      session.resize(size.Width ?? 0, size.Height ?? 0);
    } catch {
      // Not a size: ignored, as the kubelet does.
    }
  } else if (v5 && channel === CLOSE && payload[0] === STDIN) session.closeStdin();
}

/** Runs the exec on an upgraded connection until the command ends or the client goes away. */
export async function streamExec(state: KubeletState, ws: WebSocket, request: ExecRequest): Promise<void> {
  const v5 = ws.protocol === EXEC_PROTOCOLS[0];
  // kubectl writes stdin (and its end) as soon as the connection is up: what arrives while
  // containerd starts the process waits here.
  const early: Buffer[] = [];
  let session: ExecSession | undefined;
  ws.on('message', (data: Buffer) => (session ? onClientMessage(session, v5, data) : early.push(data)));
  ws.on('close', () => session?.kill());
  try {
    session = await startExec(state.api, {
      containerId: request.bareId,
      argv: request.argv,
      tty: request.tty,
      stdin: request.stdin,
      fifoParent: state.dirs.fifos,
      output: (stream, chunk) => {
        if (stream === 'stdout' && request.stdout) send(ws, STDOUT, chunk);
        if (stream === 'stderr' && request.stderr) send(ws, STDERR, chunk);
      },
    });
  } catch (error) {
    const message = `error executing command in container: ${(error as Error).message}`;
    send(
      ws,
      ERROR,
      JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 }),
    );
    ws.close(1000);
    return;
  }
  for (const data of early.splice(0)) onClientMessage(session, v5, data);
  if (ws.readyState !== ws.OPEN) session.kill();
  const exitCode = await session.exited.catch(() => 137);
  send(ws, ERROR, JSON.stringify(exitStatus(request.argv, exitCode)));
  ws.close(1000);
}

// SPDX-License-Identifier: Apache-2.0
// The kubelet's `/containerLogs/{namespace}/{pod}/{container}`: what `kubectl logs` gets through
// the API server's `pods/log`, with its query (follow, tailLines, timestamps, sinceSeconds,
// sinceTime, previous, limitBytes), read from the instance's CRI log file.
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  containerLogDir,
  followLog,
  formatEntries,
  limitText,
  logFileOf,
  parseLogLines,
  readLogFile,
  selectEntries,
  type LogQuery,
} from './containerLog.js';
import type { ContainerSlot, KubeletState, PodRecord } from './kubeletState.js';
import { ChaosplaneError } from '@chaosplane/sdk';

/** The query of a containerLogs request. */
function logQueryOf(q: URLSearchParams): LogQuery & { follow: boolean; previous: boolean } {
  const int = (name: string) => (q.has(name) ? Number(q.get(name)) : undefined);
  const flag = (name: string) => q.get(name) === 'true' || q.get(name) === '1';
  const sinceSeconds = int('sinceSeconds');
  const sinceTime = q.get('sinceTime');
  const since =
    sinceSeconds !== undefined
      ? new Date(Date.now() - sinceSeconds * 1000)
      : sinceTime
        ? new Date(sinceTime)
        : undefined;
  const tailLines = int('tailLines');
  const limitBytes = int('limitBytes');
  return {
    follow: flag('follow'),
    previous: flag('previous'),
    timestamps: flag('timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(since ? { since } : {}),
  };
}

/** The log file asked for: the current instance's, or the previous one's. */
function logFileFor(state: KubeletState, record: PodRecord, slot: ContainerSlot, previous: boolean): string {
  const dir = containerLogDir(
    state.dirs.logs,
    { namespace: record.namespace, name: record.name, uid: record.uid },
    slot.name,
  );
  if (previous) {
    const file = logFileOf(dir, slot.restartCount - 1);
    if (slot.restartCount === 0 || !fs.existsSync(file))
      throw new ChaosplaneError(
        'invalid',
        `previous terminated container "${slot.name}" in pod "${record.name}" not found`,
      );
    return file;
  }
  if (!slot.instance)
    throw new ChaosplaneError(
      'invalid',
      `container "${slot.name}" in pod "${record.name}" is waiting to start: ${slot.waiting?.reason ?? 'ContainerCreating'}`,
    );
  return slot.instance.logFile;
}

/** Answers one containerLogs request. */
export async function serveContainerLogs(
  state: KubeletState,
  target: { record: PodRecord; slot: ContainerSlot },
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { record, slot } = target;
  const query = logQueryOf(url.searchParams);
  const file = logFileFor(state, record, slot, query.previous);
  const content = readLogFile(file);
  const text = limitText(
    formatEntries(selectEntries(parseLogLines(content), query), query),
    query.limitBytes,
  );
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.write(text);
  const instance = slot.instance;
  if (!query.follow || query.previous || !instance || instance.logFile !== file) {
    res.end();
    return;
  }
  // Follow from the end of what was read, until the instance ended or the client went away.
  const gone = new AbortController();
  req.on('close', () => gone.abort());
  state.stop.signal.addEventListener('abort', () => gone.abort(), { once: true });
  const offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
  const { since: _since, ...followQuery } = query;
  for await (const chunk of followLog(
    file,
    offset,
    followQuery,
    () => instance.exit !== undefined || slot.instance !== instance,
    gone.signal,
  ))
    res.write(chunk);
  res.end();
}

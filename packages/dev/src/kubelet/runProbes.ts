// SPDX-License-Identifier: Apache-2.0
// Liveness and readiness probes, as the kubelet runs them: httpGet (a status from 200 to 399 is
// success), tcpSocket (a connection) or exec (exit 0), from the node to the pod's IP, every
// periodSeconds after initialDelaySeconds, each with its timeoutSeconds. Readiness decides the
// container's `ready` and so the pod's Ready condition; failureThreshold liveness failures in a
// row restart the container.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { startExec } from '../containerd/execProcess.js';
import { replaceSlot } from './containerLifecycle.js';
import { serially, type ContainerSlot, type KubeletState, type PodRecord } from './kubeletState.js';
import type { PodContainer, Probe } from './podSpecTypes.js';
import { writePodStatus } from './podStatus.js';

/** A named or numbered port of the container. */
function portOf(container: PodContainer, port: number | string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find(p => p.name === port)?.containerPort ?? -1;
}

/** An HTTP GET probe: success for a status from 200 to 399 within the timeout. */
function httpProbe(
  host: string,
  port: number,
  probe: NonNullable<Probe['httpGet']>,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise(resolve => {
    const get = probe.scheme === 'HTTPS' ? https.get : http.get;
    const request = get(
      {
        host: probe.host ?? host,
        port,
        path: probe.path ?? '/',
        timeout: timeoutMs,
        rejectUnauthorized: false,
        headers: { 'User-Agent': 'kube-probe/1.32' },
      },
      response => {
        response.resume();
        resolve((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 400);
      },
    );
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** A TCP probe: success when a connection opens within the timeout. */
function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ host, port, timeout: timeoutMs }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('timeout', () => socket.destroy());
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

/** An exec probe: success when the command exits 0 within the timeout. */
async function execProbe(
  state: KubeletState,
  bareId: string,
  command: string[],
  timeoutMs: number,
): Promise<boolean> {
  try {
    const session = await startExec(state.api, {
      containerId: bareId,
      argv: command,
      tty: false,
      stdin: false,
      fifoParent: state.dirs.fifos,
      output: () => undefined,
    });
    const timer = setTimeout(() => session.kill(), timeoutMs);
    const code = await session.exited;
    clearTimeout(timer);
    return code === 0;
  } catch {
    return false;
  }
}

/** Runs one probe of a container. */
function runProbe(
  state: KubeletState,
  record: PodRecord,
  container: PodContainer,
  slot: ContainerSlot,
  probe: Probe,
) {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const host = record.sandbox.ip;
  if (probe.httpGet) return httpProbe(host, portOf(container, probe.httpGet.port), probe.httpGet, timeoutMs);
  if (probe.tcpSocket)
    return tcpProbe(probe.tcpSocket.host ?? host, portOf(container, probe.tcpSocket.port), timeoutMs);
  if (probe.exec && slot.instance)
    return execProbe(state, slot.instance.bareId, probe.exec.command, timeoutMs);
  return Promise.resolve(true);
}

/** Whether a probe is due now: after its initial delay, once per period. */
function due(slot: ContainerSlot, kind: string, probe: Probe, now: number): boolean {
  const started = slot.instance!.startedAt.getTime();
  if (now - started < (probe.initialDelaySeconds ?? 0) * 1000) return false;
  const last = slot.probes.lastRun[kind] ?? 0;
  if (now - last < (probe.periodSeconds ?? 10) * 1000) return false;
  slot.probes.lastRun[kind] = now;
  return true;
}

/** Readiness: successThreshold successes make it ready, failureThreshold failures unready. */
async function checkReadiness(
  state: KubeletState,
  record: PodRecord,
  container: PodContainer,
  slot: ContainerSlot,
  probe: Probe,
) {
  const ok = await runProbe(state, record, container, slot, probe);
  const p = slot.probes;
  if (ok) {
    p.readinessFailures = 0;
    p.readinessSuccesses++;
  } else {
    p.readinessSuccesses = 0;
    p.readinessFailures++;
  }
  const ready = slot.ready
    ? p.readinessFailures < (probe.failureThreshold ?? 3)
    : p.readinessSuccesses >= (probe.successThreshold ?? 1);
  if (ready !== slot.ready) {
    slot.ready = ready;
    await serially(state, record.key, () => writePodStatus(state, record));
  }
}

/** Liveness: failureThreshold failures in a row restart the container. */
async function checkLiveness(
  state: KubeletState,
  record: PodRecord,
  container: PodContainer,
  slot: ContainerSlot,
  probe: Probe,
) {
  const ok = await runProbe(state, record, container, slot, probe);
  slot.probes.livenessFailures = ok ? 0 : slot.probes.livenessFailures + 1;
  if (slot.probes.livenessFailures < (probe.failureThreshold ?? 3)) return;
  state.log.info('liveness probe failed: restarting the container', {
    pod: record.key,
    container: slot.name,
  });
  const instance = slot.instance;
  const grace = record.spec.terminationGracePeriodSeconds ?? 30;
  await serially(state, record.key, async () => {
    if (slot.instance === instance) await replaceSlot(state, record, slot, 'liveness probe failed', grace);
  });
}

/** Runs the probes that are due for every running container of every pod. */
export async function runProbes(state: KubeletState): Promise<void> {
  const now = Date.now();
  const checks: Promise<void>[] = [];
  for (const record of state.pods.values()) {
    for (const slot of record.slots) {
      const container = record.spec.containers.find(c => c.name === slot.name);
      if (!container || !slot.instance || slot.instance.exit || slot.waiting) continue;
      if (container.readinessProbe && due(slot, 'readiness', container.readinessProbe, now))
        checks.push(checkReadiness(state, record, container, slot, container.readinessProbe));
      if (container.livenessProbe && due(slot, 'liveness', container.livenessProbe, now))
        checks.push(checkLiveness(state, record, container, slot, container.livenessProbe));
    }
  }
  await Promise.all(checks);
}

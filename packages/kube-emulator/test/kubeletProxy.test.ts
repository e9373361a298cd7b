// SPDX-License-Identifier: Apache-2.0
// pods/log and pods/exec go to the kubelet of the pod's node: found through the Node's
// kubeletEndpoint port and address, the container checked against the pod, over HTTPS verified
// with the kubelet CA. The kubelet here is a stand-in on port 0 that records what it is asked and
// echoes an upgraded stream (the real one is @chaosplane/dev's, tested with kubectl in
// packages/dev/test/kubectlLogsExec.system.test.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import tls from 'node:tls';
import { ensureTls } from '../src/tls.js';
import { type Harness, raw, startHarness } from './support.js';

/** What the stand-in kubelet was asked. */
const asked: string[] = [];

/** A kubelet stand-in: logs answer two lines; an upgrade answers 101 and echoes what it gets. */
function startFakeKubelet(material: { serverCert: string; serverKey: string }): Promise<https.Server> {
  const server = https.createServer({ cert: material.serverCert, key: material.serverKey }, (req, res) => {
    asked.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('line-1\nline-2\n');
  });
  server.on('upgrade', (req, socket) => {
    asked.push(`UPGRADE ${req.url} ${req.headers['sec-websocket-protocol']}`);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.pipe(socket);
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Sends an upgrade request for `pathname` to the emulator; resolves with its first answer and an echo test. */
function upgrade(h: Harness, pathname: string, token: string): Promise<{ head: string; echo: string }> {
  const url = new URL(h.emulator.url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: h.emulator.caCert }, () => {
      socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\n` +
          'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
          'Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n',
      );
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = text.slice(0, end);
      if (!head.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        resolve({ head: text, echo: '' });
      } else if (text.length === end + 4) socket.write('ping');
      else if (text.endsWith('ping')) {
        socket.destroy();
        resolve({ head, echo: text.slice(end + 4) });
      }
    });
    socket.on('error', reject);
  });
}

describe('pods/log and pods/exec through the kubelet', () => {
  let h: Harness;
  let kubelet: https.Server;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-emulator-kubelet-'));
    const material = await ensureTls(path.join(dir, 'kubelet-pki'));
    kubelet = await startFakeKubelet(material);
    h = await startHarness({ kubeletClient: { caCert: material.caCert } });
    const port = (kubelet.address() as AddressInfo).port;
    for (const [name, status] of [
      [
        'node-1',
        {
          addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
          daemonEndpoints: { kubeletEndpoint: { Port: port } },
        },
      ],
      ['node-2', { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] }],
    ] as const) {
      await h.core.createNode({ body: { metadata: { name } } });
      const node = await raw(h.emulator, 'GET', `/api/v1/nodes/${name}`);
      await raw(h.emulator, 'PUT', `/api/v1/nodes/${name}/status`, JSON.stringify({ ...node.json, status }));
    }
    const pod = (name: string, nodeName: string | undefined, containers: string[]) => ({
      metadata: { name },
      spec: {
        ...(nodeName ? { nodeName } : {}),
        containers: containers.map(c => ({ name: c, image: 'busybox' })),
      },
    });
    for (const body of [
      pod('one', 'node-1', ['main']),
      pod('two', 'node-1', ['a', 'b']),
      pod('unbound', undefined, ['main']),
      pod('elsewhere', 'node-2', ['main']),
    ])
      await h.core.createNamespacedPod({ namespace: 'default', body });
  });

  afterAll(async () => {
    await h?.emulator.stop();
    kubelet?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('proxies a log request with its query to the container the pod has', async () => {
    const res = await raw(
      h.emulator,
      'GET',
      '/api/v1/namespaces/default/pods/one/log?tailLines=2&follow=true&bogus=1',
    );
    expect(res.status).toBe(200);
    expect(res.body).toBe('line-1\nline-2\n');
    expect(asked.at(-1)).toBe('GET /containerLogs/default/one/main?follow=true&tailLines=2');
    await raw(h.emulator, 'GET', '/api/v1/namespaces/default/pods/two/log?container=b&previous=true');
    expect(asked.at(-1)).toBe('GET /containerLogs/default/two/b?previous=true');
  });

  it('refuses what the apiserver refuses before any kubelet is asked', async () => {
    const before = asked.length;
    const cases: [string, number, string][] = [
      ['two/log', 400, 'a container name must be specified for pod two, choose one of: [a b]'],
      ['one/log?container=nope', 400, 'container nope is not valid for pod one'],
      ['unbound/log', 400, 'pod unbound does not have a host assigned'],
      ['elsewhere/log', 503, 'no kubelet endpoint is known for node node-2'],
      ['missing/log', 404, 'pods "missing" not found'],
    ];
    for (const [sub, code, message] of cases) {
      const res = await raw(h.emulator, 'GET', `/api/v1/namespaces/default/pods/${sub}`);
      expect([sub, res.status, res.json?.message]).toEqual([sub, code, message]);
    }
    expect(asked.length).toBe(before);
  });

  it('splices an exec upgrade to the kubelet once authenticated', async () => {
    const exec =
      '/api/v1/namespaces/default/pods/one/exec?command=sh&command=-c&command=ls&stdin=true&stdout=true&tty=true';
    const answer = await upgrade(h, exec, h.emulator.token);
    expect(answer.head).toMatch(/^HTTP\/1\.1 101 /);
    expect(answer.echo).toBe('ping');
    expect(asked.at(-1)).toBe(
      'UPGRADE /exec/default/one/main?command=sh&command=-c&command=ls&stdin=true&stdout=true&tty=true v5.channel.k8s.io',
    );
    const refused = await upgrade(h, exec, 'not-the-token');
    expect(refused.head).toMatch(/^HTTP\/1\.1 401 /);
  });
});

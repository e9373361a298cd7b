// SPDX-License-Identifier: Apache-2.0
// The API server as pods reach it: a TCP forwarder on the pod network's gateway (the node's
// address on the bridge) to the emulator on loopback, as kube-proxy makes the `kubernetes`
// Service reach the apiserver. TLS passes through untouched: the emulator's certificate names
// the gateway, so in-cluster clients verify it with the service account's ca.crt.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** A listening forwarder. */
export interface ApiServerForwarder {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Forwards connections to `host:0` (a free port) to `target`. */
export async function forwardApiServer(
  host: string,
  target: { host: string; port: number },
): Promise<ApiServerForwarder> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(client => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>(resolve => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

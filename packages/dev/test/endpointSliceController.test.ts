// SPDX-License-Identifier: Apache-2.0
// The EndpointSlice controller against a real kube-emulator (in this process): a Service's
// selected pods with IPs become endpoints with their conditions, node and pod reference, its
// ports resolved per pod (a named targetPort through the containers' ports), in slices the
// Service owns; a Service that selects nothing keeps an empty slice; a Service without a
// selector is left alone, as the dev plane's host daemon Service needs. A stand-in kubelet
// (support/controllerCluster.ts) gives bound pods an IP and marks them Ready.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '@chaosplane/dev';
import type { Pod } from '@chaosplane/sdk';
import { startControllerCluster, type ControllerCluster } from './support/controllerCluster.js';
import { list, livePods } from './support/workloads.js';

const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';

interface Slice {
  metadata: {
    name: string;
    labels: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  addressType: string;
  ports?: { name: string; port: number; protocol: string }[] | null;
  endpoints?:
    | {
        addresses: string[];
        conditions: { ready: boolean; serving: boolean; terminating: boolean };
        nodeName?: string;
        targetRef: { kind: string; name: string };
      }[]
    | null;
}

let cluster: ControllerCluster;
beforeAll(async () => {
  cluster = await startControllerCluster();
  await cluster.addNode('node-1');
});
afterAll(() => cluster.stop());

function daemonPod(name: string, labels: Record<string, string>): Pod {
  return {
    metadata: { name, namespace: 'default', labels },
    spec: {
      containers: [
        {
          name: 'daemon',
          image: 'busybox:1.36',
          ports: [
            { name: 'grpc', containerPort: 31767 },
            { name: 'http', containerPort: 31766 },
          ],
        },
      ],
    },
  };
}

const slicesOf = (service: string) =>
  list<Slice>(cluster.kube, SLICES, `kubernetes.io/service-name=${service}`);

describe('EndpointSlice controller', () => {
  it('publishes the selected pods with their IPs, conditions and nodes, resolving named target ports', async () => {
    await cluster.kube.request('POST', '/api/v1/namespaces/default/services', {
      body: {
        metadata: { name: 'daemon', namespace: 'default', labels: { team: 'chaos' } },
        spec: {
          clusterIP: 'None',
          selector: { app: 'daemon' },
          ports: [{ name: 'grpc', port: 31767, targetPort: 'grpc' }],
        },
      },
    });
    for (const name of ['daemon-a', 'daemon-b'])
      await cluster.kube.request('POST', '/api/v1/namespaces/default/pods', {
        body: daemonPod(name, { app: 'daemon' }),
      });
    await cluster.kube.request('POST', '/api/v1/namespaces/default/pods', {
      body: daemonPod('other', { app: 'other' }),
    });
    const [slice] = await eventually(
      async () => {
        const slices = await slicesOf('daemon');
        return slices.length === 1 && slices[0]!.endpoints?.length === 2 ? slices : undefined;
      },
      { what: 'one slice with both daemon pods' },
    );
    const pods = await livePods(cluster.kube, 'app=daemon');
    expect(slice!.metadata.name).toMatch(/^daemon-[a-z0-9]{5}$/);
    expect(slice!.metadata.labels).toEqual({
      team: 'chaos',
      'kubernetes.io/service-name': 'daemon',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      'service.kubernetes.io/headless': '',
    });
    expect(slice!.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Service', name: 'daemon', controller: true }),
    ]);
    expect(slice!.addressType).toBe('IPv4');
    expect(slice!.ports).toEqual([{ name: 'grpc', port: 31767, protocol: 'TCP' }]);
    expect([...slice!.endpoints!].sort((a, b) => a.targetRef.name.localeCompare(b.targetRef.name))).toEqual(
      pods
        .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))
        .map(p => ({
          addresses: [p.status!.podIP],
          conditions: { ready: true, serving: true, terminating: false },
          nodeName: 'node-1',
          targetRef: { kind: 'Pod', namespace: 'default', name: p.metadata.name, uid: p.metadata.uid },
        })),
    );
  });

  it('follows readiness and deletion of pods', async () => {
    await cluster.setPhase('default', 'daemon-a', 'Running');
    await eventually(
      async () => {
        const [slice] = await slicesOf('daemon');
        const a = slice?.endpoints?.find(e => e.targetRef.name === 'daemon-a');
        return a && !a.conditions.ready && !a.conditions.serving;
      },
      { what: 'daemon-a not ready in the slice' },
    );
    await cluster.kube.request('DELETE', '/api/v1/namespaces/default/pods/daemon-b');
    await eventually(
      async () => {
        const [slice] = await slicesOf('daemon');
        return slice?.endpoints?.length === 1 && slice.endpoints[0]!.targetRef.name === 'daemon-a';
      },
      { what: 'daemon-b gone from the slice' },
    );
  });

  it('keeps one empty slice for a Service that selects nothing, and none for one without a selector', async () => {
    await cluster.kube.request('POST', '/api/v1/namespaces/default/services', {
      body: {
        metadata: { name: 'empty', namespace: 'default' },
        spec: { selector: { app: 'none' }, ports: [{ port: 80 }] },
      },
    });
    await cluster.kube.request('POST', '/api/v1/namespaces/default/services', {
      body: { metadata: { name: 'manual', namespace: 'default' }, spec: { ports: [{ port: 80 }] } },
    });
    const [placeholder] = await eventually(async () => {
      const slices = await slicesOf('empty');
      return slices.length === 1 ? slices : undefined;
    });
    expect(placeholder!.endpoints ?? []).toEqual([]);
    expect(placeholder!.ports ?? []).toEqual([]);
    // Give the controller time to act on the selector-less Service, if it (wrongly) would.
    await eventually(async () => (await slicesOf('empty')).length === 1);
    expect(await slicesOf('manual')).toEqual([]);
  });
});

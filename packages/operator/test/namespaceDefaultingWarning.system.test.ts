// SPDX-License-Identifier: Apache-2.0
// The apply-time warning for defaulted selector namespaces: --install-crds installs the generated
// ValidatingAdmissionPolicy (Warn) beside the CRDs; the real kubectl then prints `Warning: …`
// naming the field and the namespace for a PodChaos, HelloWorldChaos or NetworkChaos whose
// selector names no namespace, and the object is still created; with namespaces, or on an update
// that leaves the spec alone, there is none. For every bundled kind and selector shape, the
// fields the policy warns about are exactly those the engine reports in its NamespaceDefaulted
// Event (defaultedNamespaceFields). A cluster without the API gets a log line, not a failure.
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { defaultedNamespaceFields, NAMESPACE_DEFAULTING_POLICY } from '@chaosplane/engine';
import { createKubeConnection, type KubeConnection } from '@chaosplane/kube';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { BUNDLED_PLUGINS, installCrds } from '@chaosplane/operator';
import { ChaosplaneError, type ChaosKind, type ChaosObject, type KubeClient } from '@chaosplane/sdk';
import { kubectlOutcome, type KubectlOutcome } from '@chaosplane/dev';
import { captureLogger, describeIf, kubectlUnavailableReason } from '@chaosplane/testing';
import { createSilentLogger, loadPlugins } from '@chaosplane/service';

const GROUP = 'chaos-mesh.org/v1alpha1';
const PREFIX = `Warning: Validation failed for ValidatingAdmissionPolicy '${NAMESPACE_DEFAULTING_POLICY}' with binding '${NAMESPACE_DEFAULTING_POLICY}': `;
const TAIL = ", the object's own namespace (as Chaos Mesh's defaulting webhook would write it)";

/** A valid spec of each bundled kind around `selector` (and NetworkChaos's `target`). */
const BASE: Record<string, (selector: unknown, target?: unknown) => Record<string, unknown>> = {
  HelloWorldChaos: selector => ({ mode: 'all', selector }),
  PodChaos: selector => ({ action: 'pod-kill', mode: 'one', selector }),
  NetworkChaos: (selector, target) => ({
    action: 'partition',
    mode: 'all',
    direction: 'to',
    selector,
    ...(target === undefined ? {} : { target: { mode: 'all', selector: target } }),
  }),
  StressChaos: selector => ({ mode: 'one', selector, stressors: { cpu: { workers: 1, load: 50 } } }),
};

/** Selector shapes: defaulted (no namespaces: none, empty, labels only) and not (namespaces, pods). */
const SELECTORS: unknown[] = [
  {},
  { labelSelectors: { app: 'web' } },
  { namespaces: [] },
  { namespaces: [], labelSelectors: { app: 'web' } },
  { namespaces: ['other'] },
  { pods: { other: ['p0'] } },
];

function chaos(kind: string, name: string, namespace: string, spec: Record<string, unknown>) {
  return { apiVersion: GROUP, kind, metadata: { name, namespace }, spec };
}

describeIf(kubectlUnavailableReason(27, 'server-side field validation'))(
  'namespace-defaulting warning',
  () => {
    let emulator: KubeEmulator;
    let kube: KubeConnection;
    let kinds: ChaosKind[];
    let dir: string;

    const kubectl = (args: string[], stdin = ''): Promise<KubectlOutcome> =>
      kubectlOutcome(emulator.kubeconfigPath, ['--cache-dir', path.join(dir, 'cache'), ...args], {
        timeoutMs: 30_000,
        stdin,
      });
    const apply = (obj: unknown) => kubectl(['apply', '-f', '-'], stringify(obj));
    const warningsOf = (stderr: string) => stderr.split('\n').filter(l => l.startsWith('Warning: '));

    /** A dry-run create through HTTPS; the policy's warnings (the `Warning` headers' texts). */
    function dryRunWarnings(
      plural: string,
      obj: ReturnType<typeof chaos>,
    ): Promise<{ status: number; warnings: string[] }> {
      const url = new URL(emulator.url);
      const body = JSON.stringify(obj);
      return new Promise((resolve, reject) => {
        const req = https.request(
          {
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: `/apis/${GROUP}/namespaces/${obj.metadata.namespace}/${plural}?dryRun=All`,
            ca: emulator.caCert,
            headers: { Authorization: `Bearer ${emulator.token}`, 'Content-Type': 'application/json' },
          },
          res => {
            res.resume();
            res.on('end', () => {
              // Node joins repeated headers with ", ": each warning is one `299 - "…"`.
              const header = res.headers['warning'] ?? '';
              const quoted = [...header.matchAll(/299 - "((?:[^"\\]|\\.)*)"/g)];
              resolve({
                status: res.statusCode ?? 0,
                warnings: quoted.map(m => m[1]!.replace(/\\(.)/g, '$1')),
              });
            });
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'ns-default-'));
      emulator = await startKubeEmulator();
      const config = new KubeConfig();
      config.loadFromString(emulator.kubeConfig);
      kube = createKubeConnection(config);
      kinds = (await loadPlugins(BUNDLED_PLUGINS)).map(p => p.kind);
      await installCrds(kube, kinds, createSilentLogger());
      await kubectl(['create', 'namespace', 'team-a']);
    });
    afterAll(async () => {
      kube?.close();
      await emulator?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('--install-crds installs the policy and its Warn binding', async () => {
      const got = await kubectl([
        'get',
        'validatingadmissionpolicybinding',
        NAMESPACE_DEFAULTING_POLICY,
        '-o',
        'jsonpath={.spec.validationActions}',
      ]);
      expect(got.stdout).toBe('["Warn"]');
    });

    it('kubectl apply of a PodChaos without selector namespaces prints the warning and creates it', async () => {
      const applied = await apply(
        chaos('PodChaos', 'kill-web', 'team-a', BASE.PodChaos!({ labelSelectors: { app: 'web' } })),
      );
      expect(applied.code).toBe(0);
      expect(warningsOf(applied.stderr)).toEqual([
        `${PREFIX}spec.selector.namespaces: not set; defaulted to ["team-a"]${TAIL}`,
      ]);
      expect(applied.stdout).toContain('podchaos.chaos-mesh.org/kill-web created');
      expect((await kubectl(['-n', 'team-a', 'get', 'podchaos', 'kill-web'])).code).toBe(0);
      // An update that leaves the spec alone (a label) is not warned about again (the spec of a
      // chaos object is immutable, so no update changes it).
      const labelled = await kubectl(['-n', 'team-a', 'label', 'podchaos', 'kill-web', 'x=y']);
      expect(labelled.code).toBe(0);
      expect(warningsOf(labelled.stderr)).toEqual([]);
    });

    it('no warning with namespaces', async () => {
      const applied = await apply(
        chaos('PodChaos', 'kill-named', 'team-a', BASE.PodChaos!({ namespaces: ['team-a'] })),
      );
      expect(applied.code).toBe(0);
      expect(warningsOf(applied.stderr)).toEqual([]);
    });

    it('HelloWorldChaos with an empty selector, in the default namespace of the kubeconfig', async () => {
      const obj = {
        apiVersion: GROUP,
        kind: 'HelloWorldChaos',
        metadata: { name: 'hello' },
        spec: BASE.HelloWorldChaos!({}),
      };
      const applied = await apply(obj);
      expect(applied.code).toBe(0);
      expect(warningsOf(applied.stderr)).toEqual([
        `${PREFIX}spec.selector.namespaces: not set; defaulted to ["default"]${TAIL}`,
      ]);
    });

    it('NetworkChaos names the target selector when only it is defaulted, both when both are', async () => {
      const onlyTarget = await apply(
        chaos(
          'NetworkChaos',
          'part-1',
          'team-a',
          BASE.NetworkChaos!({ namespaces: ['team-a'] }, { labelSelectors: { app: 'db' } }),
        ),
      );
      expect(onlyTarget.code).toBe(0);
      expect(warningsOf(onlyTarget.stderr)).toEqual([
        `${PREFIX}spec.target.selector.namespaces: not set; defaulted to ["team-a"]${TAIL}`,
      ]);
      const both = await apply(chaos('NetworkChaos', 'part-2', 'team-a', BASE.NetworkChaos!({}, {})));
      expect(warningsOf(both.stderr)).toEqual([
        `${PREFIX}spec.selector.namespaces: not set; defaulted to ["team-a"]${TAIL}`,
        `${PREFIX}spec.target.selector.namespaces: not set; defaulted to ["team-a"]${TAIL}`,
      ]);
    });

    it('warns about exactly the fields the engine defaults, for every bundled kind and selector shape', async () => {
      let cases = 0;
      let warned = 0;
      for (const kind of kinds) {
        const spec = BASE[kind.kind]!;
        const targets: unknown[] = kind.kind === 'NetworkChaos' ? [undefined, ...SELECTORS] : [undefined];
        for (const selector of SELECTORS) {
          for (const target of targets) {
            const obj = chaos(kind.kind, `case-${cases}`, 'team-a', spec(selector, target));
            const answer = await dryRunWarnings(kind.plural, obj);
            expect({ obj, status: answer.status }).toEqual({ obj, status: 201 });
            const fields = answer.warnings.map(
              w => /: (spec[\w.]*\.namespaces): not set; defaulted to \["team-a"\]/.exec(w)?.[1],
            );
            const engine = defaultedNamespaceFields(kind, obj as unknown as ChaosObject);
            expect({ obj, fields }).toEqual({ obj, fields: engine });
            cases += 1;
            warned += engine.length > 0 ? 1 : 0;
          }
        }
      }
      // Both outcomes were exercised, on every kind.
      expect(cases).toBe(3 * SELECTORS.length + SELECTORS.length * (SELECTORS.length + 1));
      expect(warned).toBeGreaterThan(0);
      expect(warned).toBeLessThan(cases);
    });
  },
);

describe('namespace-defaulting policy on a cluster without admissionregistration.k8s.io/v1', () => {
  it('logs and goes on: the CRDs are installed, the policy is not', async () => {
    // A cluster older than 1.30 answers 404 for the group version; CRD requests succeed.
    const requests: string[] = [];
    const client = {
      request: (method: string, url: string) => {
        requests.push(`${method} ${url}`);
        if (url.startsWith('/apis/admissionregistration.k8s.io'))
          return Promise.reject(
            new ChaosplaneError('not-found', 'the server could not find the requested resource'),
          );
        if (method === 'GET') return Promise.reject(new ChaosplaneError('not-found', 'not found'));
        return Promise.resolve({});
      },
    } as unknown as KubeClient;
    const kinds = (await loadPlugins(['@chaosplane/experiment-podchaos'])).map(p => p.kind);
    const captured = captureLogger('operator');
    const names = await installCrds(client, kinds, captured.log, false);
    expect(names).toEqual(['podchaos.chaos-mesh.org']);
    expect(requests).toEqual([
      'GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/podchaos.chaos-mesh.org',
      'POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      'GET /apis/admissionregistration.k8s.io/v1',
    ]);
    // The stream hands lines over asynchronously.
    await new Promise(resolve => setImmediate(resolve));
    expect(
      captured.lines.some(
        l => l.level === 'warn' && /not served \(Kubernetes older than 1\.30\)/.test(l.message),
      ),
    ).toBe(true);
  });
});

// SPDX-License-Identifier: Apache-2.0
// The tutorials in docs/tutorials, run as written. Their files (code blocks marked
// `<!-- file: … -->`) are written into a temporary directory inside the repository, which stands
// for the repository root (so Node and buf find node_modules), and their shell commands are run
// from there without a shell (see tutorials/tutorialShell.ts for how argv is formed). A command
// the test cannot run as is gets equivalent code, said in a comment and accounted for with
// `replacedByCode`; the last test of each tutorial checks that no command was left out.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { Container } from 'inversify';
import { parse } from 'yaml';
import {
  CHAOS_IMPL,
  LOGGER,
  SELECTOR_REGISTRY,
  type ChaosImplRegistration,
  type SelectorRegistry,
} from '@chaosplane/sdk/framework';
import { KUBE_CONFIG, structuralViolations, type JsonSchema } from '@chaosplane/core';
import { createSilentLogger, loadPlugins } from '@chaosplane/service';
import { generateCrd, registerPlugins, startEngine, validateChaosObject } from '@chaosplane/engine';
import { type ChaosObject, type ChaosPlugin } from '@chaosplane/sdk';
import { captureLogger } from '@chaosplane/testing';
import { eventually as waitFor } from '@chaosplane/dev';
import { containerdUnavailableReason } from '@chaosplane/dev/harness';
import { startKubeEmulator, type KubeEmulator } from '@chaosplane/kube-emulator';
import { applyManifests, startDevControlPlane, type DevControlPlane } from '@chaosplane/dev';
import { operatorCommand } from '../src/config/operatorArgs.js';
import { parseManifests } from '../src/config/parseManifests.js';
import { createSelectionCache, selectorsModule, type SelectionCache } from '@chaosplane/selectors';
import { parseTutorial, type Tutorial } from './tutorials/parseTutorial.js';
import { flagsInHelp, flagsInTables, markdownSection } from './tutorials/referenceFlags.js';
import { createTutorialShell, type TutorialShell } from './tutorials/tutorialShell.js';

const execFileAsync = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const docs = path.join(repo, 'docs/tutorials');

/** Waits until `probe` returns a value; the timeout names what was awaited. */
const eventually = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) =>
  waitFor(probe, { what, timeoutMs });

async function readTutorial(name: string): Promise<Tutorial> {
  return parseTutorial(await readFile(path.join(docs, name), 'utf8'));
}

/** Writes every file of a tutorial under `root`. */
async function writeTutorialFiles(root: string, tutorial: Tutorial): Promise<void> {
  for (const [file, content] of tutorial.files) {
    const target = path.join(root, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

// Both tutorials share one directory inside the repository (module resolution walks up to the
// repository's node_modules from there). `node_modules/.bin` in it links to the repository's, so
// paths like `node_modules/.bin/protoc-gen-ts_proto` in a tutorial's buf.gen.yaml hold as written.
let root: string;
let addTutorial: Tutorial;
let daemonTutorial: Tutorial;

beforeAll(async () => {
  addTutorial = await readTutorial('add-a-chaos-type.md');
  daemonTutorial = await readTutorial('extend-the-daemon.md');
  root = await mkdtemp(path.join(here, '.tutorial-'));
  await mkdir(path.join(root, 'node_modules'));
  await symlink(path.join(repo, 'node_modules/.bin'), path.join(root, 'node_modules/.bin'));
  await writeTutorialFiles(root, addTutorial);
  await writeTutorialFiles(root, daemonTutorial);
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('tutorial: add a new chaos experiment type (PodAnnotationChaos)', () => {
  let shell: TutorialShell;
  let plugin: ChaosPlugin;
  const kubeconfig = () => path.join(root, '.chaosplane/kubeconfig');

  beforeAll(() => {
    shell = createTutorialShell({
      tutorial: addTutorial,
      cwd: root,
      repo,
      env: { KUBECONFIG: kubeconfig() },
    });
    // The page's prerequisites: this test runs in a clone where both have been done.
    shell.replacedByCode('npm install', 'the repository is installed before its tests run');
    shell.replacedByCode('npm run build', 'the CLI commands below run the built dist/ of this repository');
  });

  it('marks every file the tutorial shows', () => {
    expect([...addTutorial.files.keys()]).toEqual([
      'podannotation/package.json',
      'podannotation/tsconfig.json',
      'podannotation/src/kind.ts',
      'podannotation/src/controller.ts',
      'podannotation/src/index.ts',
      'podannotation/podannotation.yaml',
      'podannotation/rbac.yaml',
    ]);
  });

  it('builds with tsc, and `chaosplane crds` writes the CRD generated from the schema', async () => {
    await shell.run('npx tsc -p podannotation');
    const output = await shell.run(
      'node packages/operator/dist/cli/chaosplane.js crds --plugin ./podannotation/dist/index.js --out podannotation/crds',
    );
    expect(output.trim()).toBe('wrote podannotation/crds/chaos-mesh.org_podannotationchaos.yaml');

    // The TypeScript source, loaded the way the operator loads any plugin.
    [plugin] = await loadPlugins([path.join(root, 'podannotation/src/index.ts')]);
    expect(plugin!.kind).toMatchObject({
      kind: 'PodAnnotationChaos',
      apiVersion: 'chaos-mesh.org/v1alpha1',
      plural: 'podannotationchaos',
      singular: 'podannotationchaos',
      shortNames: ['pachaos'],
      namespaced: true,
    });
    const written = parse(
      await readFile(path.join(root, 'podannotation/crds/chaos-mesh.org_podannotationchaos.yaml'), 'utf8'),
    ) as ReturnType<typeof generateCrd>;
    expect(written).toEqual(generateCrd(plugin!.kind));
    expect(written.metadata.name).toBe('podannotationchaos.chaos-mesh.org');
    const schema = written.spec.versions[0]!.schema.openAPIV3Schema as JsonSchema;
    expect(structuralViolations(schema)).toEqual([]);
    const spec = (schema['properties'] as Record<string, JsonSchema>)['spec']!;
    expect(spec['required']).toEqual(
      expect.arrayContaining(['selector', 'mode', 'annotationKey', 'annotationValue']),
    );
  }, 120_000);

  it('validates the manifest, and reports bad fields with their paths', () => {
    const manifest = parse(addTutorial.files.get('podannotation/podannotation.yaml')!) as ChaosObject;
    expect(validateChaosObject(plugin.kind, manifest)).toEqual([]);
    const withSpec = (spec: Record<string, unknown>) => ({
      spec: { ...(manifest.spec as Record<string, unknown>), ...spec },
    });
    expect(validateChaosObject(plugin.kind, withSpec({ annotationKey: 'no/such/key' }))).toEqual([
      {
        field: 'spec.annotationKey',
        message:
          '"no/such/key" is not a valid annotation key: an optional DNS prefix and "/", then a name of at most 63 characters',
      },
    ]);
    expect(
      validateChaosObject(plugin.kind, withSpec({ annotationKey: 'experiment.chaos-mesh.org/pause' })),
    ).toEqual([
      {
        field: 'spec.annotationKey',
        message: 'annotations under experiment.chaos-mesh.org are reserved for chaos experiments themselves',
      },
    ]);
    expect(validateChaosObject(plugin.kind, withSpec({ mode: 'fixed', duration: '10x' }))).toEqual(
      expect.arrayContaining([
        { field: 'spec.value', message: 'parse value field error:strconv.Atoi: parsing "": invalid syntax' },
        {
          field: 'spec.duration',
          message: 'parse duration field error: time: unknown unit "x" in duration "10x"',
        },
      ]),
    );
    const rbac = parse(addTutorial.files.get('podannotation/rbac.yaml')!) as {
      metadata: { labels: Record<string, string> };
    };
    expect(rbac.metadata.labels['rbac.chaosplane.io/aggregate-to-operator']).toBe('true');
  });

  describe('against a Kubernetes API (kube-emulator) with the engine', () => {
    const stop = new AbortController();
    let emulator: KubeEmulator;
    let kube: KubeConfig;
    let core: CoreV1Api;
    let cache: SelectionCache;
    let engine: ReturnType<typeof startEngine> | undefined;

    /** A pod as the kubelet would report it: scheduled and Running. */
    async function runningPod(name: string, app: string): Promise<void> {
      const created = await core.createNamespacedPod({
        namespace: 'busybox',
        body: {
          metadata: { name, labels: { app } },
          spec: { nodeName: 'node-1', containers: [{ name: 'busybox', image: 'busybox:1.36' }] },
        },
      });
      await core.replaceNamespacedPodStatus({
        namespace: 'busybox',
        name,
        body: { ...created, status: { phase: 'Running' } } as V1Pod,
      });
    }

    beforeAll(async () => {
      // `chaosplane dev` would start kube-emulator, containerd, the daemon and the operator. A
      // controller-only plugin needs none but the API server and the engine, so this test starts
      // those two in-process, with the kubeconfig where `dev` writes it.
      emulator = await startKubeEmulator({ kubeconfigPath: kubeconfig() });
      kube = new KubeConfig();
      kube.loadFromFile(kubeconfig());
      core = kube.makeApiClient(CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: 'busybox' } } });
      // What `dev`'s local kubelet does for examples/busybox.yaml, plus one pod the manifest must not select.
      await runningPod('busybox-0', 'busybox');
      await runningPod('busybox-1', 'busybox');
      await runningPod('other', 'other');
    }, 60_000);

    afterAll(async () => {
      stop.abort();
      await engine?.done;
      await cache?.stop();
      await emulator?.stop();
    }, 60_000);

    it('installs the CRD and runs the plugin in the engine the operator uses', async () => {
      expect(await shell.run('kubectl apply -f podannotation/crds/')).toContain(
        'customresourcedefinition.apiextensions.k8s.io/podannotationchaos.chaos-mesh.org created',
      );
      shell.replacedByCode(
        'node packages/operator/dist/cli/chaosplane.js dev --plugin ./podannotation/dist/index.js',
        'the engine below is wired as startOperator wires it; dev needs containerd, which this plugin does not',
      );
      const log = captureLogger('operator');
      cache = createSelectionCache(kube, { signal: stop.signal, logger: createSilentLogger() });
      const container = new Container();
      container.bind(LOGGER).toConstantValue(log.log);
      container.bind(KUBE_CONFIG).toConstantValue(kube);
      await container.load(selectorsModule(cache, { operatorNamespace: 'chaosplane' }));
      await registerPlugins(container, [plugin]);
      await cache.start();
      engine = startEngine({
        kubeConfig: kube,
        registrations: container.getAll<ChaosImplRegistration>(CHAOS_IMPL),
        selectors: container.get<SelectorRegistry>(SELECTOR_REGISTRY),
        log: log.log,
        signal: stop.signal,
        shutdownGraceMs: 5_000,
      });
    }, 60_000);

    it('applying the manifest annotates exactly the selected pods', async () => {
      expect(
        await shell.run(
          'kubectl --kubeconfig .chaosplane/kubeconfig apply -f podannotation/podannotation.yaml',
        ),
      ).toContain('podannotationchaos.chaos-mesh.org/mark-busybox created');
      const phases = await eventually('both records are Injected', async () => {
        const out = await shell.run(
          "kubectl --kubeconfig .chaosplane/kubeconfig get podannotationchaos mark-busybox -n busybox -o jsonpath='{.status.experiment.containerRecords[*].phase}'",
        );
        return out.trim() === 'Injected Injected' ? out.trim() : undefined;
      });
      expect(phases).toBe('Injected Injected');
      const pods = await shell.run(
        `kubectl --kubeconfig .chaosplane/kubeconfig get pods -n busybox -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.annotations}{"\\n"}{end}'`,
      );
      const annotations = Object.fromEntries(
        pods
          .trim()
          .split('\n')
          .map(line => line.split('=', 2) as [string, string])
          .map(([name, json]) => [name, json === '' ? {} : (JSON.parse(json) as Record<string, string>)]),
      );
      expect(annotations).toEqual({
        'busybox-0': { 'chaosplane.example/under-test': 'true' },
        'busybox-1': { 'chaosplane.example/under-test': 'true' },
        other: {},
      });
      const custom = kube.makeApiClient(CustomObjectsApi);
      const obj = (await custom.getNamespacedCustomObject({
        group: 'chaos-mesh.org',
        version: 'v1alpha1',
        namespace: 'busybox',
        plural: 'podannotationchaos',
        name: 'mark-busybox',
      })) as ChaosObject;
      expect(obj.metadata.finalizers).toEqual(['chaos-mesh/records']);
      expect(obj.status?.experiment?.desiredPhase).toBe('Run');
      expect(obj.status?.experiment?.containerRecords?.map(r => [r.id, r.selectorKey]).sort()).toEqual([
        ['busybox/busybox-0', '.'],
        ['busybox/busybox-1', '.'],
      ]);
    }, 90_000);

    it('pausing recovers every record and resuming applies them again', async () => {
      const marked = async () =>
        (await core.listNamespacedPod({ namespace: 'busybox', labelSelector: 'app=busybox' })).items.map(
          pod => pod.metadata?.annotations?.['chaosplane.example/under-test'],
        );
      const phases = () =>
        shell.run(
          "kubectl --kubeconfig .chaosplane/kubeconfig get podannotationchaos mark-busybox -n busybox -o jsonpath='{.status.experiment.containerRecords[*].phase}'",
        );
      await shell.run(
        'kubectl --kubeconfig .chaosplane/kubeconfig annotate podannotationchaos mark-busybox -n busybox experiment.chaos-mesh.org/pause=true',
      );
      await eventually('both records are Not Injected', async () =>
        (await phases()).trim() === 'Not Injected Not Injected' ? true : undefined,
      );
      expect(await marked()).toEqual([undefined, undefined]);
      await shell.run(
        'kubectl --kubeconfig .chaosplane/kubeconfig annotate podannotationchaos mark-busybox -n busybox experiment.chaos-mesh.org/pause-',
      );
      await eventually('both records are Injected again', async () =>
        (await phases()).trim() === 'Injected Injected' ? true : undefined,
      );
      expect(await marked()).toEqual(['true', 'true']);
    }, 90_000);

    it('deleting it removes the annotations, counts a vanished pod as recovered, and the object goes away', async () => {
      const custom = kube.makeApiClient(CustomObjectsApi);
      const ref = {
        group: 'chaos-mesh.org',
        version: 'v1alpha1',
        namespace: 'busybox',
        plural: 'podannotationchaos',
        name: 'mark-busybox',
      };
      const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      // A finalizer of the test's own keeps the object once the operator has removed
      // chaos-mesh/records, so the records of the finished recovery can be read.
      await custom.patchNamespacedCustomObject(
        { ...ref, body: { metadata: { finalizers: ['chaos-mesh/records', 'tutorials.test/hold'] } } },
        mergePatch,
      );
      // busybox-1 disappears while annotated: its recover gets a 404, throws `not-found`, and the
      // engine counts it as recovered instead of holding the finalizer.
      await core.deleteNamespacedPod({ namespace: 'busybox', name: 'busybox-1' });
      const deletion = shell.run(
        'kubectl --kubeconfig .chaosplane/kubeconfig delete -f podannotation/podannotation.yaml',
      );
      deletion.catch(() => undefined); // awaited below; a failed assertion must not leave it unhandled
      const recovered = await eventually('the operator removed its finalizer', async () => {
        const obj = (await custom.getNamespacedCustomObject(ref)) as ChaosObject;
        return obj.metadata.finalizers?.includes('chaos-mesh/records') ? undefined : obj;
      });
      expect(recovered.metadata.finalizers).toEqual(['tutorials.test/hold']);
      const records = Object.fromEntries(
        recovered.status!.experiment!.containerRecords!.map(record => [record.id, record]),
      );
      expect(records['busybox/busybox-0']).toMatchObject({ phase: 'Not Injected', recoveredCount: 2 });
      expect(records['busybox/busybox-0']!.events!.at(-1)).toMatchObject({
        type: 'Succeeded',
        operation: 'Recover',
      });
      expect(records['busybox/busybox-1']).toMatchObject({ phase: 'Not Injected', recoveredCount: 2 });
      expect(records['busybox/busybox-1']!.events!.at(-1)).toMatchObject({
        type: 'Succeeded',
        operation: 'Recover',
        message: 'target gone',
      });
      const pod = await core.readNamespacedPod({ namespace: 'busybox', name: 'busybox-0' });
      expect(pod.metadata?.annotations?.['chaosplane.example/under-test']).toBeUndefined();

      await custom.patchNamespacedCustomObject(
        { ...ref, body: { metadata: { finalizers: [] } } },
        mergePatch,
      );
      expect(await deletion).toContain('podannotationchaos.chaos-mesh.org "mark-busybox" deleted');
      await expect(custom.getNamespacedCustomObject(ref)).rejects.toMatchObject({ code: 404 });
    }, 90_000);
  });

  it('runs or replaces every command the page shows', () => {
    expect(shell.unaccounted()).toEqual([]);
  });
});

const unavailable = containerdUnavailableReason();
if (unavailable)
  console.warn(`skipping the ProcStatusChaos tutorial's end-to-end run (real containerd): ${unavailable}`);
const itWithContainerd = unavailable ? it.skip : it;

describe('tutorial: extend the chaos daemon interface (ProcStatusChaos)', () => {
  let shell: TutorialShell;
  const stop = new AbortController();
  let plane: DevControlPlane | undefined;

  beforeAll(() => {
    shell = createTutorialShell({ tutorial: daemonTutorial, cwd: root, repo });
  });

  afterAll(async () => {
    stop.abort();
    await plane?.stop();
  }, 60_000);

  it('marks every file the tutorial shows', () => {
    expect([...daemonTutorial.files.keys()]).toEqual([
      'procstatus/package.json',
      'procstatus/tsconfig.json',
      'procstatus/proto/tutorial/procstatus/v1/procstatus.proto',
      'procstatus/buf.yaml',
      'procstatus/buf.gen.yaml',
      'procstatus/src/kind.ts',
      'procstatus/src/daemon.ts',
      'procstatus/src/controller.ts',
      'procstatus/src/index.ts',
      'procstatus/procstatus.yaml',
    ]);
  });

  it('generates the stubs with buf and ts-proto, builds, and writes the CRD', async () => {
    await shell.run('npx buf generate procstatus --template procstatus/buf.gen.yaml --output procstatus');
    const stubs = await readFile(
      path.join(root, 'procstatus/src/gen/tutorial/procstatus/v1/procstatus.ts'),
      'utf8',
    );
    expect(stubs).toContain('export const ProcStatusDaemonDefinition');
    expect(stubs).toContain('fullName: "tutorial.procstatus.v1.ProcStatusDaemon"');
    await shell.run('npx tsc -p procstatus');
    expect(
      await shell.run(
        'node packages/operator/dist/cli/chaosplane.js crds --plugin ./procstatus/dist/index.js --out procstatus/crds',
      ),
    ).toContain('wrote procstatus/crds/chaos-mesh.org_procstatuschaos.yaml');
  }, 120_000);

  itWithContainerd(
    'runs end to end: the daemon reads /proc/1/status inside each busybox container, the records get Injected',
    async () => {
      // `chaosplane dev --plugin …` is runDevCommand around startDevControlPlane: the same control
      // plane, started in-process so its logs can be read, with the plugin's TypeScript source.
      shell.replacedByCode(
        'node packages/operator/dist/cli/chaosplane.js dev --plugin ./procstatus/dist/index.js',
        'startDevControlPlane below is what the dev command runs',
      );
      const operator = captureLogger('operator');
      const daemon = captureLogger('daemon');
      const dev = captureLogger('dev');
      plane = await startDevControlPlane({
        dir: path.join(root, '.chaosplane'),
        plugins: [path.join(root, 'procstatus/src/index.ts')],
        operatorLog: operator.log,
        daemonLog: daemon.log,
        log: dev.log,
        signal: stop.signal,
      });
      // The dev command applies examples/busybox.yaml once the control plane is up. The pods are
      // created already bound to the node here: the local kubelet binds unbound pods by patching
      // spec.nodeName, which kube-emulator now refuses as a real API server does.
      const busybox = parseManifests(await readFile(path.join(repo, 'examples/busybox.yaml'), 'utf8'));
      for (const object of busybox)
        if (object.kind === 'Pod') (object as V1Pod).spec!.nodeName = plane.nodeName;
      await applyManifests(plane.kube, busybox);
      const pods = await plane.kubelet
        .waitRunning('busybox', ['busybox-0', 'busybox-1'], 60_000)
        .catch((error: Error) => {
          throw new Error(`${error.message}; control plane log: ${JSON.stringify(dev.lines)}`);
        });
      const containerIds = pods.map(pod => pod.status!.containerStatuses![0]!.containerID!);

      expect(
        await shell.run('kubectl --kubeconfig .chaosplane/kubeconfig apply -f procstatus/procstatus.yaml'),
      ).toContain('procstatuschaos.chaos-mesh.org/busybox-proc-status created');
      await eventually('both records are Injected', async () => {
        const out = await shell.run(
          "kubectl --kubeconfig .chaosplane/kubeconfig get procstatuschaos busybox-proc-status -n busybox -o jsonpath='{.status.experiment.containerRecords[*].phase}'",
        );
        return out.trim() === 'Injected Injected' ? true : undefined;
      });

      for (const containerId of containerIds) {
        // The daemon ran the handler for this container, inside it: PID 1 of its /proc is the
        // container's `sleep 3600`, and the PID it used is the one containerd reports.
        const line = daemon.lines.find(
          l => l.message === 'read /proc/1/status' && l['containerId'] === containerId,
        );
        expect(line).toBeDefined();
        expect(String(line!['status'])).toMatch(/^Name:\s+sleep$/m);
        expect(line!['chaos']).toBe('busybox/busybox-proc-status');
        const task = await plane.containerd.taskStatus(containerId.replace('containerd://', ''));
        expect(line!['pid']).toBe(task!.pid);
        // The controller got the answer and picked the fields the manifest names.
        const read = operator.lines.find(
          l => l.message === 'Read process status' && l['containerId'] === containerId,
        );
        expect(read?.['fields']).toMatchObject({
          Name: 'sleep',
          State: expect.stringMatching(/^S/),
          Threads: '1',
        });
      }

      expect(
        await shell.run('kubectl --kubeconfig .chaosplane/kubeconfig delete -f procstatus/procstatus.yaml'),
      ).toContain('procstatuschaos.chaos-mesh.org "busybox-proc-status" deleted');
    },
    180_000,
  );

  it('runs or replaces every command the page shows', () => {
    const left = shell.unaccounted();
    // Without containerd the end-to-end test is skipped (with the reason printed above), and so
    // are the commands only it runs.
    if (unavailable) expect(left.every(command => /kubectl|chaosplane\.js dev/.test(command))).toBe(true);
    else expect(left).toEqual([]);
  });
});

// The reference pages promise "every flag": they must list exactly what the binaries accept.
describe('reference pages match the binaries', () => {
  const help = async (script: string, ...args: string[]) =>
    (await execFileAsync(process.execPath, [path.join(repo, script), ...args, '--help'])).stdout;

  it('docs/reference/operator.md lists every chaosplane-operator flag, with its environment variable', async () => {
    const page = await readFile(path.join(repo, 'docs/reference/operator.md'), 'utf8');
    const section = markdownSection(page, '## `chaosplane-operator`');
    const options = operatorCommand().options.filter(option => option.long !== undefined);
    expect(
      flagsInTables(section)
        .map(row => row.flag)
        .sort(),
    ).toEqual(options.map(o => o.long!).sort());
    for (const option of options) {
      const row = flagsInTables(section).find(r => r.flag === option.long)!;
      if (option.envVar !== undefined) expect(row.text).toContain(`\`${option.envVar}\``);
    }
  });

  it('docs/reference/operator.md lists every flag of chaosplane crds and chaosplane dev', async () => {
    const page = await readFile(path.join(repo, 'docs/reference/operator.md'), 'utf8');
    for (const command of ['crds', 'dev']) {
      const documented = flagsInTables(markdownSection(page, `## \`chaosplane ${command}\``)).map(
        r => r.flag,
      );
      const accepted = flagsInHelp(await help('packages/operator/dist/cli/chaosplane.js', command));
      expect(documented.sort()).toEqual(accepted.filter(flag => flag !== '--help').sort());
    }
  });

  it('docs/reference/daemon.md lists every chaosplane-daemon flag', async () => {
    const page = await readFile(path.join(repo, 'docs/reference/daemon.md'), 'utf8');
    const documented = flagsInTables(markdownSection(page, '## Flags')).map(r => r.flag);
    const accepted = flagsInHelp(await help('packages/daemon/dist/cli/main.js'));
    expect(documented.sort()).toEqual(accepted.filter(flag => flag !== '--help').sort());
  });
});

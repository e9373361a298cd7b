// SPDX-License-Identifier: Apache-2.0
// The tutorials in docs/tutorials, run as written. Each page's files (code blocks marked
// `<!-- file: … -->`) are written into a workspace at the repository root (`.tutorial-*`), which
// stands for the root of a clone: it links the repository's node_modules, so Node, tsc, buf and
// jest resolve everything from there exactly as in a clone. The page's shell commands are run
// from it without a shell (see tutorials/tutorialShell.ts for how argv is formed); `chaosplane
// dev` runs in the background and is stopped with SIGINT, as Ctrl-C would.
//
// Each page's own tests (written with @chaosplane/testing) are run by the page's own command:
// jest in a child process with the page's jest.config.js. That runs them as a reader would, with
// the page's configuration and the built packages; importing the page's test files into this
// suite instead would run them under this repository's jest configuration, which maps the
// packages to their sources. Their test kit is the page's, started and stopped by them.
//
// A command the test cannot run as is gets equivalent code, said where it is done and accounted
// for with `replacedByCode`; the last test of each tutorial checks that no command was left out.
// What needs root and containerd (the test kit, `chaosplane dev`, kubectl against it) is in a
// `describeIf(testKitUnavailableReason())` block, so a skip says why.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse, parseAllDocuments } from 'yaml';
import { generateCrd, structuralViolations, validateChaosObject, type JsonSchema } from '@chaosplane/engine';
import { createKubeConnection, loadKubeConfig, type KubeConnection } from '@chaosplane/kube';
import { ChaosplaneError, type ChaosObject, type ChaosPlugin, type Pod } from '@chaosplane/sdk';
import { loadPlugins } from '@chaosplane/service';
import { describeIf, eventually, testKitUnavailableReason } from '@chaosplane/testing';
import { parseTutorial, type Tutorial } from './tutorials/parseTutorial.js';
import {
  createTutorialShell,
  type BackgroundCommand,
  type CommandOutput,
  type TutorialShell,
} from './tutorials/tutorialShell.js';

const execFileAsync = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const unavailable = testKitUnavailableReason();
const K = 'kubectl --kubeconfig .chaosplane/kubeconfig';

/** Reads a page and writes its files into a new workspace that stands for the repository root. */
async function workspaceFor(page: string, name: string): Promise<{ tutorial: Tutorial; root: string }> {
  const tutorial = parseTutorial(await readFile(path.join(repo, 'docs/tutorials', page), 'utf8'));
  const root = await mkdtemp(path.join(repo, `.tutorial-${name}-`));
  await symlink(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
  for (const [file, content] of tutorial.files) {
    const target = path.join(root, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  return { tutorial, root };
}

/**
 * Checks jest's summary: `count` tests, all passed; without the test kit's prerequisites, its
 * `kitTests` skipped and the rest passed. (Jest prints nothing of a wholly skipped test file
 * unless --verbose, so the reason describeIf gives is not in this output; this suite's own
 * describeIf prints it.)
 */
function expectJestSummary(output: CommandOutput, count: number, kitTests: number): void {
  if (unavailable === undefined) {
    expect(output.stderr).toMatch(new RegExp(`^Tests:\\s+${count} passed, ${count} total$`, 'm'));
  } else {
    const passed = count - kitTests;
    const summary = [`${kitTests} skipped`, ...(passed > 0 ? [`${passed} passed`] : []), `${count} total`];
    expect(output.stderr).toMatch(new RegExp(`^Tests:\\s+${summary.join(', ')}$`, 'm'));
  }
}

/**
 * Type-checks the page's test files (and the sources they import) as strictly as the page's
 * tsconfig.json checks src/: jest only strips their types. Not a command of the page.
 */
async function typeCheckTests(root: string, tutorial: Tutorial): Promise<void> {
  const tests = [...tutorial.files.keys()].filter(file => /\/test\/.*\.ts$/.test(file));
  expect(tests.length).toBeGreaterThan(0);
  const options = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext'];
  const more = ['--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2023', '--types', 'node'];
  await execFileAsync(path.join(repo, 'node_modules/.bin/tsc'), [...options, ...more, ...tests], {
    cwd: root,
  }).catch((error: Error & { stdout?: string }) => {
    throw new Error(`the page's tests do not type-check:\n${error.stdout ?? error.message}`);
  });
}

/** `chaosplane dev` from the page, and a connection to its API server once the busybox pods run. */
async function startDev(shell: TutorialShell, command: string, root: string) {
  const dev = await shell.start(command, { ready: /Press Ctrl-C to stop/, timeoutMs: 180_000 });
  const kube = createKubeConnection(loadKubeConfig(path.join(root, '.chaosplane/kubeconfig')));
  return { dev, kube };
}

/** Waits until the named pods of namespace busybox run, each container with its id. */
async function waitRunning(kube: KubeConnection, names: string[]): Promise<Pod[]> {
  return eventually(
    async () => {
      const pods = await Promise.all(
        names.map(name => kube.request<Pod>('GET', `/api/v1/namespaces/busybox/pods/${name}`)),
      );
      const running = pods.every(
        pod => pod.status?.phase === 'Running' && pod.status.containerStatuses?.every(s => s.containerID),
      );
      return running ? pods : undefined;
    },
    { what: `pods ${names.join(', ')} run`, timeoutMs: 90_000 },
  );
}

const chaosPath = (plural: string, name: string) =>
  `/apis/chaos-mesh.org/v1alpha1/namespaces/busybox/${plural}/${name}`;

/** A JSON merge patch of an object's finalizers. */
const setFinalizers = (kube: KubeConnection, objectPath: string, finalizers: string[]) =>
  kube.request('PATCH', objectPath, {
    body: { metadata: { finalizers } },
    contentType: 'application/merge-patch+json',
  });

/** Resolves once `objectPath` answers 404. */
const waitGone = (kube: KubeConnection, objectPath: string, what: string) =>
  eventually(
    () =>
      kube.request('GET', objectPath).then(
        () => false,
        (error: unknown) => ChaosplaneError.isKind(error, 'not-found'),
      ),
    { what, timeoutMs: 60_000 },
  );

describe('tutorial: add a new chaos experiment type (PodAnnotationChaos)', () => {
  let tutorial: Tutorial;
  let root: string;
  let shell: TutorialShell;
  let plugin: ChaosPlugin;

  beforeAll(async () => {
    ({ tutorial, root } = await workspaceFor('add-a-chaos-type.md', 'podannotation'));
    // `kubectl apply -f podannotation/crds/` names no kubeconfig: in this test the cluster is
    // the one `chaosplane dev` runs.
    shell = createTutorialShell({
      tutorial,
      cwd: root,
      repo,
      env: { KUBECONFIG: path.join(root, '.chaosplane/kubeconfig') },
    });
    // The page's prerequisites: this test runs in a clone where both have been done.
    shell.replacedByCode('npm install', 'the repository is installed before its tests run');
    shell.replacedByCode('npm run build', 'the commands below run the built dist/ of this repository');
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('marks every file the tutorial shows', () => {
    expect([...tutorial.files.keys()]).toEqual([
      'podannotation/package.json',
      'podannotation/tsconfig.json',
      'podannotation/src/kind.ts',
      'podannotation/src/controller.ts',
      'podannotation/src/index.ts',
      'podannotation/podannotation.yaml',
      'podannotation/test/controller.test.ts',
      'podannotation/test/podAnnotationChaos.test.ts',
      'podannotation/jest.config.js',
    ]);
  });

  it('builds with tsc, and `chaosplane crds` writes the CRD generated from the schema', async () => {
    await shell.run('npx tsc -p podannotation');
    const { stdout } = await shell.run(
      'npx chaosplane crds --plugin ./podannotation/dist/index.js --out podannotation/crds',
    );
    expect(stdout.trim()).toBe('wrote podannotation/crds/chaos-mesh.org_podannotationchaos.yaml');

    // The built plugin, loaded the way the operator loads `--plugin ./podannotation/dist/index.js`.
    [plugin] = (await loadPlugins([path.join(root, 'podannotation/dist/index.js')])) as [ChaosPlugin];
    expect(plugin.kind).toMatchObject({
      kind: 'PodAnnotationChaos',
      apiVersion: 'chaos-mesh.org/v1alpha1',
      plural: 'podannotationchaos',
      singular: 'podannotationchaos',
      shortNames: ['pachaos'],
      namespaced: true,
    });
    expect(plugin.daemon).toBeUndefined();
    const written = parse(
      await readFile(path.join(root, 'podannotation/crds/chaos-mesh.org_podannotationchaos.yaml'), 'utf8'),
    ) as ReturnType<typeof generateCrd>;
    expect(written).toEqual(generateCrd(plugin.kind));
    expect(written.metadata.name).toBe('podannotationchaos.chaos-mesh.org');
    const schema = written.spec.versions[0]!.schema.openAPIV3Schema as JsonSchema;
    expect(structuralViolations(schema)).toEqual([]);
    const spec = (schema['properties'] as Record<string, JsonSchema>)['spec']!;
    expect(spec['required']).toEqual(
      expect.arrayContaining(['selector', 'mode', 'annotationKey', 'annotationValue']),
    );
  }, 120_000);

  it('validates the manifest, and reports bad fields with their paths', () => {
    const manifest = parse(tutorial.files.get('podannotation/podannotation.yaml')!) as ChaosObject;
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
  });

  it('step 9: `chaosplane crds --rbac-out` for the whole list writes the plugin its own role, as the page shows it', async () => {
    expect(plugin.operatorAccess).toEqual([
      {
        apiGroups: [''],
        resources: ['pods'],
        verbs: ['patch'],
        reason: 'sets and removes the annotation on the selected pods',
      },
    ]);
    const command = tutorial.commands.find(c => c.includes('--rbac-out'))!;
    const { stdout } = await shell.run(command);
    const rbac = path.join(root, 'podannotation/install/rbac');
    expect(stdout).toContain('wrote podannotation/install/rbac/podannotationchaos.yaml');
    const role = await readFile(path.join(rbac, 'podannotationchaos.yaml'), 'utf8');
    // The page shows it (Prettier quotes the page's YAML its own way: compared parsed, header as is).
    const page = await readFile(path.join(repo, 'docs/tutorials/add-a-chaos-type.md'), 'utf8');
    const shown = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map(m => m[1]!)
      .find(block => block.includes('chaosplane-operator-podannotationchaos'))!;
    const comments = (text: string) => text.split('\n').filter(line => line.startsWith('#'));
    expect(comments(shown)).toEqual(comments(role));
    expect(parse(shown)).toEqual(parse(role));
    // The bundled plugins' roles come with it: PodChaos's, and every kind's objects by name.
    expect(await readFile(path.join(rbac, 'podchaos.yaml'), 'utf8')).toBe(
      await readFile(path.join(repo, 'deploy/rbac/podchaos.yaml'), 'utf8'),
    );
    const [kinds] = parseAllDocuments(await readFile(path.join(rbac, 'chaos-kinds.yaml'), 'utf8')).map(
      doc => doc.toJS() as { rules: Array<{ resources: string[] }> },
    );
    expect(kinds!.rules[0]!.resources).toEqual([
      'helloworldchaos',
      'networkchaos',
      'podannotationchaos',
      'podchaos',
      'stresschaos',
    ]);
  }, 120_000);

  it("type-checks the page's tests", () => typeCheckTests(root, tutorial), 120_000);

  it("passes the page's own tests: the unit test, and the test kit's run (or says why it skipped)", async () => {
    const output = await shell.run(
      'node --experimental-vm-modules node_modules/jest/bin/jest.js --config podannotation/jest.config.js',
      { timeoutMs: 300_000 },
    );
    expect(output.stderr).toMatch(/^PASS podannotation\/test\/controller\.test\.ts/m);
    expectJestSummary(output, 5, 3);
  }, 330_000);

  describeIf(unavailable)('with `chaosplane dev` and kubectl', () => {
    const KEY = 'chaosplane.example/under-test';
    const CHAOS = chaosPath('podannotationchaos', 'mark-busybox');
    let dev: BackgroundCommand | undefined;
    let kube: KubeConnection;

    const phases = async () =>
      (
        await shell.run(
          `${K} get podannotationchaos mark-busybox -n busybox -o jsonpath='{.status.experiment.containerRecords[*].phase}'`,
        )
      ).stdout.trim();

    /** The annotations of every pod, by name, as the page's `kubectl get pods` prints them. */
    async function annotations(): Promise<Record<string, Record<string, string>>> {
      const { stdout } = await shell.run(
        `${K} get pods -n busybox -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.annotations}{"\\n"}{end}'`,
      );
      return Object.fromEntries(
        stdout
          .trim()
          .split('\n')
          .map(line => line.split('=', 2) as [string, string])
          .map(([name, json]) => [name, json === '' ? {} : (JSON.parse(json) as Record<string, string>)]),
      );
    }

    beforeAll(async () => {
      ({ dev, kube } = await startDev(
        shell,
        'npx chaosplane dev --plugin ./podannotation/dist/index.js',
        root,
      ));
      // A pod the manifest must leave alone, next to the two of examples/busybox.yaml.
      await kube.request('POST', '/api/v1/namespaces/busybox/pods', {
        body: {
          metadata: { name: 'other', labels: { app: 'other' } },
          spec: { containers: [{ name: 'busybox', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
        },
      });
      await waitRunning(kube, ['busybox-0', 'busybox-1', 'other']);
    }, 240_000);

    afterAll(async () => {
      kube?.close();
      await dev?.stop();
    }, 90_000);

    it('`kubectl apply -f podannotation/crds/` finds the CRD that `dev` installed', async () => {
      const { stdout } = await shell.run('kubectl apply -f podannotation/crds/');
      expect(stdout).toMatch(
        /^customresourcedefinition\.apiextensions\.k8s\.io\/podannotationchaos\.chaos-mesh\.org (configured|unchanged)$/m,
      );
    });

    it("the plane's operator may patch pods, as the plugin declared, and nothing of PodChaos's, not loaded", async () => {
      const canI = async (verb: string) => {
        const args = [
          '--kubeconfig',
          path.join(root, '.chaosplane/kubeconfig'),
          'auth',
          'can-i',
          verb,
          'pods',
        ];
        const as = ['-n', 'busybox', '--as', 'system:serviceaccount:chaosplane:chaosplane-operator'];
        const result = await execFileAsync('kubectl', [...args, ...as]).catch(
          (error: Error & { stdout?: string }) => ({ stdout: error.stdout ?? error.message }),
        );
        return result.stdout.trim();
      };
      expect(await canI('patch')).toBe('yes');
      expect(await canI('delete')).toBe('no');
    });

    it('applying the manifest annotates exactly the selected pods', async () => {
      expect((await shell.run(`${K} apply -f podannotation/podannotation.yaml`)).stdout).toContain(
        'podannotationchaos.chaos-mesh.org/mark-busybox created',
      );
      await eventually(async () => (await phases()) === 'Injected Injected', {
        what: 'both records are Injected',
        timeoutMs: 60_000,
      });
      expect(await annotations()).toEqual({
        'busybox-0': { [KEY]: 'true' },
        'busybox-1': { [KEY]: 'true' },
        other: {},
      });
      const obj = await kube.request<ChaosObject>('GET', CHAOS);
      expect(obj.metadata.finalizers).toEqual(['chaos-mesh/records']);
      expect(obj.status?.experiment?.desiredPhase).toBe('Run');
      expect(obj.status?.experiment?.containerRecords?.map(r => [r.id, r.selectorKey]).sort()).toEqual([
        ['busybox/busybox-0', '.'],
        ['busybox/busybox-1', '.'],
      ]);
    }, 90_000);

    it('pausing recovers every record and resuming applies them again', async () => {
      await shell.run(
        `${K} annotate podannotationchaos mark-busybox -n busybox experiment.chaos-mesh.org/pause=true`,
      );
      await eventually(async () => (await phases()) === 'Not Injected Not Injected', {
        what: 'both records are Not Injected',
        timeoutMs: 60_000,
      });
      expect(await annotations()).toEqual({ 'busybox-0': {}, 'busybox-1': {}, other: {} });
      await shell.run(
        `${K} annotate podannotationchaos mark-busybox -n busybox experiment.chaos-mesh.org/pause-`,
      );
      await eventually(async () => (await phases()) === 'Injected Injected', {
        what: 'both records are Injected again',
        timeoutMs: 60_000,
      });
      expect(await annotations()).toEqual({
        'busybox-0': { [KEY]: 'true' },
        'busybox-1': { [KEY]: 'true' },
        other: {},
      });
    }, 150_000);

    it('deleting it removes the annotations, counts a vanished pod as recovered, and the object goes', async () => {
      // A finalizer of the test's own keeps the object once the operator has removed
      // chaos-mesh/records, so the records of the finished recovery can be read.
      await setFinalizers(kube, CHAOS, ['chaos-mesh/records', 'tutorials.test/hold']);
      // busybox-1 disappears while annotated: the engine cannot read it back, counts its
      // record as recovered (`target gone`) and does not call recover.
      await kube.request('DELETE', '/api/v1/namespaces/busybox/pods/busybox-1');
      await waitGone(kube, '/api/v1/namespaces/busybox/pods/busybox-1', 'busybox-1 is gone');
      const deletion = shell.run(`${K} delete -f podannotation/podannotation.yaml`);
      deletion.catch(() => undefined); // awaited below; a failed assertion must not leave it unhandled
      const recovered = await eventually(
        async () => {
          const obj = await kube.request<ChaosObject>('GET', CHAOS);
          return obj.metadata.finalizers?.includes('chaos-mesh/records') ? undefined : obj;
        },
        { what: 'the operator removed its finalizer', timeoutMs: 60_000 },
      );
      expect(recovered.metadata.finalizers).toEqual(['tutorials.test/hold']);
      const records = Object.fromEntries(
        recovered.status!.experiment!.containerRecords!.map(record => [record.id, record]),
      );
      expect(records['busybox/busybox-0']).toMatchObject({ phase: 'Not Injected', recoveredCount: 2 });
      expect(records['busybox/busybox-0']!.events!.at(-1)).toMatchObject({
        type: 'Succeeded',
        operation: 'Recover',
      });
      expect(records['busybox/busybox-0']!.events!.at(-1)!.message).toBeUndefined();
      expect(records['busybox/busybox-1']).toMatchObject({ phase: 'Not Injected', recoveredCount: 2 });
      expect(records['busybox/busybox-1']!.events!.at(-1)).toMatchObject({
        type: 'Succeeded',
        operation: 'Recover',
        message: 'target gone',
      });
      expect(await annotations()).toEqual({ 'busybox-0': {}, other: {} });

      await setFinalizers(kube, CHAOS, []);
      expect((await deletion).stdout).toContain('podannotationchaos.chaos-mesh.org "mark-busybox" deleted');
      await waitGone(kube, CHAOS, 'the experiment is gone');
    }, 150_000);
  });

  it('runs or replaces every command the page shows', () => {
    const left = shell.unaccounted();
    // Without the test kit's prerequisites, the block above is skipped (its title says why),
    // and so are the commands only it runs.
    if (unavailable) expect(left.every(command => /^kubectl |chaosplane dev/.test(command))).toBe(true);
    else expect(left).toEqual([]);
  });
});

/** The containerd socket `chaosplane dev` logged, and each busybox container's host PID from ctr. */
async function containerPids(devOutput: string): Promise<Map<string, number>> {
  const socket = /containerd started socket=(\S+)/.exec(devOutput)?.[1];
  if (socket === undefined) throw new Error(`chaosplane dev logged no containerd socket:\n${devOutput}`);
  const { stdout } = await execFileAsync('ctr', ['--address', socket, '--namespace', 'k8s.io', 'task', 'ls']);
  const pids = new Map<string, number>();
  for (const line of stdout.trim().split('\n').slice(1)) {
    const [task, pid] = line.trim().split(/\s+/);
    if (task && pid) pids.set(task, Number(pid));
  }
  return pids;
}

describe('tutorial: extend the chaos daemon interface (FileChaos)', () => {
  let tutorial: Tutorial;
  let root: string;
  let shell: TutorialShell;

  beforeAll(async () => {
    ({ tutorial, root } = await workspaceFor('extend-the-daemon.md', 'filechaos'));
    shell = createTutorialShell({ tutorial, cwd: root, repo });
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('marks every file the tutorial shows', () => {
    expect([...tutorial.files.keys()]).toEqual([
      'filechaos/package.json',
      'filechaos/tsconfig.json',
      'filechaos/proto/tutorial/filechaos/v1/filechaos.proto',
      'filechaos/buf.yaml',
      'filechaos/buf.gen.yaml',
      'filechaos/src/kind.ts',
      'filechaos/src/daemon.ts',
      'filechaos/src/index.ts',
      'filechaos/test/fileChaos.test.ts',
      'filechaos/jest.config.js',
      'filechaos/filechaos.yaml',
    ]);
  });

  it('generates the stubs with buf and ts-proto, builds, and writes the CRD', async () => {
    await shell.run('npx buf generate filechaos --template filechaos/buf.gen.yaml --output filechaos');
    const stubs = await readFile(
      path.join(root, 'filechaos/src/gen/tutorial/filechaos/v1/filechaos.ts'),
      'utf8',
    );
    expect(stubs).toContain('export const FileChaosDaemonDefinition');
    expect(stubs).toContain('fullName: "tutorial.filechaos.v1.FileChaosDaemon"');
    await shell.run('npx tsc -p filechaos');
    const { stdout } = await shell.run(
      'npx chaosplane crds --plugin ./filechaos/dist/index.js --out filechaos/crds',
    );
    expect(stdout.trim()).toBe('wrote filechaos/crds/chaos-mesh.org_filechaos.yaml');

    const [plugin] = (await loadPlugins([path.join(root, 'filechaos/dist/index.js')])) as [ChaosPlugin];
    expect(plugin.kind).toMatchObject({ kind: 'FileChaos', plural: 'filechaos', namespaced: true });
    expect(plugin.daemon?.service.fullName).toBe('tutorial.filechaos.v1.FileChaosDaemon');
    const manifest = parse(tutorial.files.get('filechaos/filechaos.yaml')!) as ChaosObject;
    expect(validateChaosObject(plugin.kind, manifest)).toEqual([]);
    expect(
      validateChaosObject(plugin.kind, { spec: { ...(manifest.spec as object), path: 'tmp/relative' } }),
    ).toEqual([expect.objectContaining({ field: 'spec.path' })]);
  }, 180_000);

  it("type-checks the page's test", () => typeCheckTests(root, tutorial), 120_000);

  it("passes the page's own test kit test (or says why it skipped)", async () => {
    const output = await shell.run(
      'node --experimental-vm-modules node_modules/jest/bin/jest.js --config filechaos/jest.config.js',
      { timeoutMs: 300_000 },
    );
    expectJestSummary(output, 3, 3);
  }, 330_000);

  describeIf(unavailable)('with `chaosplane dev` and kubectl', () => {
    const FILE = '/tmp/chaosplane-was-here';
    const WRITTEN = 'written by FileChaos\n';
    let dev: BackgroundCommand | undefined;
    let kube: KubeConnection;

    const phases = async () =>
      (
        await shell.run(
          `${K} get filechaos mark-busybox-files -n busybox -o jsonpath='{.status.experiment.containerRecords[*].phase}'`,
        )
      ).stdout.trim();

    /** The file in each busybox container, read through /proc/PID/root; undefined where it is absent. */
    async function files(): Promise<Record<string, string | undefined>> {
      const pods = await waitRunning(kube, ['busybox-0', 'busybox-1']);
      const pids = await containerPids(dev!.output());
      const read = async (pod: Pod) => {
        const bareId = pod.status!.containerStatuses![0]!.containerID!.replace('containerd://', '');
        const pid = pids.get(bareId);
        if (pid === undefined) throw new Error(`no task for ${bareId}`);
        return readFile(`/proc/${pid}/root${FILE}`, 'utf8').catch(() => undefined);
      };
      return Object.fromEntries(
        await Promise.all(pods.map(async pod => [pod.metadata.name, await read(pod)])),
      );
    }

    beforeAll(async () => {
      ({ dev, kube } = await startDev(shell, 'npx chaosplane dev --plugin ./filechaos/dist/index.js', root));
      await waitRunning(kube, ['busybox-0', 'busybox-1']);
    }, 240_000);

    afterAll(async () => {
      kube?.close();
      await dev?.stop();
    }, 90_000);

    it('applying the manifest writes the file in every selected container, with an Event each', async () => {
      expect(await files()).toEqual({ 'busybox-0': undefined, 'busybox-1': undefined });
      expect((await shell.run(`${K} apply -f filechaos/filechaos.yaml`)).stdout).toContain(
        'filechaos.chaos-mesh.org/mark-busybox-files created',
      );
      await eventually(async () => (await phases()) === 'Injected Injected', {
        what: 'both records are Injected',
        timeoutMs: 60_000,
      });
      expect(await files()).toEqual({ 'busybox-0': WRITTEN, 'busybox-1': WRITTEN });
      const { stdout } = await shell.run(
        `${K} get events -n busybox --field-selector involvedObject.name=mark-busybox-files`,
      );
      expect(stdout).toMatch(
        /Normal\s+FileWritten\s+filechaos\/mark-busybox-files\s+\/tmp\/chaosplane-was-here in busybox\/busybox-0\/busybox/,
      );
      expect(stdout).toMatch(
        /Normal\s+FileWritten\s+filechaos\/mark-busybox-files\s+\/tmp\/chaosplane-was-here in busybox\/busybox-1\/busybox/,
      );
    }, 90_000);

    it('pausing removes the file and resuming writes it again', async () => {
      await shell.run(
        `${K} annotate filechaos mark-busybox-files -n busybox experiment.chaos-mesh.org/pause=true`,
      );
      await eventually(async () => (await phases()) === 'Not Injected Not Injected', {
        what: 'both records are Not Injected',
        timeoutMs: 60_000,
      });
      expect(await files()).toEqual({ 'busybox-0': undefined, 'busybox-1': undefined });
      await shell.run(
        `${K} annotate filechaos mark-busybox-files -n busybox experiment.chaos-mesh.org/pause-`,
      );
      await eventually(async () => (await phases()) === 'Injected Injected', {
        what: 'both records are Injected again',
        timeoutMs: 60_000,
      });
      expect(await files()).toEqual({ 'busybox-0': WRITTEN, 'busybox-1': WRITTEN });
    }, 150_000);

    it('deleting it removes the file from every container before the object goes', async () => {
      expect((await shell.run(`${K} delete -f filechaos/filechaos.yaml`)).stdout).toContain(
        'filechaos.chaos-mesh.org "mark-busybox-files" deleted',
      );
      await waitGone(kube, chaosPath('filechaos', 'mark-busybox-files'), 'the experiment is gone');
      expect(await files()).toEqual({ 'busybox-0': undefined, 'busybox-1': undefined });
    }, 90_000);
  });

  it('runs or replaces every command the page shows', () => {
    const left = shell.unaccounted();
    if (unavailable) expect(left.every(command => /^kubectl |chaosplane dev/.test(command))).toBe(true);
    else expect(left).toEqual([]);
  });
});

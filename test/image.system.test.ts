// SPDX-License-Identifier: Apache-2.0
// The container image scripts/build-image.sh writes (.chaosplane/image/chaosplane-<version>.oci.tar),
// run as deploy/ runs it: its configuration, the programs the daemon and the plugins run, the
// operator with deploy/operator.yaml's command and args as its non-root user (every bundled plugin
// loads), the daemon with deploy/daemon.yaml's as root with its certificates and state directory
// mounted where the manifest mounts them, and an image derived from it with a scaffolded plugin
// (deploy/image/plugin.Containerfile), whose operator loads that plugin.
//
// Containers are buildah's (`buildah run --isolation chroot`: the host's network and PID
// namespaces, no daemon), not a kubelet's: the dev control plane's pods are tested where they
// are made. Building the image takes minutes (deploy/image/README.md), so this suite does not:
// without an archive it skips and says how to make one (CI builds it first unless
// CHAOSPLANE_CI_IMAGE=0, see scripts/test-all.sh).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { LINUX_CAPABILITIES } from '@chaosplane/daemon';
import { mintCertificates } from '@chaosplane/dev/harness';
import { BUNDLED_PLUGINS } from '@chaosplane/operator';
import { loadPlugins } from '@chaosplane/service';
import { describeIf, eventually } from '@chaosplane/testing';

const execFileAsync = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const version = (
  JSON.parse(await readFile(path.join(repo, 'packages/operator/package.json'), 'utf8')) as {
    version: string;
  }
).version;
const archive = path.join(repo, '.chaosplane/image', `chaosplane-${version}.oci.tar`);

function hasProgram(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some(dir => dir !== '' && existsSync(path.join(dir, name)));
}

function unavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (buildah keeps its images in /var/lib/containers)';
  if (!hasProgram('buildah')) return 'buildah is not installed (bash scripts/install-system-deps.sh)';
  if (!existsSync(archive)) {
    return `no image at ${path.relative(repo, archive)}: build it with sudo scripts/build-image.sh (minutes; CI builds it)`;
  }
  return undefined;
}

/** Runs buildah with `args`; its stdout. */
async function buildah(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('buildah', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** What a command in a container printed and how it ended. */
interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** `buildah run` of `argv` in `container` with buildah's run options `options`; never throws on exit codes. */
async function runIn(container: string, options: string[], argv: string[]): Promise<Ran> {
  try {
    const { stdout, stderr } = await execFileAsync(
      'buildah',
      ['run', '--isolation', 'chroot', ...options, container, '--', ...argv],
      { timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

interface ContainerSpec {
  command: string[];
  args: string[];
  env?: Array<{ name: string; value?: string }>;
  securityContext?: { runAsUser?: number; capabilities?: { drop?: string[]; add?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

/** The first container of the first workload in a deploy/ manifest. */
async function containerOf(
  file: string,
): Promise<
  ContainerSpec & { podRunAsUser?: number; volumes: Array<{ name: string; hostPath?: { path: string } }> }
> {
  const [workload] = (await readFile(path.join(repo, 'deploy', file), 'utf8')).split(/^---$/m).map(
    doc =>
      parse(doc) as {
        spec: {
          template: {
            spec: {
              securityContext?: { runAsUser?: number };
              containers: ContainerSpec[];
              volumes?: Array<{ name: string; hostPath?: { path: string } }>;
            };
          };
        };
      },
  );
  const pod = workload!.spec.template.spec;
  return { ...pod.containers[0]!, podRunAsUser: pod.securityContext?.runAsUser, volumes: pod.volumes ?? [] };
}

/**
 * The container's environment as the kubelet would set it (`fields` gives the values of its
 * `valueFrom` entries): `buildah run` options, and the values for `$(NAME)` in args.
 */
function environment(
  spec: ContainerSpec,
  fields: Record<string, string>,
): { options: string[]; values: Record<string, string> } {
  const values: Record<string, string> = {};
  for (const { name, value } of spec.env ?? []) {
    const resolved = value ?? fields[name];
    if (resolved === undefined) throw new Error(`no value for the env ${name} of ${spec.command.join(' ')}`);
    values[name] = resolved;
  }
  return {
    options: Object.entries(values).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
    values,
  };
}

/** `$(NAME)` in args replaced as the kubelet does, from `values`. */
function expand(args: string[], values: Record<string, string>): string[] {
  return args.map(arg => arg.replace(/\$\(([A-Z_]+)\)/g, (whole, name: string) => values[name] ?? whole));
}

const suite = describeIf(unavailableReason());

suite(`the image ${path.relative(repo, archive)}`, () => {
  let imageId: string;
  let container: string;
  const scratch: string[] = [];
  const images: string[] = [];

  beforeAll(async () => {
    // The archive as a registry would serve it: pulled into buildah's storage under its ID.
    imageId = (await buildah('pull', '--quiet', `oci-archive:${archive}`)).trim();
    container = (await buildah('from', '--pull-never', imageId)).trim();
  }, 300_000);

  afterAll(async () => {
    if (container !== undefined) await buildah('rm', container).catch(() => undefined);
    for (const image of images) await buildah('rmi', image).catch(() => undefined);
    for (const dir of scratch) await rm(dir, { recursive: true, force: true });
  });

  async function tempDir(name: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), `cp-image-${name}-`));
    scratch.push(dir);
    return dir;
  }

  /** Certificates as a Secret volume shows them: files readable by every user (defaultMode 0644). */
  async function secretVolume(name: string, files: Record<string, Buffer>): Promise<string> {
    const dir = await tempDir(name);
    await chmod(dir, 0o755);
    for (const [file, content] of Object.entries(files))
      await writeFile(path.join(dir, file), content, { mode: 0o644 });
    return dir;
  }

  /**
   * A kubeconfig naming an API server that is not there, as a volume: the operator loads its
   * plugins before it talks to the cluster, and logs what it loaded.
   */
  function unreachableKubeconfig(): Promise<string> {
    return secretVolume('kubeconfig', {
      config: Buffer.from(
        'apiVersion: v1\nkind: Config\nclusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]\n' +
          'users: [{name: none, user: {token: none}}]\n' +
          'contexts: [{name: none, context: {cluster: none, user: none}}]\ncurrent-context: none\n',
      ),
    });
  }

  /** The kinds the operator's "plugins loaded" line names. */
  function loadedKinds(ran: Ran): string[] {
    const output = `${ran.stdout}${ran.stderr}`;
    expect(output).toContain('"plugins loaded"');
    const line = output.split('\n').find(l => l.includes('"plugins loaded"'))!;
    return (JSON.parse(line) as { kinds: string[] }).kinds;
  }

  it('is configured as deploy/ expects: non-root by default, both programs on PATH', async () => {
    const { config } = (
      JSON.parse(await buildah('inspect', '--type', 'image', imageId)) as {
        OCIv1: {
          config: {
            User: string;
            Env: string[];
            Cmd: string[];
            WorkingDir: string;
            Labels: Record<string, string>;
          };
        };
      }
    ).OCIv1;
    expect(config.User).toBe('65532:65532');
    expect(config.WorkingDir).toBe('/opt/chaosplane');
    expect(config.Cmd).toEqual(['chaosplane-operator', '--help']);
    expect(config.Env).toContain('NODE_ENV=production');
    expect(config.Labels['org.opencontainers.image.version']).toBe(version);
    const which = await runIn(
      container,
      [],
      ['sh', '-c', 'command -v chaosplane-operator && command -v chaosplane-daemon'],
    );
    expect(which.stdout.trim().split('\n')).toEqual([
      '/opt/chaosplane/node_modules/.bin/chaosplane-operator',
      '/opt/chaosplane/node_modules/.bin/chaosplane-daemon',
    ]);
  }, 60_000);

  it('has every program the daemon and the bundled plugins run, and nothing to compile with', async () => {
    // mkfifo: containerd exec's FIFOs; nsenter and unshare: namespace entry; the rest NetworkChaos
    // (in the target's network namespace, from this image) and StressChaos.
    const programs = [
      'nsenter',
      'unshare',
      'mkfifo',
      'tc',
      'ip',
      'iptables',
      'iptables-restore',
      'ipset',
      'stress-ng',
      'ps',
      'node',
      'npm',
    ];
    const found = await runIn(
      container,
      [],
      [
        'sh',
        '-c',
        'for p in "$@"; do command -v "$p" >/dev/null || echo "missing $p"; done',
        'sh',
        ...programs,
      ],
    );
    expect(found).toEqual({ code: 0, stdout: '', stderr: '' });
    // NetworkChaos reads the backend from this line (probeCapabilities).
    expect((await runIn(container, [], ['iptables', '--version'])).stdout).toMatch(
      /^iptables v1\.8\.\d+ \(nf_tables\)$/m,
    );
    const compilers = await runIn(container, [], ['sh', '-c', 'command -v gcc cc make python3 || true']);
    expect(compilers.stdout).toBe('');
  }, 60_000);

  it("runs the operator with deploy/operator.yaml's command and args as 65532: it fails clearly without a cluster, and loads every bundled plugin given one", async () => {
    const spec = await containerOf('operator.yaml');
    expect(spec.podRunAsUser).toBe(65532);
    const help = await runIn(container, [], [...spec.command, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: chaosplane-operator');
    const certs = await mintCertificates({
      dir: await tempDir('operator-certs'),
      clientName: 'chaosplane-operator',
    });
    const tls = await secretVolume('operator-tls', {
      'ca.crt': certs.caPem,
      'tls.crt': certs.clientCertPem,
      'tls.key': certs.clientKeyPem,
    });
    const env = environment(spec, { POD_NAMESPACE: 'chaosplane' });
    const started = await runIn(
      container,
      ['--user', '65532:65532', ...env.options, '--volume', `${tls}:/etc/chaosplane/tls:ro`],
      [...spec.command, ...expand(spec.args, env.values)],
    );
    expect(started.code).toBe(1);
    // No in-cluster configuration (no service account token, no KUBERNETES_SERVICE_HOST): said so.
    expect(`${started.stdout}${started.stderr}`).toContain('no kubeconfig found');

    // Given a cluster (one that does not answer), it loads every bundled plugin from the image.
    const kube = await unreachableKubeconfig();
    const withCluster = await runIn(
      container,
      [
        '--user',
        '65532:65532',
        ...env.options,
        '--volume',
        `${tls}:/etc/chaosplane/tls:ro`,
        '--volume',
        `${kube}:/kube:ro`,
      ],
      [
        ...spec.command,
        ...expand(spec.args, env.values),
        '--kubeconfig=/kube/config',
        '--http-addr=127.0.0.1:0',
      ],
    );
    expect(withCluster.code).toBe(1);
    const bundled = (await loadPlugins([...BUNDLED_PLUGINS])).map(p => `${p.kind.kind}.${p.kind.group}`);
    expect(bundled).toHaveLength(BUNDLED_PLUGINS.length);
    expect(loadedKinds(withCluster)).toEqual(bundled);
  }, 120_000);

  it("runs the daemon with deploy/daemon.yaml's command, args and capabilities as root: it serves /healthz", async () => {
    const spec = await containerOf('daemon.yaml');
    expect(spec.securityContext?.runAsUser).toBe(0);
    // The DaemonSet's capabilities, exactly: every plugin's declared ones are among them, so the
    // daemon logs no error about a missing one (it would with buildah's default set).
    const capabilities = spec.securityContext?.capabilities;
    expect(capabilities?.drop).toEqual(['ALL']);
    // (buildah's `--cap-drop all` drops what --cap-add adds too: every other one is named instead.)
    const add = capabilities?.add ?? [];
    const capabilityOptions = [
      ...LINUX_CAPABILITIES.filter(name => !add.includes(name)).flatMap(name => [
        '--cap-drop',
        `CAP_${name}`,
      ]),
      ...add.flatMap(name => ['--cap-add', `CAP_${name}`]),
    ];
    const certs = await mintCertificates({
      dir: await tempDir('daemon-certs'),
      serverDnsNames: ['chaosplane-daemon'],
      clientName: 'chaosplane-operator',
    });
    const tls = await secretVolume('daemon-tls', {
      'ca.crt': certs.caPem,
      'tls.crt': certs.serverCertPem,
      'tls.key': certs.serverKeyPem,
    });
    const state = await tempDir('daemon-state');
    // Port 0 for both listeners (the daemon logs the ports it got): fixed ports on this shared
    // host network could be taken. Everything else is the manifest's.
    const env = environment(spec, { POD_IP: '127.0.0.1' });
    // containerd exec's FIFOs (os.tmpdir()) must be where the shim, on the host, finds them: the
    // state directory's hostPath, mounted at the same path.
    expect(env.values.TMPDIR).toBe('/var/lib/chaosplane');
    expect(spec.volumes.find(v => v.name === 'state')?.hostPath?.path).toBe(env.values.TMPDIR);
    expect(spec.volumeMounts?.find(m => m.name === 'state')?.mountPath).toBe(env.values.TMPDIR);
    const args = expand(spec.args, env.values).map(arg =>
      arg.startsWith('--grpc-port=')
        ? '--grpc-port=0'
        : arg.startsWith('--http-port=')
          ? '--http-port=0'
          : arg,
    );
    const daemon: ChildProcess = spawn(
      'buildah',
      [
        'run',
        '--isolation',
        'chroot',
        '--user',
        '0:0',
        ...capabilityOptions,
        ...env.options,
        '--volume',
        `${tls}:/etc/chaosplane/tls:ro`,
        '--volume',
        `${state}:/var/lib/chaosplane`,
        container,
        '--',
        ...spec.command,
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    daemon.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    daemon.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>(resolve => daemon.once('exit', code => resolve(code)));
    try {
      const httpPort = await eventually(
        () => {
          const line = output.split('\n').find(l => l.includes('"listening"'));
          return line === undefined ? undefined : (JSON.parse(line) as { httpPort: number }).httpPort;
        },
        { timeoutMs: 60_000, what: 'the daemon logs "listening"', describe: () => output },
      );
      const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      expect(health.status).toBe(200);
      // Its journal is where daemon.yaml's hostPath is mounted.
      expect(existsSync(path.join(state, 'journal.jsonl'))).toBe(true);
    } finally {
      daemon.kill('SIGTERM');
      await exited;
    }
    expect(output).not.toMatch(/"level":"error"/);
  }, 120_000);

  it('takes a scaffolded plugin through deploy/image/plugin.Containerfile, and its operator loads it', async () => {
    // `chaosplane new plugin`, built as its author would (buf generate, tsc) with this
    // repository's tools, and packed: the tarball an author would publish.
    const work = await tempDir('plugin');
    await execFileAsync('node', [
      path.join(repo, 'packages/cli/bin/chaosplane.js'),
      'new',
      'plugin',
      'demo-chaos',
      '--dir',
      work,
    ]);
    const plugin = path.join(work, 'demo-chaos');
    await symlink(path.join(repo, 'node_modules'), path.join(plugin, 'node_modules'));
    await execFileAsync(path.join(repo, 'node_modules/.bin/buf'), ['generate'], { cwd: plugin });
    await execFileAsync(path.join(repo, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: plugin });
    await rm(path.join(plugin, 'node_modules'));
    const context = await tempDir('plugin-context');
    const packed = (
      await execFileAsync('npm', ['pack', '--ignore-scripts', '--pack-destination', context], { cwd: plugin })
    ).stdout
      .trim()
      .split('\n')
      .pop()!;

    const tag = `localhost/chaosplane-image-test:${process.pid}`;
    await buildah(
      'build',
      '--isolation',
      'chroot',
      '--quiet',
      '--pull-never',
      '-f',
      path.join(repo, 'deploy/image/plugin.Containerfile'),
      '--build-arg',
      `BASE=${imageId}`,
      '--build-arg',
      `PLUGIN=${packed}`,
      '-t',
      tag,
      context,
    );
    images.push(tag);
    const derived = (await buildah('from', '--pull-never', tag)).trim();
    try {
      const kube = await unreachableKubeconfig();
      const ran = await runIn(
        derived,
        ['--env', 'LOG_FORMAT=json', '--volume', `${kube}:/kube:ro`],
        [
          'chaosplane-operator',
          '--kubeconfig',
          '/kube/config',
          '--plugin',
          'demo-chaos',
          '--plugin',
          '@chaosplane/experiment-helloworld',
          '--http-addr',
          '127.0.0.1:0',
          // No daemon is dialed before the cluster answers; mTLS files would change nothing here.
          '--daemon-insecure',
        ],
      );
      expect(ran.code).toBe(1);
      expect(loadedKinds(ran)).toEqual(['DemoChaos.chaos-mesh.org', 'HelloWorldChaos.chaos-mesh.org']);
      // Installed as the documented pattern leaves it: a dependency of /opt/chaosplane, as uid 65532 reads it.
      const listed = await runIn(derived, [], ['npm', 'ls', '--omit=dev', 'demo-chaos']);
      expect(listed.stdout).toMatch(/demo-chaos@0\.1\.0/);
    } finally {
      await buildah('rm', derived).catch(() => undefined);
    }
  }, 600_000);
});

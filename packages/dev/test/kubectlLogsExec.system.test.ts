// SPDX-License-Identifier: Apache-2.0
// `kubectl logs` and `kubectl exec` with the real kubectl against the dev control plane: the
// emulator proxies `pods/log` and `pods/exec` to the dev kubelet's HTTPS API (found through the
// Node's kubeletEndpoint), which reads the containers' CRI log files and runs execs through
// containerd. The interactive `kubectl exec -it … -- sh` runs under a real pseudo-terminal made by
// script(1) from util-linux (node-pty needs a native build that npm 11 holds back). Pods get
// in-cluster config, Secret and ConfigMap volumes and their securityContext, checked from inside
// through exec. Last, a pod runs from an OCI image made with buildah and imported into the
// kubelet's containerd.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { LINUX_CAPABILITIES } from '@chaosplane/daemon';
import { createBusyboxRootfs } from '@chaosplane/dev/harness';
import {
  describeIf,
  eventually,
  kubectlUnavailableReason,
  startTestKit,
  testKitUnavailableReason,
  type TestKit,
} from '@chaosplane/testing';

const run = promisify(execFile);
const NS = 'chaos-test';
/** The plane needs one plugin to start its engine; any bundled one does. */
const PLUGIN = new URL('../../experiment-helloworld/src/index.ts', import.meta.url).pathname;

/**
 * `talker`: container `a` counts its runs in an emptyDir, prints three lines and a stderr line,
 * dies once (restartPolicy Always restarts it at once), then sleeps; container `b` ticks twice a
 * second, for `-f`.
 */
const TALKER = `apiVersion: v1
kind: Pod
metadata: {name: talker, namespace: ${NS}}
spec:
  volumes: [{name: runs, emptyDir: {}}]
  containers:
    - name: a
      image: busybox
      volumeMounts: [{name: runs, mountPath: /runs}]
      command: [sh, -c]
      args:
        - n=$(( $(cat /runs/n 2>/dev/null || echo 0) + 1 )); echo $n > /runs/n;
          echo run-$n line-1; echo run-$n line-2; echo run-$n line-3; echo run-$n oops >&2;
          if [ $n -lt 2 ]; then exit 1; fi; exec sleep 3600
    - name: b
      image: busybox
      command: [sh, -c, 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.5; done']
`;

/** Runs kubectl (argv only); resolves with its exit code and output, never rejects. */
function kubectl(
  kit: TestKit,
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn('kubectl', ['--kubeconfig', kit.kubeconfigPath, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', code => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** Single-quotes `arg` for sh, the only shell string in this test: script(1) takes its command so. */
function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The container statuses of `talker` by name. */
async function talkerStatuses(kit: TestKit) {
  const pod = await kit.kube.request<{
    status?: { containerStatuses?: { name: string; restartCount: number; state?: { running?: object } }[] };
  }>('GET', `/api/v1/namespaces/${NS}/pods/talker`);
  return new Map((pod.status?.containerStatuses ?? []).map(s => [s.name, s]));
}

/**
 * A tiny OCI image archive made with buildah (its own storage, nothing shared): the busybox root
 * filesystem, an Entrypoint that prints its arguments, the environment, the user and the working
 * directory, a Cmd, an Env, a User and a WorkingDir.
 */
async function buildTestImage(dir: string, name: string): Promise<string> {
  const rootfs = await createBusyboxRootfs(path.join(dir, 'rootfs'));
  const buildah = [
    '--root',
    path.join(dir, 'storage'),
    '--runroot',
    path.join(dir, 'run'),
    '--storage-driver',
    'vfs',
  ];
  const b = async (...args: string[]) => (await run('buildah', [...buildah, ...args])).stdout.trim();
  const container = await b('from', 'scratch');
  await b('copy', container, rootfs, '/');
  await b(
    'config',
    '--entrypoint',
    JSON.stringify(['/bin/sh', '-c', 'echo "args=$0 $* greeting=$GREETING user=$(id -u) pwd=$(pwd)"']),
    '--cmd',
    JSON.stringify(['from-image']),
    '--env',
    'GREETING=image',
    '--user',
    '65534',
    '--workingdir',
    '/tmp',
    container,
  );
  const archive = path.join(dir, 'image.tar');
  await b('commit', '-q', container, `oci-archive:${archive}:${name}`);
  await b('rm', container);
  return archive;
}

/** Why buildah cannot make the test image here, or undefined. */
function buildahUnavailableReason(): string | undefined {
  try {
    execFileSync('buildah', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'buildah is not installed (Debian package buildah; scripts/install-system-deps.sh)';
  }
}

describeIf(testKitUnavailableReason())('kubectl logs and exec on dev kubelet pods', () => {
  let kit: TestKit;
  beforeAll(async () => {
    kit = await startTestKit({ plugins: [PLUGIN], pods: [{ name: 'shell' }] });
    await kit.kubectl(['apply', '-f', '-'], TALKER);
    await eventually(
      async () => {
        const statuses = await talkerStatuses(kit);
        const a = statuses.get('a');
        return a?.restartCount === 1 && a.state?.running !== undefined && statuses.get('b')?.state?.running;
      },
      { what: 'talker running, container a restarted once', timeoutMs: 60_000 },
    );
  }, 120_000);
  afterAll(() => kit?.close(), 60_000);

  it('shows a container log, its --tail, --timestamps and the --previous instance (stdout and stderr)', async () => {
    const all = await eventually(async () => {
      const out = await kubectl(kit, ['logs', '-n', NS, 'talker', '-c', 'a']);
      return out.code === 0 && out.stdout.includes('run-2 oops') ? out.stdout : undefined;
    });
    expect(all.split('\n').filter(Boolean).sort()).toEqual([
      'run-2 line-1',
      'run-2 line-2',
      'run-2 line-3',
      'run-2 oops',
    ]);
    const tail = await kubectl(kit, ['logs', '-n', NS, 'talker', '-c', 'a', '--tail', '1']);
    expect(tail.stdout.split('\n').filter(Boolean)).toHaveLength(1);

    const previous = await kubectl(kit, ['logs', '-n', NS, 'talker', '-c', 'a', '--previous']);
    expect(previous.code).toBe(0);
    expect(previous.stdout).toContain('run-1 line-1');
    expect(previous.stdout).toContain('run-1 oops');
    expect(previous.stdout).not.toContain('run-2');

    const stamped = await kubectl(kit, ['logs', '-n', NS, 'talker', '-c', 'a', '--timestamps']);
    expect(stamped.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z run-2 line-1$/m);

    // b never died: no previous instance, answered as the kubelet does.
    const none = await kubectl(kit, ['logs', '-n', NS, 'talker', '-c', 'b', '--previous']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('previous terminated container "b" in pod "talker" not found');

    const unknown = await kubectl(kit, ['logs', '-n', NS, 'talker', '-c', 'nope']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('container nope is not valid for pod talker');
  }, 60_000);

  it('follows a log with -f: new lines arrive while kubectl runs', async () => {
    const child = spawn('kubectl', [
      '--kubeconfig',
      kit.kubeconfigPath,
      'logs',
      '-f',
      '-n',
      NS,
      'talker',
      '-c',
      'b',
      '--tail',
      '1',
    ]);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      const ticks = await eventually(
        () => {
          const seen = [...out.matchAll(/tick-(\d+)/g)].map(m => Number(m[1]));
          return seen.length >= 4 ? seen : undefined;
        },
        { what: 'four ticks through kubectl logs -f', timeoutMs: 15_000, describe: () => out },
      );
      // --tail 1 then every new line once, in order.
      expect(ticks.slice(1)).toEqual(ticks.slice(1).map((_, i) => ticks[0]! + i + 1));
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill();
    }
  }, 30_000);

  it('tells a SPDY client (kubectl before 1.30) that exec needs the WebSocket protocol', async () => {
    const emulator = kit.plane.emulator;
    const url = new URL(emulator.url);
    const head = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: emulator.caCert }, () =>
        socket.write(
          `POST /api/v1/namespaces/${NS}/pods/shell/exec?command=true&stdout=true HTTP/1.1\r\nHost: ${url.host}\r\n` +
            `Authorization: Bearer ${emulator.token}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n` +
            'X-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n\r\n',
        ),
      );
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toContain('the dev kubelet streams exec over WebSocket');
    expect(head).toContain('not SPDY/3.1');
  }, 30_000);

  describeIf(kubectlUnavailableReason(30, "exec over WebSocket (the dev kubelet's protocol)"))(
    'kubectl exec',
    () => {
      it('execs a command: stdout, stderr, stdin and the exit code kubectl exits with', async () => {
        const result = await kubectl(kit, [
          'exec',
          '-n',
          NS,
          'shell',
          '--',
          'sh',
          '-c',
          'echo out; echo err >&2; exit 3',
        ]);
        expect(result.stdout).toBe('out\n');
        expect(result.stderr).toContain('err\n');
        expect(result.stderr).toContain('command terminated with exit code 3');
        expect(result.code).toBe(3);

        const cat = await kubectl(
          kit,
          ['exec', '-i', '-n', NS, 'shell', '--', 'sh', '-c', 'tr a-z A-Z; echo done'],
          'hello\n',
        );
        expect(cat).toEqual({ code: 0, stdout: 'HELLO\ndone\n', stderr: '' });

        // The pod's own processes: exec runs in the container's PID namespace.
        const ps = await kubectl(kit, ['exec', '-n', NS, 'shell', '--', 'ps', 'aux']);
        expect(ps.stdout).toMatch(/^\s*1\s+root\s+(\/bin\/)?sleep 3600$/m);
      }, 60_000);

      it('runs `kubectl exec -it … -- sh` interactively through a pseudo-terminal', async () => {
        const command = [
          'kubectl',
          '--kubeconfig',
          kit.kubeconfigPath,
          'exec',
          '-it',
          '-n',
          NS,
          'shell',
          '--',
          'sh',
        ];
        // script -e exits with the child's code; -f flushes each write; the log goes nowhere.
        const child = spawn('script', ['-qfec', command.map(shellQuote).join(' '), '/dev/null'], {
          env: { ...process.env, TERM: 'dumb' },
        });
        let screen = '';
        child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
        const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)));
        try {
          await eventually(() => screen.includes('# '), {
            what: 'the shell prompt',
            timeoutMs: 20_000,
            describe: () => screen,
          });
          child.stdin.write('echo $((6*7)) && tty\n');
          await eventually(() => /^42\r?$/m.test(screen) && /\/dev\/pts\/\d+/.test(screen), {
            what: 'the typed command echoed and its result',
            timeoutMs: 10_000,
            describe: () => screen,
          });
          // The typed line comes back through the container's terminal (echo), not from here.
          expect(screen).toContain('echo $((6*7)) && tty');
          child.stdin.write('exit 7\n');
          expect(await exited).toBe(7);
        } finally {
          child.kill();
        }
      }, 60_000);
      it('gives a pod in-cluster config: the service account files, KUBERNETES_SERVICE_*, a Secret volume, fieldRef env', async () => {
        await kit.kubectl(
          ['apply', '-f', '-'],
          `apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: ${NS}}
stringData: {user: alice, other: not-mounted}
---
apiVersion: v1
kind: Pod
metadata: {name: incluster, namespace: ${NS}}
spec:
  volumes:
    - name: creds
      secret: {secretName: creds, defaultMode: 0400, items: [{key: user, path: login/user}]}
  containers:
    - name: main
      image: busybox
      command: [sleep, '3600']
      env:
        - {name: MY_POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: MY_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
      volumeMounts: [{name: creds, mountPath: /creds}]
`,
        );
        await kit.plane.kubelet.waitRunning(NS, ['incluster'], 30_000);
        const sh = (script: string) =>
          kubectl(kit, ['exec', '-n', NS, 'incluster', '--', 'sh', '-c', script]);
        const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
        const files = await sh(
          `cat ${sa}/namespace; echo; ls /creds; ls /creds/login; stat -c %a /creds/login/user; cat /creds/login/user`,
        );
        expect(files.stdout.split('\n')).toEqual([NS, 'login', 'user', '400', 'alice']);
        const env = await sh('echo $MY_POD $MY_IP $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT');
        const [pod, ip, endpoint] = env.stdout.trim().split(' ');
        const status = await kit.kube.request<{ status?: { podIP?: string } }>(
          'GET',
          `/api/v1/namespaces/${NS}/pods/incluster`,
        );
        expect([pod, ip]).toEqual(['incluster', status.status?.podIP]);
        // The API server is reachable from the pod's network namespace at that address…
        const [host = '', port = ''] = (endpoint ?? '').split(':');
        const dial = await sh(`nc -w 5 ${host} ${port} -e true && echo connected`);
        expect(dial.stdout).toBe('connected\n');
        // …and serves there what client-node's in-cluster config checks: a certificate for that
        // address under ca.crt, and the pod's token accepted (busybox's wget cannot speak its TLS,
        // so this half is asked from the host, with the pod's files).
        const ca = (await sh(`cat ${sa}/ca.crt`)).stdout;
        const token = (await sh(`cat ${sa}/token`)).stdout;
        expect(new X509Certificate(ca).fingerprint256).toBe(
          new X509Certificate(kit.plane.emulator.caCert).fingerprint256,
        );
        const answer = await new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
          const req = https.get(
            {
              host,
              port: Number(port),
              ca,
              path: `/api/v1/namespaces/${NS}/pods/incluster`,
              headers: { authorization: `Bearer ${token}` },
            },
            res => {
              let body = '';
              res.on('data', (chunk: Buffer) => (body += chunk.toString()));
              res.on('end', () => resolve({ status: res.statusCode, body }));
            },
          );
          req.on('error', reject);
        });
        expect(answer.status).toBe(200);
        expect((JSON.parse(answer.body) as { metadata: { name: string } }).metadata.name).toBe('incluster');
      }, 60_000);

      it('mounts ConfigMap volumes and runs a container under its securityContext (runAsNonRoot, runAsUser, readOnlyRootFilesystem, capabilities)', async () => {
        await kit.kubectl(
          ['apply', '-f', '-'],
          `apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ${NS}}
data: {a.conf: alpha, b.conf: beta}
---
apiVersion: v1
kind: Pod
metadata: {name: confined, namespace: ${NS}}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 1000}
  volumes:
    - {name: all, configMap: {name: settings}}
    - name: some
      configMap: {name: settings, items: [{key: b.conf, path: nested/b, mode: 0444}]}
    - {name: absent, configMap: {name: no-such-map, optional: true}}
  containers:
    - name: main
      image: busybox
      command: [sleep, '3600']
      securityContext:
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL], add: [NET_RAW]}
      volumeMounts:
        - {name: all, mountPath: /all}
        - {name: some, mountPath: /some}
        - {name: absent, mountPath: /absent}
---
apiVersion: v1
kind: Pod
metadata: {name: rooted, namespace: ${NS}}
spec:
  securityContext: {runAsNonRoot: true}
  containers: [{name: main, image: busybox, command: [sleep, '3600']}]
`,
        );
        await kit.plane.kubelet.waitRunning(NS, ['confined'], 30_000);
        const sh = (script: string) => kubectl(kit, ['exec', '-n', NS, 'confined', '--', 'sh', '-c', script]);
        // Every key, or the items at their paths with their mode; an optional missing map is empty.
        const files = await sh(
          'ls /all; cat /all/a.conf; echo; stat -Lc %a /all/b.conf; cat /some/nested/b; echo; stat -Lc %a /some/nested/b; ls -A /absent | wc -l',
        );
        expect(files.stdout.split('\n')).toEqual([
          'a.conf',
          'b.conf',
          'alpha',
          '644',
          'beta',
          '444',
          '0',
          '',
        ]);
        expect((await sh('id -u')).stdout).toBe('1000\n');
        const written = await sh('touch /x');
        expect(written.code).not.toBe(0);
        expect(written.stderr).toContain('Read-only file system');
        // Bounded by drop ALL + add NET_RAW; a non-root process has none effective.
        const status = (await sh('cat /proc/self/status')).stdout;
        const names = (field: string) => {
          const mask = BigInt(`0x${new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)![1]!}`);
          return LINUX_CAPABILITIES.filter((_, bit) => ((mask >> BigInt(bit)) & 1n) === 1n);
        };
        expect(names('CapBnd')).toEqual(['NET_RAW']);
        expect(names('CapEff')).toEqual([]);
        // runAsNonRoot with an image that runs as root: never started, as the kubelet refuses it.
        const waiting = await eventually(
          async () => {
            const pod = await kit.kube.request<{
              status?: {
                containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[];
              };
            }>('GET', `/api/v1/namespaces/${NS}/pods/rooted`);
            return pod.status?.containerStatuses?.[0]?.state?.waiting;
          },
          { what: 'the rooted pod waiting', timeoutMs: 30_000 },
        );
        expect(waiting).toEqual({
          reason: 'CreateContainerConfigError',
          message: 'container has runAsNonRoot and image will run as root',
        });
      }, 60_000);
    },
  );

  describeIf(buildahUnavailableReason())('a pod from an imported OCI image', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'cp-image-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('combines the image config with the pod (Entrypoint/Cmd, args, Env, User, WorkingDir) as Kubernetes does', async () => {
      const name = 'localhost/cp-test:1';
      const archive = await buildTestImage(dir, name);
      expect(await kit.plane.kubelet.importImage(archive)).toContain(name);
      const pod = (podName: string, extra: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${podName}, namespace: ${NS}}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: ${name}
${extra}`;
      await kit.kubectl(['apply', '-f', '-'], pod('image-defaults', ''));
      // args replace Cmd and keep Entrypoint; the pod's env overrides the image's.
      await kit.kubectl(
        ['apply', '-f', '-'],
        pod('image-args', '      args: [from-pod, two]\n      env: [{name: GREETING, value: pod}]\n'),
      );
      const logOf = (podName: string) =>
        eventually(
          async () => {
            const out = await kubectl(kit, ['logs', '-n', NS, podName]);
            return out.code === 0 && out.stdout.includes('args=') ? out.stdout.trim() : undefined;
          },
          { what: `the log of ${podName}`, timeoutMs: 30_000 },
        );
      expect(await logOf('image-defaults')).toBe('args=from-image  greeting=image user=65534 pwd=/tmp');
      expect(await logOf('image-args')).toBe('args=from-pod two greeting=pod user=65534 pwd=/tmp');
      const status = await kit.kube.request<{
        status?: {
          phase?: string;
          containerStatuses?: { imageID?: string; state?: { terminated?: { exitCode: number } } }[];
        };
      }>('GET', `/api/v1/namespaces/${NS}/pods/image-defaults`);
      expect(status.status?.containerStatuses?.[0]?.imageID).toMatch(
        /^localhost\/cp-test@sha256:[0-9a-f]{64}$/,
      );
    }, 90_000);
  });
});

// SPDX-License-Identifier: Apache-2.0
// `chaosplane dev [--demo] [--deployed] [--image <archive>…]`: the embedded control plane (images
// imported into its kubelet's containerd), the operator and daemon as processes or, with
// --deployed, as deploy/'s pods from Chaosplane's image; and the HelloWorldChaos demo on it.
import {
  applyManifestFile,
  defaultImageArchive,
  examplesDir,
  runDemo,
  startDeployedControlPlane,
  startDevControlPlane,
  type DeployedControlPlane,
  type DevCluster,
  type DevControlPlane,
} from '@chaosplane/dev';
import { ChaosplaneError, type Logger } from '@chaosplane/sdk';
import { createLogger, loadPlugins, type LoggerOptions } from '@chaosplane/service';
import { deployedHints, devHints } from './devHints.js';

/** Options of {@link runDevCommand}. */
export interface DevCommandOptions {
  dir: string;
  demo: boolean;
  plugins: string[];
  /** OCI image archives imported into the local kubelet's containerd before pods are applied. */
  images?: string[];
  /**
   * Run deploy/ as pods from Chaosplane's image (the first of `images`, or the checkout's
   * .chaosplane/image archive) instead of the operator and the daemon as processes.
   */
  deployed?: boolean;
  /** Log format; readable lines unless LOG_FORMAT says otherwise. */
  format?: LoggerOptions['format'];
}

/** The plane `options` ask for: deploy/ as pods, or the operator and the daemon as processes. */
async function startPlane(
  options: DevCommandOptions,
  format: LoggerOptions['format'],
  log: Logger,
  signal: AbortSignal,
): Promise<{ processes: DevControlPlane } | { deployed: DeployedControlPlane }> {
  const images = options.images ?? [];
  if (options.deployed === true) {
    const [image = defaultImageArchive(), ...others] = images;
    if (image === undefined)
      throw new ChaosplaneError(
        'invalid',
        '--deployed outside a clone needs --image <Chaosplane image archive>',
      );
    return {
      deployed: await startDeployedControlPlane({ dir: options.dir, log, signal, image, images: others }),
    };
  }
  return {
    processes: await startDevControlPlane({
      dir: options.dir,
      plugins: options.plugins,
      operatorLog: createLogger({ component: 'operator', format }),
      daemonLog: createLogger({ component: 'daemon', format }),
      log,
      signal,
      images,
    }),
  };
}

/**
 * The seed's verification, step 6: the operator's log (the leader's) says `Apply helloworld
 * chaos` per record, the daemon's shows each container's `ps aux`. Printed as kubectl prints them.
 */
async function showPodLogs(plane: DeployedControlPlane, log: Logger): Promise<void> {
  const leader = await plane.leaderPod();
  const [daemon] = await plane.daemonPods();
  const shown: Array<[string | undefined, RegExp]> = [
    [leader, /Apply helloworld chaos/],
    [daemon?.metadata?.name, /ps aux in container/],
  ];
  for (const [pod, pattern] of shown) {
    if (pod === undefined) continue;
    log.info(`$ kubectl logs -n chaosplane ${pod} | grep '${pattern.source}'`);
    const lines = (await plane.kubectl(['logs', '-n', 'chaosplane', pod])).split('\n');
    for (const line of lines.filter(l => pattern.test(l))) log.info(`  ${line}`);
  }
}

/** Runs `chaosplane dev`: until SIGINT/SIGTERM, or through the demo with `--demo`. */
export async function runDevCommand(options: DevCommandOptions): Promise<void> {
  const format = options.format ?? (process.env['LOG_FORMAT'] === 'json' ? 'json' : 'pretty');
  const log = createLogger({ component: 'dev', format });
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

  const examples = examplesDir();
  const started = await startPlane(options, format, log, stop.signal);
  const plane: DevCluster = 'deployed' in started ? started.deployed : started.processes;
  try {
    if (options.demo) {
      if (examples === undefined) {
        throw new ChaosplaneError(
          'not-found',
          'the demo needs the repository’s examples/ directory (run it from a clone)',
        );
      }
      const result = await runDemo(plane, examples, log);
      if ('deployed' in started) await showPodLogs(started.deployed, log);
      log.info(
        `demo finished: ${result.records.length} containers said hello, every record was Injected, and the experiment was deleted cleanly`,
      );
      return;
    }
    if (examples !== undefined) await applyManifestFile(plane.kube, `${examples}/busybox.yaml`);
    else {
      await plane.kube
        .request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'busybox' } } })
        .catch(() => undefined);
    }
    log.info('Chaosplane is running. In another terminal:');
    const hints =
      'deployed' in started
        ? await deployedHints(started.deployed, examples)
        : await devHints(
            started.processes,
            (await loadPlugins(options.plugins)).map(p => p.kind),
            examples,
          );
    for (const line of hints) log.info(line);
    log.info('Press Ctrl-C to stop.');
    await new Promise<void>(resolve =>
      stop.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  } finally {
    stop.abort();
    await plane.stop();
    log.info('stopped: operator, daemon, containers, controllers, containerd and kube-emulator');
  }
}

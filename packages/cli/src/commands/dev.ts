// SPDX-License-Identifier: Apache-2.0
// `chaosplane dev [--demo] [--image <archive>…]`: the embedded control plane (images imported into
// its kubelet's containerd), and the HelloWorldChaos demo on it.
import { applyManifestFile, examplesDir, runDemo, startDevControlPlane } from '@chaosplane/dev';
import { ChaosplaneError } from '@chaosplane/sdk';
import { createLogger, loadPlugins, type LoggerOptions } from '@chaosplane/service';
import { devHints } from './devHints.js';

/** Options of {@link runDevCommand}. */
export interface DevCommandOptions {
  dir: string;
  demo: boolean;
  plugins: string[];
  /** OCI image archives imported into the local kubelet's containerd before pods are applied. */
  images?: string[];
  /**
   * Whom the operator authenticates as (`--operator-identity`): its ServiceAccount under RBAC, or
   * `admin`; by default its ServiceAccount when deploy/ is there (see `startDevControlPlane`).
   */
  operatorIdentity?: 'service-account' | 'admin';
  /** Log format; readable lines unless LOG_FORMAT says otherwise. */
  format?: LoggerOptions['format'];
}

/** Runs `chaosplane dev`: until SIGINT/SIGTERM, or through the demo with `--demo`. */
export async function runDevCommand(options: DevCommandOptions): Promise<void> {
  const format = options.format ?? (process.env['LOG_FORMAT'] === 'json' ? 'json' : 'pretty');
  const log = createLogger({ component: 'dev', format });
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

  const examples = examplesDir();
  const plane = await startDevControlPlane({
    dir: options.dir,
    plugins: options.plugins,
    operatorLog: createLogger({ component: 'operator', format }),
    daemonLog: createLogger({ component: 'daemon', format }),
    log,
    signal: stop.signal,
    ...(options.images !== undefined ? { images: options.images } : {}),
    ...(options.operatorIdentity !== undefined ? { operatorIdentity: options.operatorIdentity } : {}),
  });
  try {
    if (options.demo) {
      if (examples === undefined) {
        throw new ChaosplaneError(
          'not-found',
          'the demo needs the repository’s examples/ directory (run it from a clone)',
        );
      }
      const result = await runDemo(plane, examples, log);
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
    const kinds = (await loadPlugins(options.plugins)).map(plugin => plugin.kind);
    log.info('Chaosplane is running. In another terminal:');
    for (const line of await devHints(plane, kinds, examples)) log.info(line);
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

#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The `chaosplane` CLI: CRD generation today; the embedded control plane (`dev`) joins it.
import { Command } from 'commander';
import { ChaosplaneError } from '@chaosplane/core';
import { generateCrdFiles } from '../commands/crds.js';
import { runDevCommand } from '../commands/dev.js';
import { explainManifest, formatExplanations } from '../commands/explain.js';
import { commaList } from '../config/commaList.js';
import { resolvePluginList } from '../config/pluginList.js';

const collect = (value: string, previous: string[]) => [...previous, value];

const program = new Command('chaosplane')
  .description('Chaosplane: pluggable chaos engineering for Kubernetes')
  .showHelpAfterError();

program
  .command('crds')
  .description("write the CRD YAML of every loaded plugin's kind")
  .option('--out <dir>', 'output directory', 'deploy/crds')
  .option('--plugin <name-or-path>', 'plugin package or file to load (repeatable)', collect, [])
  .option('--config <file>', 'config file with a plugins list')
  .action(async (options: { out: string; plugin: string[]; config?: string }) => {
    const plugins = await resolvePluginList({
      flags: options.plugin,
      ...(options.config !== undefined ? { configFile: options.config } : {}),
    });
    for (const file of await generateCrdFiles({ plugins, out: options.out })) console.log(`wrote ${file}`);
  });

program
  .command('dev')
  .description('run Chaosplane locally: kube-emulator, containerd, the daemon and the operator')
  .option('--demo', 'apply examples/helloworld.yaml, show what happens, delete it and exit', false)
  .option(
    '--dir <dir>',
    'state directory (kube-emulator data, kubeconfig, journal, certificates)',
    '.chaosplane',
  )
  .option('--plugin <name-or-path>', 'plugin package or file to load (repeatable)', collect, [])
  .option('--config <file>', 'config file with a plugins list')
  .action(async (options: { demo: boolean; dir: string; plugin: string[]; config?: string }) => {
    const plugins = await resolvePluginList({
      flags: options.plugin,
      ...(options.config !== undefined ? { configFile: options.config } : {}),
    });
    await runDevCommand({ dir: options.dir, demo: options.demo, plugins });
  });

program
  .command('explain')
  .description('dry run: the targets a manifest would hit, and why every other pod is left alone')
  .requiredOption('-f, --file <manifest>', 'YAML manifest with chaos objects')
  .option('--kubeconfig <path>', 'kubeconfig file (default: the default loading rules)')
  .option('--plugin <name-or-path>', 'plugin package or file to load (repeatable)', collect, [])
  .option('--config <file>', 'config file with a plugins list')
  .option('--protected-namespaces <list>', 'comma-separated namespaces never selected')
  .option(
    '--filter-namespaces',
    'only namespaces annotated chaos-mesh.org/inject=enabled are eligible',
    false,
  )
  .option('--json', 'print JSON', false)
  .action(
    async (options: {
      file: string;
      kubeconfig?: string;
      plugin: string[];
      config?: string;
      protectedNamespaces?: string;
      filterNamespaces: boolean;
      json: boolean;
    }) => {
      const plugins = await resolvePluginList({
        flags: options.plugin,
        ...(options.config !== undefined ? { configFile: options.config } : {}),
      });
      const results = await explainManifest({
        file: options.file,
        plugins,
        ...(options.kubeconfig !== undefined ? { kubeconfig: options.kubeconfig } : {}),
        gates: {
          filterNamespaces: options.filterNamespaces,
          ...(options.protectedNamespaces !== undefined
            ? {
                protectedNamespaces: commaList(options.protectedNamespaces),
              }
            : {}),
        },
      });
      console.log(options.json ? JSON.stringify(results, null, 2) : formatExplanations(results));
    },
  );

program.parseAsync().catch((error: unknown) => {
  console.error(ChaosplaneError.is(error) ? `chaosplane: ${error.message}` : error);
  process.exitCode = 1;
});

// SPDX-License-Identifier: Apache-2.0
// The `chaosplane` CLI: CRD generation, the dry run (explain), the embedded control plane (dev)
// and the plugin scaffolder (new plugin).
import {
  explainCommand,
  explainManifest,
  explainOptionsFromCommand,
  formatExplanations,
  generateCrdFiles,
  resolvePluginList,
} from '@chaosplane/operator';
import { ChaosplaneError } from '@chaosplane/sdk';
import { Command } from 'commander';
import { runDevCommand } from './commands/dev.js';
import { newPluginCommand } from './commands/newPlugin.js';

const collect = (value: string, previous: string[]) => [...previous, value];

const program = new Command('chaosplane')
  .description('Chaosplane: pluggable chaos engineering for Kubernetes')
  .showHelpAfterError();

program
  .command('crds')
  .description("write the CRD YAML of every loaded plugin's kind")
  .option('--out <dir>', 'output directory', 'deploy/crds')
  .option(
    '--rbac-out <dir>',
    "also write the operator's ClusterRoles for these kinds (chaos-kinds.yaml, install-crds.yaml)",
  )
  .option(
    '--orchestration',
    'also write the Schedule, Workflow, WorkflowNode and StatusCheck CRDs embedding these kinds (they replace the cluster’s: load every kind the operator loads)',
  )
  .option('--plugin <name-or-path>', 'plugin package or file to load (repeatable)', collect, [])
  .option('--config <file>', 'config file with a plugins list')
  .action(
    async (options: {
      out: string;
      rbacOut?: string;
      orchestration?: boolean;
      plugin: string[];
      config?: string;
    }) => {
      const plugins = await resolvePluginList({
        flags: options.plugin,
        ...(options.config !== undefined ? { configFile: options.config } : {}),
      });
      const rbac = options.rbacOut !== undefined ? { rbacOut: options.rbacOut } : {};
      const orchestration = options.orchestration === true;
      for (const file of await generateCrdFiles({ plugins, out: options.out, orchestration, ...rbac }))
        console.log(`wrote ${file}`);
    },
  );

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
  .option(
    '--image <oci-archive>',
    "OCI image archive to import into the local kubelet's containerd (repeatable); with --deployed the first is Chaosplane's",
    collect,
    [],
  )
  .option(
    '--deployed',
    "apply deploy/ with kubectl apply -k and run the operator and the daemon as pods from Chaosplane's image " +
      '(.chaosplane/image/chaosplane-<version>.oci.tar unless --image names one: sudo npm run image builds it)',
    false,
  )
  .action(
    async (options: {
      demo: boolean;
      dir: string;
      plugin: string[];
      config?: string;
      image: string[];
      deployed: boolean;
    }) => {
      if (options.deployed && (options.plugin.length > 0 || options.config !== undefined)) {
        throw new ChaosplaneError(
          'invalid',
          "--deployed runs the image's plugins (deploy/daemon.yaml's --plugin flags): leave out --plugin and --config, " +
            'or build an image with your plugin (deploy/image/plugin.Containerfile) and pass it with --image',
        );
      }
      const plugins = await resolvePluginList({
        flags: options.plugin,
        ...(options.config !== undefined ? { configFile: options.config } : {}),
      });
      await runDevCommand({
        dir: options.dir,
        demo: options.demo,
        plugins,
        images: options.image,
        deployed: options.deployed,
      });
    },
  );

program.addCommand(
  explainCommand().action(async (_options: unknown, command: Command) => {
    const { json, ...options } = await explainOptionsFromCommand(command);
    const results = await explainManifest(options);
    console.log(json ? JSON.stringify(results, null, 2) : formatExplanations(results));
  }),
);

program.addCommand(newPluginCommand());

program.parseAsync().catch((error: unknown) => {
  console.error(ChaosplaneError.is(error) ? `chaosplane: ${error.message}` : error);
  process.exitCode = 1;
});

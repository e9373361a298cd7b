// SPDX-License-Identifier: Apache-2.0
// The command line of `chaosplane explain`: the manifest, a kubeconfig, and the operator's own
// plugin and selection flags (same definitions, same environment fallbacks), so a dry run is
// configured exactly like the operator it stands for.
import { Command, Option } from 'commander';
import type { ExplainOptions } from '../commands/explain.js';
import { applyEnvironment } from './environmentOptions.js';
import {
  daemonConfigFromFlags,
  daemonOptions,
  selectionConfigFromCommand,
  selectionOptions,
  type DaemonFlags,
} from './operatorArgs.js';

/** The `explain` subcommand (also used for --help); its action is attached by the CLI. */
export function explainCommand(): Command {
  const command = new Command('explain')
    .description(
      "dry run: the targets a manifest would hit and why every other pod is left alone; a Schedule's next runs, a Workflow's tree",
    )
    .addOption(new Option('-f, --file <manifest>', 'YAML manifest with chaos objects').makeOptionMandatory())
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig file (default: the default loading rules)'));
  for (const option of [...selectionOptions(), ...daemonOptions()]) command.addOption(option);
  return command.addOption(new Option('--json', 'print JSON').default(false));
}

/** `explain`'s parsed command turned into {@link ExplainOptions} (plus the output format). */
export async function explainOptionsFromCommand(
  command: Command,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExplainOptions & { json: boolean }> {
  const flags = command.opts<{ file: string; kubeconfig?: string; json: boolean } & DaemonFlags>();
  const { plugins, namespace, selection } = await selectionConfigFromCommand(command, env);
  // The daemons are asked only when told how to reach them: a dry run needs no certificates.
  const daemonGiven =
    flags.daemonInsecure || [flags.daemonCa, flags.daemonCert, flags.daemonKey].some(v => v !== undefined);
  return {
    file: flags.file,
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
    plugins,
    namespace,
    selection,
    ...(daemonGiven ? { daemon: daemonConfigFromFlags(flags, namespace) } : {}),
    json: flags.json,
  };
}

/** Parses `chaosplane explain` arguments (after `explain`). */
export async function parseExplainArgs(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ExplainOptions & { json: boolean }> {
  const command = explainCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  applyEnvironment(command, env);
  command.parse([...args], { from: 'user' });
  return explainOptionsFromCommand(command, env);
}

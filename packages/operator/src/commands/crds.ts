// SPDX-License-Identifier: Apache-2.0
import { writeCrdFiles } from '@chaosplane/engine';
import { createChaosKindTable, orchestrationCrds } from '@chaosplane/orchestration';
import { loadPlugins } from '@chaosplane/service';

/** Options of {@link generateCrdFiles}. */
export interface GenerateCrdFilesOptions {
  /** Plugin package names or paths. */
  plugins: readonly string[];
  /** Output directory (e.g. `deploy/crds`). */
  out: string;
  /** Directory plugin package names are resolved from. */
  from?: string;
}

/**
 * Loads the plugins and writes the CRD YAML of each kind into `out`, with the Schedule,
 * Workflow, WorkflowNode and StatusCheck CRDs that embed those kinds. Returns the files written.
 */
export async function generateCrdFiles(options: GenerateCrdFilesOptions): Promise<string[]> {
  const plugins = await loadPlugins(
    options.plugins,
    options.from === undefined ? {} : { from: options.from },
  );
  const kinds = plugins.map(p => p.kind);
  return writeCrdFiles(kinds, options.out, orchestrationCrds(createChaosKindTable(kinds)));
}

// SPDX-License-Identifier: Apache-2.0
// A container's process argv as Kubernetes makes it from the image config and the pod's
// container: `command` replaces the image's Entrypoint (and drops its Cmd), `args` replaces Cmd,
// and both have their `$(VAR)` references expanded with the container's environment.
import { expandVars } from './expandVars.js';

/** The parts of a pod's container and its image that decide the argv. */
export interface ArgvSources {
  command?: string[] | undefined;
  args?: string[] | undefined;
  entrypoint?: string[] | null | undefined;
  cmd?: string[] | null | undefined;
}

/** The argv the container runs, or an empty array when neither the pod nor the image gives one. */
export function containerArgv(sources: ArgvSources, env: ReadonlyMap<string, string>): string[] {
  const command = sources.command ?? [];
  const args = sources.args ?? [];
  const lookup = (name: string) => env.get(name);
  const expand = (list: string[]) => list.map(s => expandVars(s, lookup));
  if (command.length > 0) return [...expand(command), ...expand(args)];
  const entrypoint = sources.entrypoint ?? [];
  if (args.length > 0) return [...entrypoint, ...expand(args)];
  return [...entrypoint, ...(sources.cmd ?? [])];
}

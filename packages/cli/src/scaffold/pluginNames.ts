// SPDX-License-Identifier: Apache-2.0
import { ChaosplaneError } from '@chaosplane/sdk';

/** The names a new plugin is written under, all derived from its package name. */
export interface PluginNames {
  /** The npm package name (`demo-chaos`). */
  packageName: string;
  /** The kind (`DemoChaos`). */
  kind: string;
  /** The plural and singular resource name (`demochaos`). */
  plural: string;
  /** The proto package (`chaosplane.plugins.demochaos.v1`). */
  protoPackage: string;
  /** The proto file's directory under proto/ (`chaosplane/plugins/demochaos/v1`). */
  protoDir: string;
  /** The daemon service (`DemoChaosDaemon`). */
  service: string;
}

const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9-._]*\/)?[a-z][a-z0-9-]*$/;

/**
 * Derives every name from a package name such as `demo-chaos` or `@acme/latency-chaos`: the
 * kind is its last part in UpperCamelCase, with `Chaos` appended unless it ends so.
 * @throws ChaosplaneError of kind `invalid` for a name npm or Kubernetes would refuse
 */
export function pluginNames(name: string): PluginNames {
  if (!PACKAGE_NAME.test(name) || name.length > 214) {
    throw new ChaosplaneError(
      'invalid',
      `plugin name ${JSON.stringify(name)} must be a lower-case npm package name such as demo-chaos or @acme/latency-chaos`,
      { field: 'name' },
    );
  }
  const base = name.replace(/^@[^/]+\//, '');
  const words = base.split('-').filter(Boolean);
  let kind = words.map(word => word[0]!.toUpperCase() + word.slice(1)).join('');
  if (!kind.endsWith('Chaos')) kind += 'Chaos';
  const plural = kind.toLowerCase();
  return {
    packageName: name,
    kind,
    plural,
    protoPackage: `chaosplane.plugins.${plural}.v1`,
    protoDir: `chaosplane/plugins/${plural}/v1`,
    service: `${kind}Daemon`,
  };
}

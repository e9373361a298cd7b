// SPDX-License-Identifier: Apache-2.0
// `chaosplane new plugin <name>`.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { writePluginPackage } from '../scaffold/writePluginPackage.js';

const OWN_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The `new` command group, with `new plugin`. */
export function newPluginCommand(): Command {
  const group = new Command('new').description('create something new from a template');
  group
    .command('plugin <name>')
    .description('write a plugin package: kind, controller, daemon handler with its proto, example, test')
    .option('--dir <dir>', 'directory to create the package in', '.')
    .option('--chaosplane <range>', 'version range of the @chaosplane packages', `^${OWN_VERSION}`)
    .option(
      '--chaosplane-from <dir>',
      'take the @chaosplane packages from npm pack tarballs in this directory',
    )
    .action(async (name: string, options: { dir: string; chaosplane: string; chaosplaneFrom?: string }) => {
      const dir = await writePluginPackage({
        name,
        parentDir: options.dir,
        chaosplane:
          options.chaosplaneFrom !== undefined
            ? { tarballs: options.chaosplaneFrom }
            : { range: options.chaosplane },
      });
      console.log(`wrote ${dir}\nnext:\n  cd ${dir}\n  npm install\n  npm run build\n  npm test`);
    });
  return group;
}

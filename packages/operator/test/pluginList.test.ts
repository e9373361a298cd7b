// SPDX-License-Identifier: Apache-2.0
// Which plugins the operator loads: --plugin flags, else the config file's `plugins`, else
// CHAOSPLANE_PLUGINS, else the bundled ones; bad config files are named in the error.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChaosplaneError } from '@chaosplane/sdk';
import { BUNDLED_PLUGINS, PLUGINS_ENV, resolvePluginList } from '../src/config/pluginList.js';
import { parseOperatorArgs } from '../src/config/operatorArgs.js';

describe('which plugins the operator loads', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cp-plugins-'));
    await writeFile(file('config.yaml'), 'plugins:\n  - chaosplane-plugin-signal\n  - ./local-plugin.js\n');
    await writeFile(file('no-plugins.yaml'), 'logLevel: debug\n');
    await writeFile(file('bad-type.yaml'), 'plugins: chaosplane-plugin-signal\n');
    await writeFile(file('bad-yaml.yaml'), 'plugins: [unclosed\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const env = { [PLUGINS_ENV]: ' a , b ,, ' };

  it('flags win over the config file and the environment', async () => {
    expect(await resolvePluginList({ flags: ['x'], configFile: file('config.yaml'), env })).toEqual(['x']);
  });
  it('then the config file', async () => {
    expect(await resolvePluginList({ configFile: file('config.yaml'), env })).toEqual([
      'chaosplane-plugin-signal',
      './local-plugin.js',
    ]);
  });
  it('then CHAOSPLANE_PLUGINS (a config file without plugins falls through)', async () => {
    expect(await resolvePluginList({ configFile: file('no-plugins.yaml'), env })).toEqual(['a', 'b']);
  });
  it('else the bundled plugins', async () => {
    expect(await resolvePluginList({ env: {} })).toEqual([...BUNDLED_PLUGINS]);
    expect(await resolvePluginList({ env: { [PLUGINS_ENV]: '  ' } })).toEqual([...BUNDLED_PLUGINS]);
  });
  it.each([
    ['bad-type.yaml', 'plugins', /bad-type\.yaml: plugins must be a list/],
    ['bad-yaml.yaml', 'config', /cannot read config file .*bad-yaml\.yaml/],
    ['missing.yaml', 'config', /cannot read config file .*missing\.yaml/],
  ])('%s is refused, naming the field %s', async (name, field, message) => {
    const run = resolvePluginList({ configFile: file(name), env: {} });
    await expect(run).rejects.toThrow(message);
    await run.catch((error: unknown) => {
      expect(ChaosplaneError.isKind(error, 'invalid')).toBe(true);
      expect((error as ChaosplaneError).field).toBe(field);
    });
  });
  it('the operator reads --config and CHAOSPLANE_CONFIG', async () => {
    const viaFlag = await parseOperatorArgs(['--daemon-insecure', '--config', file('config.yaml')], {});
    expect(viaFlag.plugins).toEqual(['chaosplane-plugin-signal', './local-plugin.js']);
    const viaEnv = await parseOperatorArgs(['--daemon-insecure'], { CHAOSPLANE_CONFIG: file('config.yaml') });
    expect(viaEnv.plugins).toEqual(['chaosplane-plugin-signal', './local-plugin.js']);
    // The environment given is the one read (the binaries pass process.env), and flags win.
    const listed = await parseOperatorArgs(['--daemon-insecure'], {
      [PLUGINS_ENV]: 'p1,p2',
      POD_NAMESPACE: 'ops',
    });
    expect(listed).toMatchObject({ plugins: ['p1', 'p2'], namespace: 'ops' });
    const flagged = await parseOperatorArgs(['--daemon-insecure', '--namespace', 'cli'], {
      POD_NAMESPACE: 'ops',
    });
    expect(flagged.namespace).toBe('cli');
  });
});

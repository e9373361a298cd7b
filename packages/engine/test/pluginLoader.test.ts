// SPDX-License-Identifier: Apache-2.0
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { Container } from 'inversify';
import {
  CHAOS_IMPL,
  KUBE_CLIENT,
  LOGGER,
  TARGET_SELECTOR,
  type ChaosImplRegistration,
} from '@chaosplane/sdk/framework';
import {
  ChaosplaneError,
  PHASE_INJECTED,
  definePlugin,
  type ChaosObject,
  type KubeClient,
  type Logger,
  type TargetSelector,
} from '@chaosplane/sdk';
import { createSilentLogger, loadPlugins } from '@chaosplane/service';
import { registerPlugins } from '../src/plugin/registerPlugins.js';
import { Type } from '@sinclair/typebox';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** No API server is reached in these tests. */
const noKube: KubeClient = { request: () => Promise.reject(new Error('no API server in this test')) };

/** Stands for the engine: it only knows the group token, and multi-injects it. */
interface ImplGroupConsumer {
  registrations: ChaosImplRegistration[];
  log: Logger;
}
const CONSUMER = Symbol('ImplGroupConsumer');

async function containerWith(specifiers: string[]) {
  const container = new Container();
  container.bind(LOGGER).toConstantValue(createSilentLogger());
  container.bind(KUBE_CLIENT).toConstantValue(noKube);
  container
    .bind<ImplGroupConsumer>(CONSUMER)
    .toResolvedValue<[ChaosImplRegistration[] | undefined, Logger]>(
      (registrations, log) => ({ registrations: registrations ?? [], log }),
      [{ serviceIdentifier: CHAOS_IMPL, isMultiple: true, optional: true } as never, LOGGER],
    );
  await registerPlugins(container, await loadPlugins(specifiers, { from: fixtures }));
  return container;
}

describe('loadPlugins', () => {
  it('loads a plugin package by name and resolves its impl through the DI group', async () => {
    const container = await containerWith(['chaosplane-fixture-plugin']);
    const consumer = container.get<ImplGroupConsumer>(CONSUMER);
    expect(consumer.registrations).toHaveLength(1);
    // One registration: checked above.
    const registration = consumer.registrations[0]!;
    expect(registration.kind).toMatchObject({
      kind: 'FixtureChaos',
      group: 'chaos-mesh.org',
      apiVersion: 'chaos-mesh.org/v1alpha1',
      plural: 'fixturechaos',
      namespaced: true,
    });

    const obj: ChaosObject = {
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'FixtureChaos',
      metadata: { name: 'x', namespace: 'ns' },
      spec: { mode: 'one', selector: {} },
    };
    expect(registration.kind.isOneShot(obj)).toBe(true);
    expect(registration.kind.selectors(obj)).toEqual({ '.': { kind: 'pod', spec: obj.spec } });
    const phase = await registration.impl.apply({
      record: {
        id: 'ns/pod-a',
        selectorKey: '.',
        phase: 'Not Injected',
        injectedCount: 0,
        recoveredCount: 0,
      },
      target: { kind: 'pod', id: 'ns/pod-a' },
      targetsOf: () => Promise.resolve([]),
      obj,
      signal: new AbortController().signal,
      log: createSilentLogger(),
      kube: noKube,
      events: { normal: () => undefined, warning: () => undefined },
      daemon: () => {
        throw new Error('no daemon in this test');
      },
    });
    expect(phase).toBe(PHASE_INJECTED);
    const fixture = (await import(
      path.join(fixtures, 'node_modules/chaosplane-fixture-plugin/index.ts')
    )) as {
      calls: string[];
    };
    expect(fixture.calls).toContain('apply ns/pod-a');
  });

  it('loads the same plugin by file path', async () => {
    const [plugin] = await loadPlugins(['./node_modules/chaosplane-fixture-plugin/index.ts'], {
      from: fixtures,
    });
    expect(plugin?.kind.kind).toBe('FixtureChaos');
  });

  it('resolves an empty group when no plugin is loaded', async () => {
    const container = await containerWith([]);
    expect(container.get<ImplGroupConsumer>(CONSUMER).registrations).toEqual([]);
  });

  it('refuses a module that is not a plugin, naming it', async () => {
    await expect(loadPlugins(['./notAPlugin.ts'], { from: fixtures })).rejects.toThrow(
      'plugin "./notAPlugin.ts" does not export a plugin',
    );
  });

  it('gives a plugin built before operatorAccess existed no access', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cp-old-plugin-'));
    try {
      const file = path.join(dir, 'oldPlugin.mjs');
      const kind = { kind: 'OldChaos', group: 'chaos-mesh.org', plural: 'oldchaos' };
      await writeFile(
        file,
        `export default { chaosplanePlugin: 2, kind: ${JSON.stringify(kind)}, targetSelectors: [] };\n`,
      );
      const [plugin] = await loadPlugins([file]);
      expect(plugin?.operatorAccess).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a package that does not exist, with kind plugin', async () => {
    const failure = loadPlugins(['chaosplane-no-such-plugin'], { from: fixtures });
    await expect(failure).rejects.toThrow('cannot load plugin "chaosplane-no-such-plugin"');
    await expect(failure.catch((e: unknown) => ChaosplaneError.isKind(e, 'plugin'))).resolves.toBe(true);
  });

  it('binds the selector kinds a plugin adds into the selector group', async () => {
    const plugin = definePlugin({
      kind: {
        kind: 'NodeChaos',
        plural: 'nodechaos',
        namespaced: false,
        spec: Type.Object({ nodeNames: Type.Array(Type.String()) }),
        selectors: obj => ({ '.': { kind: 'node', spec: obj.spec.nodeNames } }),
      },
      targetSelectors: [
        ({ log }) => ({
          kind: 'node',
          select: (names: string[]) => {
            log.debug('selecting nodes');
            return Promise.resolve(names.map(id => ({ id })));
          },
        }),
      ],
    });
    expect(plugin.targetSelectors).toHaveLength(1);
    const container = new Container();
    container.bind(LOGGER).toConstantValue(createSilentLogger());
    container.bind(KUBE_CLIENT).toConstantValue(noKube);
    await registerPlugins(container, [plugin]);
    const selectors = container.getAll<TargetSelector<string[]>>(TARGET_SELECTOR);
    expect(selectors.map(s => s.kind)).toEqual(['node']);
    await expect(
      selectors[0]!.select(['n1', 'n2'], { namespace: '', signal: new AbortController().signal }),
    ).resolves.toEqual([{ id: 'n1' }, { id: 'n2' }]);
    // Selector-only plugins bind no implementation.
    expect(container.getAll(CHAOS_IMPL)).toEqual([]);
  });

  it('refuses two plugins of the same kind', async () => {
    await expect(
      loadPlugins(['chaosplane-fixture-plugin', './node_modules/chaosplane-fixture-plugin/index.ts'], {
        from: fixtures,
      }),
    ).rejects.toThrow('both define FixtureChaos.chaos-mesh.org');
  });
});

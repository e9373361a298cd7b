// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from '@jest/globals';
import { ChaosplaneError, containerSelector, podSelector, type TargetSelector } from '@chaosplane/sdk';
import { SELECTOR_REGISTRY, TARGET_SELECTOR, type SelectorRegistry } from '@chaosplane/sdk/framework';
import {
  createContainerSelector,
  createPodSelector,
  createSelectorRegistry,
  selectorsModule,
  type ExplainingSelectorRegistry,
} from '@chaosplane/selectors';
import {
  createSelectionStore,
  createStoreSource,
  toNamespaceRecord,
  toPodRecord,
} from '@chaosplane/selectors';
import { Container, ContainerModule } from 'inversify';
import { fixtureSource } from './support/memorySource.js';

const context = () => ({ namespace: 'app', signal: new AbortController().signal });
const ids = (targets: { id: string }[]) => targets.map(target => target.id).sort();

describe('modes on the pod selector', () => {
  const selector = createPodSelector(fixtureSource());
  const running = { labelSelectors: {} };
  it('one picks one of the eligible pods', async () => {
    const targets = await selector.select({ selector: running, mode: 'one' }, context());
    expect(targets).toHaveLength(1);
    expect(['app/api-1', 'app/api-2', 'app/web-1', 'app/web-2']).toContain(targets[0]?.id);
  });
  it('fixed more than the count picks all', async () => {
    expect(await selector.select({ selector: running, mode: 'fixed', value: '9' }, context())).toHaveLength(
      4,
    );
  });
  it('fixed-percent rounds up', async () => {
    expect(
      await selector.select({ selector: running, mode: 'fixed-percent', value: '26' }, context()),
    ).toHaveLength(2);
    expect(
      await selector.select({ selector: running, mode: 'fixed-percent', value: '1' }, context()),
    ).toHaveLength(1);
  });
  it('rejects a bad value with the Chaos Mesh message before reading anything', async () => {
    await expect(
      selector.select({ selector: running, mode: 'fixed', value: '0' }, context()),
    ).rejects.toThrow('value must be greater than 0 with mode:fixed');
  });
  it('random-max-percent that draws 0 is a selection error', async () => {
    const zero = createPodSelector(fixtureSource(), { random: () => 0 });
    const run = zero.select({ selector: running, mode: 'random-max-percent', value: '50' }, context());
    await expect(run).rejects.toThrow(
      'no pod is selected: mode random-max-percent with value 50 picked 0 of 4 eligible pods',
    );
    await run.catch((error: unknown) => expect(ChaosplaneError.isKind(error, 'selection')).toBe(true));
  });
  it('zero eligible pods is the "no pod is selected" selection error', async () => {
    const run = selector.select({ selector: { labelSelectors: { app: 'none' } }, mode: 'all' }, context());
    await expect(run).rejects.toThrow(/^no pod is selected$/);
  });
  it('returns pod targets with namespace, name and node', async () => {
    const [target] = await selector.select(
      { selector: { pods: { app: ['web-1'] } }, mode: 'all' },
      context(),
    );
    expect(target).toEqual({ id: 'app/web-1', namespace: 'app', name: 'web-1', nodeName: 'node-a' });
  });
  it('honours the abort signal', async () => {
    const controller = new AbortController();
    controller.abort();
    const run = selector.select(
      { selector: running, mode: 'all' },
      { namespace: 'app', signal: controller.signal },
    );
    await expect(run).rejects.toThrow('selection was cancelled');
  });
});

describe('spec errors name the field', () => {
  const selector = createPodSelector(fixtureSource());
  it.each([
    [
      { fieldSelectors: { 'spec.hostname': 'x' } },
      'selector.fieldSelectors: field label not supported: spec.hostname',
    ],
    [{ podPhaseSelectors: ['Runing'] }, 'selector.podPhaseSelectors[0]: "Runing" is not a pod phase'],
    [
      { expressionSelectors: [{ key: 'a', operator: 'In' as const, values: [] }] },
      "selector.expressionSelectors[0].values: values set can't be empty",
    ],
    [
      { expressionSelectors: [{ key: 'a', operator: 'Exists' as const, values: ['x'] }] },
      'selector.expressionSelectors[0].values: values set must be empty',
    ],
    [
      { expressionSelectors: [{ key: 'a', operator: 'Gt' as never }] },
      'selector.expressionSelectors[0].operator: "Gt" is not a valid',
    ],
    [{ labelSelectors: { 'bad key!': 'x' } }, 'selector.labelSelectors.bad key!: name "bad key!" must be'],
    [{ labelSelectors: { app: 'has space' } }, 'selector.labelSelectors.app: value "has space" must be'],
    [{ namespaces: 'app' as never }, 'selector.namespaces: must be a list of strings'],
  ])('%j', async (spec, message) => {
    const run = selector.select({ selector: spec, mode: 'all' }, context());
    await expect(run).rejects.toThrow(message);
    await run.catch((error: unknown) => expect(ChaosplaneError.isKind(error, 'invalid')).toBe(true));
  });
});

describe('container selection', () => {
  const selector = createContainerSelector(fixtureSource());
  it('takes the first container when no names are given', async () => {
    const targets = await selector.select(
      { selector: { labelSelectors: { app: 'web' } }, mode: 'all' },
      context(),
    );
    expect(ids(targets)).toEqual(['app/web-1/nginx', 'app/web-2/nginx']);
  });
  it('takes the named containers and skips pods without them', async () => {
    const targets = await selector.select(
      { selector: {}, mode: 'all', containerNames: ['sidecar'] },
      context(),
    );
    expect(ids(targets)).toEqual(['app/api-1/sidecar', 'app/web-1/sidecar']);
    expect(targets.find(target => target.id === 'app/web-1/sidecar')).toEqual({
      id: 'app/web-1/sidecar',
      namespace: 'app',
      pod: 'web-1',
      container: 'sidecar',
      nodeName: 'node-a',
    });
  });
  it('yields one target per named container, in the pod order', async () => {
    const targets = await selector.select(
      { selector: { pods: { app: ['web-1'] } }, mode: 'all', containerNames: ['sidecar', 'nginx'] },
      context(),
    );
    expect(targets.map(target => target.id)).toEqual(['app/web-1/nginx', 'app/web-1/sidecar']);
  });
  it('fails clearly when no picked pod has a named container', async () => {
    const run = selector.select({ selector: {}, mode: 'all', containerNames: ['nope'] }, context());
    await expect(run).rejects.toThrow(
      'no container is selected: none of the selected pods has a container named nope',
    );
  });
  it('still fails "no pod is selected" first', async () => {
    const run = selector.select(
      { selector: { namespaces: ['nowhere'] }, mode: 'all', containerNames: ['x'] },
      context(),
    );
    await expect(run).rejects.toThrow(/^no pod is selected$/);
  });
});

describe('explain()', () => {
  const registry = createSelectorRegistry([
    createPodSelector(fixtureSource(), { operatorNamespace: 'ops' }),
    createContainerSelector(fixtureSource()),
  ]);

  it('lists targets and the reason for every excluded pod of the namespaces considered', async () => {
    const explanation = await registry.explain(
      podSelector({
        selector: { namespaces: ['app', 'kube-system'], labelSelectors: { app: 'web' } },
        mode: 'all',
      }),
      context(),
    );
    expect(ids([...explanation.targets])).toEqual(['app/web-1', 'app/web-2']);
    expect(explanation.eligible).toEqual(['app/web-1', 'app/web-2']);
    expect(explanation.error).toBeUndefined();
    expect(explanation.namespaces).toEqual([
      { name: 'app', eligible: true },
      { name: 'kube-system', eligible: false, reason: 'namespace kube-system is protected' },
    ]);
    const reasons = Object.fromEntries(explanation.excluded.map(entry => [entry.id, entry.reasons]));
    expect(reasons).toEqual({
      'app/api-1': ['label app=web does not match'],
      'app/api-2': ['label app=web does not match'],
      'app/dying-1': ['pod is terminating'],
      'app/job-1': [
        'phase Succeeded is not selected (a pod that is not Running is selected only when podPhaseSelectors names its phase)',
        'label app=web does not match',
      ],
      'app/job-2': [
        'phase Failed is not selected (a pod that is not Running is selected only when podPhaseSelectors names its phase)',
        'label app=web does not match',
      ],
      'app/pending-1': [
        'phase Pending is not selected (a pod that is not Running is selected only when podPhaseSelectors names its phase)',
      ],
      'kube-system/dns-1': ['namespace kube-system is protected'],
    });
  });

  it('says which namespaces were refused when nothing is selected, so a protected namespace is named', async () => {
    await expect(
      registry.select(podSelector({ selector: { namespaces: ['kube-system'] }, mode: 'all' }), context()),
    ).rejects.toThrow('no pod is selected: namespace kube-system is protected');
  });

  it('says so when the opt-in filter refused a namespace that is not annotated', async () => {
    const filtered = createPodSelector(fixtureSource(), { filterNamespaces: true });
    await expect(
      filtered.select({ selector: { namespaces: ['other'] }, mode: 'all' }, context()),
    ).rejects.toThrow('no pod is selected: namespace other is not annotated chaos-mesh.org/inject=enabled');
    // An annotated namespace is still selected under the filter.
    expect(
      (await filtered.select({ selector: { namespaces: ['app'] }, mode: 'all' }, context())).length,
    ).toBeGreaterThan(0);
  });

  it('names the mode for eligible pods it did not pick', async () => {
    const explanation = await registry.explain(
      podSelector({ selector: { labelSelectors: { app: 'web' } }, mode: 'fixed', value: '1' }),
      context(),
    );
    expect(explanation.targets).toHaveLength(1);
    const unpicked = explanation.excluded.filter(entry => entry.reasons[0]?.startsWith('not picked'));
    expect(unpicked).toHaveLength(1);
    expect(unpicked[0]?.reasons).toEqual(['not picked by mode fixed with value 1 (1 of 2 eligible)']);
  });

  it('reports field, annotation, node and pods-map reasons', async () => {
    const byFields = await registry.explain(
      podSelector({
        selector: {
          annotationSelectors: { team: 'blue' },
          fieldSelectors: { 'spec.nodeName': 'node-a' },
          nodes: ['node-a'],
        },
        mode: 'all',
      }),
      context(),
    );
    const reasons = Object.fromEntries(byFields.excluded.map(entry => [entry.id, entry.reasons]));
    expect(reasons['app/api-1']).toEqual([
      'field spec.nodeName=node-a does not match',
      'node node-c is not among the selected nodes',
    ]);
    expect(reasons['app/web-2']).toEqual([
      'annotation team=blue does not match',
      'field spec.nodeName=node-a does not match',
      'node node-b is not among the selected nodes',
    ]);
    const byPods = await registry.explain(
      podSelector({ selector: { pods: { app: ['web-1', 'ghost'], ops: ['operator-1'] } }, mode: 'all' }),
      context(),
    );
    expect(byPods.excluded).toEqual([
      { id: 'app/ghost', reasons: ['pod does not exist'] },
      { id: 'ops/operator-1', reasons: ['namespace ops is protected'] },
    ]);
  });

  it('reports "no pod is selected" and invalid specs instead of throwing', async () => {
    const none = await registry.explain(
      podSelector({ selector: { labelSelectors: { app: 'x' } }, mode: 'all' }),
      context(),
    );
    expect(none.error).toEqual({ kind: 'selection', message: 'no pod is selected' });
    expect(none.excluded.length).toBeGreaterThan(0);
    const bad = await registry.explain(podSelector({ selector: {}, mode: 'fixed', value: 'x' }), context());
    expect(bad.error).toEqual({
      kind: 'invalid',
      message: 'parse value field error:strconv.Atoi: parsing "x": invalid syntax',
      field: 'value',
    });
  });

  it('explains containers, including pods skipped for lack of a named container', async () => {
    const explanation = await registry.explain(
      containerSelector({
        selector: { labelSelectors: { app: 'web' } },
        mode: 'all',
        containerNames: ['sidecar'],
      }),
      context(),
    );
    expect(ids([...explanation.targets])).toEqual(['app/web-1/sidecar']);
    expect(explanation.excluded).toContainEqual({
      id: 'app/web-2',
      reasons: ['pod has no container named sidecar'],
    });
  });
});

describe('selector registry', () => {
  const nodeKind: TargetSelector<{ names: string[] }> = {
    kind: 'node',
    select: spec => Promise.resolve(spec.names.map(name => ({ id: name }))),
  };

  it('dispatches by kind and lists the kinds', async () => {
    const registry = createSelectorRegistry([createPodSelector(fixtureSource()), nodeKind]);
    expect(registry.kinds()).toEqual(['node', 'pod']);
    expect(await registry.select({ kind: 'node', spec: { names: ['n1'] } }, context())).toEqual([
      { id: 'n1' },
    ]);
    // A kind without explain() is still dry-run by listing its targets.
    expect((await registry.explain({ kind: 'node', spec: { names: ['n1'] } }, context())).eligible).toEqual([
      'n1',
    ]);
  });

  it('rejects unknown kinds, listing the known ones', async () => {
    const registry = createSelectorRegistry([createPodSelector(fixtureSource())]);
    await expect(registry.select({ kind: 'aws', spec: {} }, context())).rejects.toThrow(
      'specification type not found: aws (known selector kinds: pod)',
    );
  });

  it('rejects two selectors of one kind', () => {
    expect(() => createSelectorRegistry([nodeKind as TargetSelector, nodeKind as TargetSelector])).toThrow(
      'two selectors are registered for kind node',
    );
  });

  it('an inversify plugin module adds a selector kind without touching this package', async () => {
    const container = new Container();
    const pluginModule = new ContainerModule(({ bind }) => {
      bind<TargetSelector>(TARGET_SELECTOR).toConstantValue(nodeKind);
    });
    await container.load(selectorsModule(fixtureSource()), pluginModule);
    const registry = container.get<SelectorRegistry>(SELECTOR_REGISTRY) as ExplainingSelectorRegistry;
    expect(registry.kinds()).toEqual(['container', 'node', 'pod']);
    expect(await registry.select({ kind: 'node', spec: { names: ['node-a'] } }, context())).toEqual([
      { id: 'node-a' },
    ]);
    expect(
      ids(
        await registry.select(
          podSelector({ selector: { labelSelectors: { app: 'api' } }, mode: 'all' }),
          context(),
        ),
      ),
    ).toEqual(['app/api-1', 'app/api-2']);
    expect(container.get(SELECTOR_REGISTRY)).toBe(registry);
  });
});

describe('instance ids: which pod and which container were selected', () => {
  const store = createSelectionStore();
  store.replaceNamespaces([toNamespaceRecord({ metadata: { name: 'app' } })]);
  store.replacePods([
    toPodRecord({
      metadata: { name: 'db-0', namespace: 'app', uid: 'uid-db-0', labels: { app: 'db' } },
      spec: { nodeName: 'n', containers: [{ name: 'constructor' }, { name: 'db' }, { name: '__proto__' }] },
      status: {
        phase: 'Running',
        // `constructor` has not started (no id); `__proto__` must not reach the prototype.
        containerStatuses: [
          { name: 'constructor' },
          { name: 'db', containerID: 'containerd://aaa' },
          { name: '__proto__', containerID: 'containerd://bbb' },
        ],
      },
    }),
  ]);
  const source = createStoreSource(store);
  const spec = { selector: { labelSelectors: { app: 'db' } }, mode: 'all' as const };

  it('a pod target carries the pod UID', async () => {
    const [target] = await createPodSelector(source).select(spec, context());
    expect(target).toMatchObject({ id: 'app/db-0', instanceId: 'uid-db-0' });
  });
  it('a container target carries its runtime id, and none when it has not started', async () => {
    const targets = await createContainerSelector(source).select(
      { ...spec, containerNames: ['constructor', 'db', '__proto__'] },
      context(),
    );
    expect(targets.map(t => [t.id, t.instanceId])).toEqual([
      ['app/db-0/constructor', undefined],
      ['app/db-0/db', 'containerd://aaa'],
      ['app/db-0/__proto__', 'containerd://bbb'],
    ]);
  });
});

describe('protected namespaces by default', () => {
  const store = createSelectionStore();
  const namespaces = ['kube-system', 'kube-public', 'kube-node-lease', 'chaosplane', 'app'];
  store.replaceNamespaces(namespaces.map(name => toNamespaceRecord({ metadata: { name } })));
  store.replacePods(
    namespaces.map(namespace =>
      toPodRecord({
        metadata: { name: 'p', namespace, labels: { app: 'x' } },
        spec: { nodeName: 'n', containers: [{ name: 'c' }] },
        status: { phase: 'Running' },
      }),
    ),
  );
  const source = createStoreSource(store);
  const everywhere = { selector: { namespaces, labelSelectors: { app: 'x' } }, mode: 'all' as const };

  it('never selects kube-system, kube-public, kube-node-lease or the operator’s namespace', async () => {
    const selector = createPodSelector(source, { operatorNamespace: 'chaosplane' });
    expect(ids(await selector.select(everywhere, context()))).toEqual(['app/p']);
    const explained = await selector.explain(everywhere, context());
    expect(explained.excluded.map(e => e.id).sort()).toEqual([
      'chaosplane/p',
      'kube-node-lease/p',
      'kube-public/p',
      'kube-system/p',
    ]);
    expect(explained.excluded.every(e => e.reasons.some(r => r.includes('protected')))).toBe(true);
  });
  it('the pods map cannot reach them either', async () => {
    const selector = createPodSelector(source, { operatorNamespace: 'chaosplane' });
    const named = {
      selector: { pods: Object.fromEntries(namespaces.map(ns => [ns, ['p']])) },
      mode: 'all' as const,
    };
    expect(ids(await selector.select(named, context()))).toEqual(['app/p']);
  });
});

// SPDX-License-Identifier: Apache-2.0
// `chaosplane explain -f manifest.yaml`: a dry run. For each chaos object of the manifest, the
// spec's violations and, per selector key, the targets it would hit and why every other pod
// of the namespaces considered is left alone; for a Schedule its next five runs, for a Workflow
// its template tree and, once it runs, its node tree; from the same validation and selection
// code the operator runs, reading the cluster but writing nothing.
import { readFile } from 'node:fs/promises';
import { createDaemonClientPool, type DaemonClientPool } from '@chaosplane/daemon/client';
import { formatViolations, validateChaosObject } from '@chaosplane/engine';
import { createKubeConnection, loadKubeConfig, type KubeConnection } from '@chaosplane/kube';
import {
  ChaosplaneError,
  type ChaosImpl,
  type ChaosKind,
  type ChaosObject,
  type Logger,
} from '@chaosplane/sdk';
import { CHAOS_IMPL, type ChaosImplRegistration } from '@chaosplane/sdk/framework';
import { createDirectListSource, type SelectionExplanation } from '@chaosplane/selectors';
import { createSilentLogger, loadPlugins } from '@chaosplane/service';
import { parseManifests } from '../config/parseManifests.js';
import { daemonSource } from '../operator/daemonSource.js';
import type { OperatorOptions } from '../operator/OperatorOptions.js';
import { createOperatorContainer, explainingRegistryOf } from '../operator/selectionWiring.js';
import { preflightObject, type PreflightFinding } from './preflight.js';
import {
  explainOrchestrationObject,
  formatOrchestration,
  type OrchestrationExplanation,
} from './explainOrchestration.js';

/** Options of {@link explainManifest}. */
export interface ExplainOptions {
  /** The manifest file. */
  file: string;
  /** Plugin package names or paths: their kinds, and the selector kinds they add. */
  plugins: readonly string[];
  /** Directory plugin names are resolved from (as the operator's `pluginsFrom`). */
  pluginsFrom?: string;
  /** A kubeconfig path; the default loading rules otherwise. */
  kubeconfig?: string;
  /** The operator's namespace, never selected (as the operator's `namespace`); `chaosplane`. */
  namespace?: string;
  /**
   * The operator's selection gates (protected namespaces, opt-in filter, target namespace);
   * no opt-in filter and the default protected namespaces when left out.
   */
  selection?: OperatorOptions['selection'];
  /**
   * How to reach the daemons (the operator's `--daemon-*` flags): with it, each plugin's
   * preflight says whether apply would work on each target (a node's kernel features, say).
   */
  daemon?: OperatorOptions['daemon'];
  /** Logger handed to plugins' selectors; silent by default. */
  log?: Logger;
  /** Cancels the reads. */
  signal?: AbortSignal;
}

/** What the dry run found for one chaos object. */
export interface ObjectExplanation {
  kind: string;
  namespace: string;
  name: string;
  /** Spec violations: an object with any is never injected. */
  violations: Array<{ field: string; message: string }>;
  /** Per selector key (empty for a Schedule or a Workflow). */
  selections: Record<string, SelectionExplanation>;
  /**
   * Targets where apply would fail, and why (the plugins' preflight); undefined when not
   * checked (no daemon access given).
   */
  preflight?: PreflightFinding[];
  /** A Schedule's next five runs (RFC 3339). */
  nextRuns?: string[];
  /** A Workflow's templates from its entry. */
  templates?: OrchestrationExplanation['templates'];
  /** A running Workflow's node tree. */
  nodes?: OrchestrationExplanation['nodes'];
}

/** What the dry run found: about a chaos object, or about a Schedule or Workflow. */
export type Explanation = ObjectExplanation;

/** True for the explanation of a Schedule or a Workflow. */
export function isOrchestrationExplanation(result: Explanation): result is OrchestrationExplanation {
  return result.kind === 'Schedule' || result.kind === 'Workflow';
}

/**
 * Runs the dry run over every chaos object, Schedule and Workflow of the manifest (other
 * objects are skipped).
 */
export async function explainManifest(options: ExplainOptions): Promise<Explanation[]> {
  const plugins = await loadPlugins(
    options.plugins,
    options.pluginsFrom === undefined ? {} : { from: options.pluginsFrom },
  );
  const kinds = new Map<string, ChaosKind>(plugins.map(p => [`${p.kind.apiVersion}/${p.kind.kind}`, p.kind]));
  const kubeConfig = loadKubeConfig(options.kubeconfig);
  const kube = createKubeConnection(kubeConfig, { maxSockets: 4 });
  const daemons = options.daemon === undefined ? undefined : createExplainPool(options.daemon, kube);
  try {
    return await explainObjects(
      options,
      plugins,
      kinds,
      kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace,
      { kube, daemons },
    );
  } finally {
    daemons?.close();
    kube.close();
  }
}

/** The daemon clients of the dry run, found as the operator finds them. */
function createExplainPool(daemon: OperatorOptions['daemon'], kube: KubeConnection): DaemonClientPool {
  return createDaemonClientPool({
    source: daemonSource({ daemon }, kube),
    port: daemon.port,
    tls: daemon.tls,
    callTimeoutMs: daemon.callTimeoutMs,
  });
}

async function explainObjects(
  options: ExplainOptions,
  plugins: Awaited<ReturnType<typeof loadPlugins>>,
  kinds: Map<string, ChaosKind>,
  contextNamespace: string | undefined,
  clients: { kube: KubeConnection; daemons: DaemonClientPool | undefined },
): Promise<Explanation[]> {
  const { kube, daemons } = clients;
  // The operator's own wiring (gates from its options, plugin selector kinds), reading through
  // direct LISTs instead of the operator's watch cache: a one-off read, nothing to start and stop.
  const container = await createOperatorContainer({
    config: {
      namespace: options.namespace ?? 'chaosplane',
      selection: options.selection ?? { filterNamespaces: false },
    },
    kube,
    log: options.log ?? createSilentLogger(),
    source: createDirectListSource(kube),
    plugins,
  });
  const run: ExplainRun = {
    container,
    registry: explainingRegistryOf(container),
    kube,
    daemons,
    signal: options.signal ?? new AbortController().signal,
  };
  const results: Explanation[] = [];
  const group = [...kinds.values()][0]?.apiVersion ?? 'chaos-mesh.org/v1alpha1';
  for (const manifest of parseManifests(await readFile(options.file, 'utf8'))) {
    const namespace = manifestNamespace(manifest, contextNamespace);
    if (manifest.apiVersion === group && ORCHESTRATION_KINDS.has(manifest.kind ?? '')) {
      results.push(
        await explainOrchestrationObject(kube, [...kinds.values()], manifest as never, namespace, Date.now()),
      );
      continue;
    }
    const kind = kinds.get(`${manifest.apiVersion}/${manifest.kind}`);
    if (kind === undefined) continue;
    const obj = manifest as unknown as ChaosObject;
    results.push(await explainObject(run, kind, { ...obj, metadata: { ...obj.metadata, namespace } }));
  }
  if (results.length === 0) {
    throw new ChaosplaneError(
      'not-found',
      `${options.file} holds no chaos object of a loaded kind (${[...kinds.keys()].join(', ')}), nor a Schedule or Workflow`,
      { field: 'file' },
    );
  }
  return results;
}

/** The kinds explained as orchestration objects. */
const ORCHESTRATION_KINDS = new Set(['Schedule', 'Workflow']);

/** A manifest's namespace: its own, else the kubeconfig context's, else `default`. */
function manifestNamespace(manifest: object, contextNamespace: string | undefined): string {
  return (
    (manifest as { metadata?: { namespace?: string } }).metadata?.namespace ?? contextNamespace ?? 'default'
  );
}

/** What the dry run of every object shares. */
interface ExplainRun {
  container: Awaited<ReturnType<typeof createOperatorContainer>>;
  registry: ReturnType<typeof explainingRegistryOf>;
  kube: KubeConnection;
  daemons: DaemonClientPool | undefined;
  signal: AbortSignal;
}

/** One chaos object's dry run: its violations, then its selections and, with daemons, its preflight. */
async function explainObject(run: ExplainRun, kind: ChaosKind, obj: ChaosObject): Promise<ObjectExplanation> {
  const namespace = obj.metadata.namespace!;
  const result: ObjectExplanation = {
    kind: kind.kind,
    namespace,
    name: obj.metadata.name ?? '',
    violations: validateChaosObject(kind, obj),
    selections: {},
  };
  if (result.violations.length > 0) return result;
  for (const [key, ref] of Object.entries(kind.selectors(obj)))
    result.selections[key] = await run.registry.explain(ref, { namespace, signal: run.signal });
  const impl = implOf(run.container, kind);
  if (run.daemons !== undefined && impl !== undefined) {
    const deps = { impl, registry: run.registry, daemons: run.daemons, kube: run.kube, signal: run.signal };
    result.preflight = await preflightObject(deps, obj, result.selections);
  }
  return result;
}

/** The implementation a loaded plugin registered for `kind`. */
function implOf(
  container: Awaited<ReturnType<typeof createOperatorContainer>>,
  kind: ChaosKind,
): ChaosImpl | undefined {
  return container.getAll<ChaosImplRegistration>(CHAOS_IMPL).find(r => r.kind === kind)?.impl;
}

/** The dry run as text for a terminal. */
export function formatExplanations(results: readonly Explanation[]): string {
  const lines: string[] = [];
  for (const result of results) {
    if (isOrchestrationExplanation(result)) {
      lines.push(...formatOrchestration(result));
      continue;
    }
    lines.push(`${result.kind} ${result.namespace}/${result.name}`);
    if (result.violations.length > 0) {
      lines.push(`  invalid, would never be injected: ${formatViolations(result.violations)}`);
      continue;
    }
    for (const [key, explanation] of Object.entries(result.selections)) {
      lines.push(`  selector ${key} (${explanation.kind}):`);
      for (const verdict of explanation.namespaces) {
        if (!verdict.eligible)
          lines.push(`    namespace ${verdict.name}: skipped, ${verdict.reason ?? 'not eligible'}`);
      }
      if (explanation.error) lines.push(`    would fail: ${explanation.error.message}`);
      for (const target of explanation.targets) lines.push(`    target   ${target.id}`);
      for (const excluded of explanation.excluded)
        lines.push(`    excluded ${excluded.id}: ${excluded.reasons.join('; ')}`);
    }
    if (result.preflight === undefined)
      lines.push('  targets not checked: give the --daemon-* flags to ask the daemons');
    else if (result.preflight.length === 0) lines.push('  every target can take the fault');
    for (const finding of result.preflight ?? [])
      lines.push(`  would fail on ${finding.target}: ${finding.problems.join('; ')}`);
  }
  return lines.join('\n');
}

// SPDX-License-Identifier: Apache-2.0
// Shared states: state in a target's namespaces that several experiments contribute to at once (a
// pod's packet filter and queueing disciplines, say). Each contribution is journaled like a change,
// but there is no per-contribution undo: the plugin's renderer brings the namespaces to the state
// of the whole set of live contributions, after every addition and every removal. So faults of
// several experiments compose, and withdrawing one leaves the others exactly as they were.
//
// Safety follows changes: a contribution is journaled (applied: false) before the render that
// adds it, marked applied after; a failed render is rendered back without it; a restarted daemon
// drops what was not applied or has expired and renders each scope again from what is left.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { ChaosplaneError } from '@chaosplane/sdk';
import type { JournalChaosRef, JournalEntry } from '../journal/createJournal.js';
import { commandArgv, commandFailed } from './commandTarget.js';
import type { ManagerContext } from './managerContext.js';
import {
  findNamespaceHolder,
  isInNamespaces,
  readNamespaceIds,
  type NamespaceIds,
} from './namespaceIdentity.js';
import { validateNamespaces, type NamespaceName } from './namespaces.js';
import { isSameProcess, processStartTime } from './procStat.js';
import { runCommand, type RunResult } from './runCommand.js';
import { deadlineOf, type TrackingOptions } from './trackingOptions.js';

/** Runs one command as root in the scope's namespaces (argv only); rejects with kind `command` on a non-zero exit. */
export type ScopeRun = (
  argv: string[],
  options?: { stdin?: string; allowFailure?: boolean },
) => Promise<RunResult>;

/** One live contribution, as a renderer sees it. */
export interface Contribution<Value = unknown> {
  /** Stable for the contribution's chaos object, record and name. */
  readonly key: string;
  /** The chaos object it was made for, to name it in a conflict. */
  readonly chaos: Readonly<JournalChaosRef> | undefined;
  /** What it asks of the state (the plugin's own shape, rendered with the others). */
  readonly value: Value;
}

/** How a plugin's shared state is brought to what its contributions ask for. */
export interface StateRenderer {
  /** Unique in the daemon (the toolkit prefixes the plugin's service name). */
  readonly name: string;
  /** The namespaces the state lives in; the renderer's commands run in them as root. */
  readonly namespaces: readonly NamespaceName[];
  /**
   * Brings the namespaces to the state of `contributions` (in the order they were made); an empty
   * list means none: everything the renderer made is removed. Must be idempotent. Throwing a
   * `conflict` before changing anything refuses the newest contribution.
   */
  render(contributions: readonly Contribution[], run: ScopeRun): Promise<void>;
}

/** The journaled facts of a contribution. */
export interface JournalContribution {
  /** The renderer's name. */
  resource: string;
  /** The renderer and the identities of its namespaces: contributions with the same scope share a state. */
  scope: string;
  value: unknown;
  /** Start time of the target, so a render never enters a process that reused its PID. */
  targetStartTime: string;
  namespaceIds: NamespaceIds;
}

/** Options of {@link SharedStates.contribute}. */
export interface ContributeOptions extends TrackingOptions {
  /** The renderer's name. */
  resource: string;
  /** The process whose namespaces hold the state. */
  pid: number;
  value: unknown;
  signal?: AbortSignal;
}

/** The renderers and the live contributions of one process manager. */
export interface SharedStates {
  register(renderer: StateRenderer): void;
  /** Adds a contribution (or finds it in place: `applied: false`), rendering its scope. */
  contribute(ctx: ManagerContext, options: ContributeOptions): Promise<{ applied: boolean }>;
  /** Removes a contribution and renders its scope without it: the ender of contribution entries. */
  withdraw(ctx: ManagerContext, entry: JournalEntry): Promise<void>;
  /** What a restarted daemon does with journaled contributions (see recoverFromJournal). */
  recover(ctx: ManagerContext, entries: JournalEntry[]): Promise<RecoveredContributions>;
}

/** What became of journaled contributions at start. */
export interface RecoveredContributions {
  adopted: string[];
  /** Dropped because their render never finished, or their deadline passed. */
  dropped: string[];
  /** Their namespaces are gone, and the state with them. */
  gone: string[];
  failed: { uid: string; error: string }[];
}

interface Scope {
  /** The applied contributions, in the order they were made: what the state is rendered from. */
  live: Map<string, JournalEntry>;
  /** Renders of a scope run one at a time. */
  queue: Promise<unknown>;
}

/** The registry's state: the renderers by name and the scopes by key. */
interface StatesState {
  renderers: Map<string, StateRenderer>;
  scopes: Map<string, Scope>;
}

/** The contribution part of an entry; `internal` when a non-contribution is passed. */
function contributionOf(entry: JournalEntry): JournalContribution {
  if (entry.contribution === undefined)
    throw new ChaosplaneError('internal', `entry ${entry.uid} is not a contribution`);
  return entry.contribution;
}

/** A process to enter the scope through: the target while it is itself, else any process holding the namespaces. */
function scopeHolder(entry: JournalEntry): { pid: number; startTime: string } | undefined {
  const c = contributionOf(entry);
  const pid = entry.targetPid;
  if (pid !== undefined && isSameProcess(pid, c.targetStartTime) && isInNamespaces(pid, c.namespaceIds))
    return { pid, startTime: c.targetStartTime };
  return findNamespaceHolder(c.namespaceIds);
}

/** A {@link ScopeRun} through `pid`'s namespaces, with the daemon's run environment. */
function scopeRun(
  ctx: ManagerContext,
  pid: number,
  namespaces: readonly NamespaceName[],
  signal?: AbortSignal,
): ScopeRun {
  return async (argv, options = {}) => {
    const result = await runCommand(commandArgv(ctx.nsenter, { pid, namespaces: [...namespaces], argv }), {
      env: ctx.runEnv,
      ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
      ...(signal ? { signal } : {}),
    });
    if (result.exitCode !== 0 && options.allowFailure !== true) throw commandFailed('command', argv, result);
    return result;
  };
}

function scopeOf(state: StatesState, key: string): Scope {
  let scope = state.scopes.get(key);
  if (!scope) state.scopes.set(key, (scope = { live: new Map(), queue: Promise.resolve() }));
  return scope;
}

/** Runs `task` after every earlier task of the scope. */
function serially<T>(scope: Scope, task: () => Promise<T>): Promise<T> {
  const run = scope.queue.then(task, task);
  scope.queue = run.catch(() => undefined);
  return run;
}

function rendererOf(state: StatesState, resource: string): StateRenderer {
  const renderer = state.renderers.get(resource);
  if (!renderer)
    throw new ChaosplaneError('plugin', `no plugin of this daemon renders ${JSON.stringify(resource)}`, {
      field: 'resource',
    });
  return renderer;
}

/**
 * Renders `entries` into the scope of `through`, entering it through a process that holds it;
 * `gone` when none does (the namespaces, and the state in them, no longer exist).
 */
async function render(
  state: StatesState,
  ctx: ManagerContext,
  through: JournalEntry,
  entries: JournalEntry[],
  signal?: AbortSignal,
): Promise<'rendered' | 'gone'> {
  const renderer = rendererOf(state, contributionOf(through).resource);
  const holder = scopeHolder(through);
  if (holder === undefined) return 'gone';
  const contributions = entries.map(e => ({
    key: e.identifier,
    chaos: e.chaos,
    value: contributionOf(e).value,
  }));
  await renderer.render(contributions, scopeRun(ctx, holder.pid, renderer.namespaces, signal));
  return 'rendered';
}

/** Adds `entry` to its scope: journaled, rendered with the others, tracked. */
async function add(
  state: StatesState,
  ctx: ManagerContext,
  scope: Scope,
  entry: JournalEntry,
  signal?: AbortSignal,
) {
  ctx.entries.reserve(entry.identifier);
  try {
    ctx.journal.append({ op: 'begin', entry });
  } catch (error) {
    ctx.entries.release(entry.identifier);
    throw error;
  }
  try {
    const rendered = await render(state, ctx, entry, [...scope.live.values(), entry], signal);
    if (rendered === 'gone')
      throw new ChaosplaneError('not-found', `target process ${entry.targetPid} is gone`);
  } catch (error) {
    await renderBack(state, ctx, scope, entry, error);
    throw error;
  }
  ctx.journal.append({ op: 'applied', uid: entry.uid });
  const applied = { ...entry, applied: true };
  scope.live.set(entry.uid, applied);
  ctx.entries.track(applied, 'running');
}

/** After a failed render: the scope rendered again without the new contribution, which ends. */
async function renderBack(
  state: StatesState,
  ctx: ManagerContext,
  scope: Scope,
  entry: JournalEntry,
  cause: unknown,
) {
  try {
    await render(state, ctx, entry, [...scope.live.values()]);
  } catch (error) {
    // The state may hold part of it: it stays journaled and tracked, and is withdrawn again soon.
    ctx.logger.error('a render failed and so did the render without it; it is retried every 5 s', {
      uid: entry.uid,
      error: String(error),
      cause: String(cause),
    });
    ctx.entries.retryLater(ctx.entries.track({ ...entry, deadlineMs: Date.now() }, 'running'));
    return;
  }
  ctx.entries.release(entry.identifier);
  ctx.journal.append({ op: 'end', uid: entry.uid, reason: 'apply-failed' });
}

/** Removes `entry` from its scope and renders the rest (call it in the scope's queue). */
async function withdrawIn(state: StatesState, ctx: ManagerContext, scope: Scope, entry: JournalEntry) {
  scope.live.delete(entry.uid);
  const outcome = await render(state, ctx, entry, [...scope.live.values()]);
  if (outcome === 'gone')
    ctx.logger.info('the namespaces of a contribution are gone, and it with them', { uid: entry.uid });
}

/** The journal entry of a new contribution (not applied yet). */
function contributionEntry(
  options: ContributeOptions,
  renderer: StateRenderer,
  scopeKey: string,
  identity: { targetStartTime: string; namespaceIds: NamespaceIds },
): JournalEntry {
  const deadlineMs = deadlineOf(options);
  return {
    uid: randomUUID(),
    type: 'contribution',
    identifier: options.identifier,
    argv: [],
    targetPid: options.pid,
    namespaces: [...renderer.namespaces],
    startedAtMs: Date.now(),
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    ...(options.chaos ? { chaos: { ...options.chaos } } : {}),
    onRestart: 'adopt',
    applied: false,
    contribution: { resource: renderer.name, scope: scopeKey, value: options.value, ...identity },
  };
}

/** {@link SharedStates.contribute}. */
async function contribute(state: StatesState, ctx: ManagerContext, options: ContributeOptions) {
  const renderer = rendererOf(state, options.resource);
  const namespaceIds = readNamespaceIds(options.pid, renderer.namespaces);
  const targetStartTime = processStartTime(options.pid);
  if (namespaceIds === undefined || targetStartTime === undefined)
    throw new ChaosplaneError('not-found', `target process ${options.pid} does not exist`, { field: 'pid' });
  const scopeKey = `${renderer.name}|${JSON.stringify(namespaceIds)}`;
  const scope = scopeOf(state, scopeKey);
  return serially(scope, async () => {
    const existing = ctx.entries.byIdentifier(options.identifier);
    if (existing !== undefined) {
      if (existing.entry.type !== 'contribution' || existing.entry.applied !== true)
        throw new ChaosplaneError(
          'conflict',
          `${options.identifier} is in use (${existing.entry.type}${existing.entry.applied === false ? ', being withdrawn' : ''}); try again later`,
        );
      if (isDeepStrictEqual(existing.entry.contribution?.value, options.value)) return { applied: false };
      // A different value under the same name replaces it.
      await withdrawIn(state, ctx, scopeOf(state, contributionOf(existing.entry).scope), existing.entry);
      ctx.entries.forget(existing, 'replaced');
    }
    const entry = contributionEntry(options, renderer, scopeKey, { targetStartTime, namespaceIds });
    await add(state, ctx, scope, entry, options.signal);
    return { applied: true };
  });
}

/** Takes in a predecessor's contribution: live while applied and before its deadline, else withdrawn now. */
function adopt(state: StatesState, ctx: ManagerContext, entry: JournalEntry, report: RecoveredContributions) {
  const expired = entry.deadlineMs !== undefined && entry.deadlineMs <= Date.now();
  if (entry.applied !== false && !expired) {
    scopeOf(state, contributionOf(entry).scope).live.set(entry.uid, entry);
    ctx.entries.track(entry, 'adopted');
    report.adopted.push(entry.uid);
  } else {
    // Withdrawn through the deadline machinery, retried every 5 s while a render fails.
    ctx.entries.track({ ...entry, deadlineMs: Date.now() }, 'adopted');
    report.dropped.push(entry.uid);
  }
}

/** Renders a scope again from what is live; forgets every contribution of it when its namespaces are gone. */
async function rerender(
  state: StatesState,
  ctx: ManagerContext,
  entries: JournalEntry[],
  report: RecoveredContributions,
) {
  const scope = scopeOf(state, contributionOf(entries[0]!).scope);
  await serially(scope, async () => {
    let outcome: 'rendered' | 'gone';
    try {
      outcome = await render(state, ctx, entries[0]!, [...scope.live.values()]);
    } catch (error) {
      report.failed.push({ uid: entries[0]!.uid, error: String(error) });
      return;
    }
    if (outcome !== 'gone') return;
    for (const e of entries) {
      const t = ctx.entries.get(e.uid);
      if (t) ctx.entries.forget(t, 'gone-on-restart');
      scope.live.delete(e.uid);
      report.adopted = report.adopted.filter(uid => uid !== e.uid);
      report.dropped = report.dropped.filter(uid => uid !== e.uid);
      report.gone.push(e.uid);
    }
  });
}

/** {@link SharedStates.recover}. */
async function recover(state: StatesState, ctx: ManagerContext, entries: JournalEntry[]) {
  const report: RecoveredContributions = { adopted: [], dropped: [], gone: [], failed: [] };
  const byScope = new Map<string, JournalEntry[]>();
  for (const entry of entries) {
    const c = contributionOf(entry);
    if (!state.renderers.has(c.resource)) {
      report.failed.push({
        uid: entry.uid,
        error: `no loaded plugin renders ${c.resource}; it stays in the journal`,
      });
      continue;
    }
    adopt(state, ctx, entry, report);
    byScope.set(c.scope, [...(byScope.get(c.scope) ?? []), entry]);
  }
  // A predecessor may have died mid-render: every scope is rendered again from what is live.
  for (const scopeEntries of byScope.values()) await rerender(state, ctx, scopeEntries, report);
  return report;
}

/** Creates the registry of renderers and contributions. */
export function createSharedStates(): SharedStates {
  const state: StatesState = { renderers: new Map(), scopes: new Map() };
  return {
    register(renderer) {
      if (state.renderers.has(renderer.name))
        throw new ChaosplaneError('plugin', `two plugins render ${renderer.name}`, { field: 'plugins' });
      validateNamespaces([...renderer.namespaces]);
      state.renderers.set(renderer.name, renderer);
    },
    contribute: (ctx, options) => contribute(state, ctx, options),
    withdraw(ctx, entry) {
      const scope = scopeOf(state, contributionOf(entry).scope);
      return serially(scope, () => withdrawIn(state, ctx, scope, entry));
    },
    recover: (ctx, entries) => recover(state, ctx, entries),
  };
}

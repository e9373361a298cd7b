// SPDX-License-Identifier: Apache-2.0
// Every CRD Chaosplane generates (deploy/crds: the bundled chaos kinds, StatusCheck, Schedule,
// Workflow and WorkflowNode; scripts/check-generated.sh keeps them equal to the generators'
// output) is within a real API server's CEL cost budgets: each expression's estimated cost (a
// rule's times its cardinality) at most 10,000,000, all of a version's together at most
// 100,000,000. The measured figures are printed; docs/admission.md quotes them.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import {
  STATIC_ESTIMATED_COST_LIMIT,
  STATIC_ESTIMATED_CRD_COST_LIMIT,
  estimateRuleCost,
  schemaCost,
} from '@chaosplane/cel';

const crds = path.resolve(new URL('.', import.meta.url).pathname, '..', 'deploy', 'crds');

interface Crd {
  spec: {
    names: { kind: string };
    versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[];
  };
}

async function generatedCrds(): Promise<Crd[]> {
  const files = (await readdir(crds)).filter(f => f.endsWith('.yaml')).sort();
  // deploy/crds also holds the namespace-defaulting admission policy and its binding.
  const documents = await Promise.all(
    files.map(async f => parseAllDocuments(await readFile(path.join(crds, f), 'utf8')).map(d => d.toJS())),
  );
  return documents.flat().filter(d => d?.kind === 'CustomResourceDefinition') as Crd[];
}

describe("the generated CRDs' estimated CEL costs", () => {
  it('are within the per-expression and per-CRD budgets, Schedule and Workflow included', async () => {
    const rows: string[] = [];
    const kinds: string[] = [];
    for (const crd of await generatedCrds()) {
      for (const version of crd.spec.versions) {
        const cost = schemaCost(version.schema.openAPIV3Schema);
        const largest = [...cost.expressions].sort((a, b) => b.cost - a.cost)[0];
        kinds.push(crd.spec.names.kind);
        rows.push(
          `${crd.spec.names.kind}/${version.name}: ${cost.expressions.length} expressions, total ${cost.total} ` +
            `(${((100 * cost.total) / STATIC_ESTIMATED_CRD_COST_LIMIT).toFixed(1)}% of ${STATIC_ESTIMATED_CRD_COST_LIMIT}), ` +
            `largest ${largest?.cost ?? 0} (${largest?.maxCost ?? 0} x ${largest?.cardinality ?? 0}) at ${largest?.field ?? '-'}`,
        );
        expect(cost.errors).toEqual([]);
        expect(cost.total).toBeLessThanOrEqual(STATIC_ESTIMATED_CRD_COST_LIMIT);
        expect(largest?.cost ?? 0).toBeLessThanOrEqual(STATIC_ESTIMATED_COST_LIMIT);
        for (const e of cost.expressions) expect(e.unmodelled).toEqual([]);
      }
    }
    console.log(rows.join('\n'));
    expect(kinds).toEqual(
      expect.arrayContaining([
        'HelloWorldChaos',
        'PodChaos',
        'StressChaos',
        'NetworkChaos',
        'Schedule',
        'Workflow',
        'WorkflowNode',
        'StatusCheck',
      ]),
    );
  });

  it("keep the Schedule's cron rules cheap at maxLength 256, and would not be unbounded", async () => {
    const schedule = (await generatedCrds()).find(c => c.spec.names.kind === 'Schedule')!;
    const cost = schemaCost(schedule.spec.versions[0]!.schema.openAPIV3Schema);
    const cron = cost.expressions.filter(e =>
      e.field.startsWith('properties[spec].properties[schedule].x-kubernetes-validations'),
    );
    expect(cron.length).toBeGreaterThan(0);
    const perRun = Math.max(...cron.map(e => e.maxCost));
    const inCrd = cost.expressions
      .filter(e => /properties\[schedule\]\.x-kubernetes-validations/.test(e.field))
      .reduce((sum, e) => sum + e.cost, 0);
    // The costliest cron rule without maxLength: one evaluation alone is over the per-expression budget.
    const costliest = cron.find(e => e.maxCost === perRun)!;
    const unbounded = estimateRuleCost(costliest.expression, { type: 'string' }).max;
    console.log(
      `schedule: costliest cron expression ${perRun} per evaluation at maxLength 256; all schedule-string ` +
        `expressions of the Schedule CRD ${inCrd}; the costliest unbounded: ${unbounded}`,
    );
    expect(perRun).toBeLessThan(STATIC_ESTIMATED_COST_LIMIT / 100);
    expect(unbounded).toBeGreaterThan(STATIC_ESTIMATED_COST_LIMIT);
  });
});

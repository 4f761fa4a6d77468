import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerEntry } from '@haiku-army/core';
import {
  type ArmyOptions,
  createArmy,
  loadRun,
  type Router,
  type RunResult,
} from '@haiku-army/orchestrator';
import { complexityMap } from '@haiku-army/router';
import {
  createDemoResponders,
  type FakeAnthropicServer,
  startFakeAnthropic,
} from '@haiku-army/testing';
import { codebaseTools } from '@haiku-army/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'incremental-search');
const JOB = 'find every place that calls "retryCall"';
const EDITED = 'src/api/module-06.js';

let fake: FakeAnthropicServer;
beforeAll(async () => {
  const demo = createDemoResponders({ worker: { searchAssignedFiles: true } });
  fake = await startFakeAnthropic({ ...demo, latency: { firstByte: 0 } });
});
afterAll(() => fake.close());

/** A copy of the fixture repository and an empty cache folder, in a temporary directory. */
function workspace(): { root: string; cache: string } {
  const base = mkdtempSync(join(tmpdir(), 'army-incremental-'));
  const root = join(base, 'repo');
  cpSync(FIXTURE, root, { recursive: true });
  return { root, cache: join(base, 'cache') };
}

function armyFor(root: string, cache: string, extra: ArmyOptions = {}) {
  const warnings: string[] = [];
  const army = createArmy({
    baseURL: fake.url,
    apiKey: 'test-key',
    tools: codebaseTools({ root }),
    context: `root: ${root}`,
    journal: false,
    cache,
    logger: { warn: (message: string) => warnings.push(message) },
    ...extra,
  });
  return { army, warnings };
}

/** The run's billed (not reused) ledger entries, each matched to the fake's bill; returns the task ids billed. */
function billedTasks(entries: readonly LedgerEntry[]): string[] {
  const billed = entries.filter((entry) => !entry.reused);
  expect(billed).toHaveLength(fake.billing.entries.length);
  const bill = new Map(fake.billing.entries.map((entry) => [entry.requestId, entry]));
  for (const entry of billed) expect(bill.get(entry.requestId!)?.cost).toEqual(entry.cost);
  for (const entry of entries.filter((candidate) => candidate.reused))
    expect(entry.cost.total).toBe(0);
  return [...new Set(billed.map((entry) => entry.taskId))].sort();
}

async function run(
  army: ReturnType<typeof armyFor>['army'],
  options: { cache?: boolean } = {},
): Promise<{ result: RunResult; tasks: string[]; entries: LedgerEntry[] }> {
  fake.reset();
  const result = await army.run(JOB, options);
  expect(result.status).toBe('done');
  const entries = army.ledger.entries({ runId: result.runId });
  const tasks = billedTasks(entries);
  // Ledger == bill: reused entries cost 0 and are not billed.
  expect(result.cost.totals.total).toBe(fake.billing.total());
  return { result, tasks, entries };
}

function costOf(entries: readonly LedgerEntry[], taskIds: readonly string[]): number {
  return entries
    .filter((entry) => taskIds.includes(entry.taskId))
    .reduce((sum, entry) => sum + entry.cost.total, 0);
}

describe('incremental runs over HTTP: a repeated job pays only for what changed', () => {
  it('after an edit only the subtasks that read the file, and the synthesis, are billed; a third run bills nothing', async () => {
    const { root, cache } = workspace();
    const { army } = armyFor(root, cache);
    const first = await run(army);
    const shards = first.result.subtasks.map((subtask) => subtask.id);
    expect(shards.length).toBeGreaterThan(3);
    expect(first.tasks).toEqual(['planner', ...shards, 'synthesis'].sort());
    expect(first.result.reused).toBe(0);
    expect(first.result.answer).toContain(`${EDITED} (1)`);

    // Plant a second match in one file.
    appendFileSync(
      join(root, EDITED),
      "export const again = () => retryCall(() => fetch('/again'));\n",
    );
    const affected = first.result.plan.subtasks
      .filter((subtask) => JSON.stringify(subtask.brief).includes(EDITED))
      .map((subtask) => subtask.id);
    expect(affected).toHaveLength(1);

    const second = await run(army);
    expect(second.tasks).toEqual([...affected, 'synthesis'].sort());
    // Exactly that worker's calls and the synthesis: nothing else was sent.
    const workerCalls = second.entries.filter((entry) => !entry.reused && entry.role === 'worker');
    expect(workerCalls.length).toBe(fake.billing.entries.length - 1);
    expect(second.result.answer).toContain(`${EDITED} (2)`);
    const unchanged = shards.filter((id) => !affected.includes(id));
    expect(second.result.reused).toBe(unchanged.length + 1); // + the plan
    expect(second.result.savedByReuse).toBe(costOf(first.entries, ['planner', ...unchanged]));
    for (const subtask of second.result.subtasks)
      expect(subtask.reused !== undefined).toBe(!affected.includes(subtask.id));
    const node = second.result.cost.tree.subtasks.find((subtask) => subtask.id === unchanged[0]);
    expect(node?.reusedFrom?.originalCost).toBe(costOf(first.entries, [unchanged[0]!]));
    expect(node?.totals.calls).toBe(0);

    // Nothing secret is stored: no API key, no header.
    for (const name of readdirSync(cache, { recursive: true, encoding: 'utf8' }))
      if (name.endsWith('.json')) {
        const text = readFileSync(join(cache, name), 'utf8');
        expect(text).not.toContain('test-key');
        expect(text.toLowerCase()).not.toContain('x-api-key');
      }

    const third = await run(army);
    expect(fake.billing.entries).toHaveLength(0);
    expect(third.tasks).toEqual([]);
    expect(third.result.cost.total).toBe(0);
    expect(third.result.answer).toBe(second.result.answer);
    expect(third.result.reused).toBe(shards.length + 2);
    expect(third.result.savedByReuse).toBe(second.result.savedByReuse! + second.result.cost.total);
  });

  it('a journaled run keeps its reused entries: its report shows the reuse and the saving', async () => {
    const { root, cache } = workspace();
    const journal = join(root, '..', 'runs');
    const { army } = armyFor(root, cache, { journal });
    await run(army);
    const again = await run(army);
    const loaded = await loadRun(again.result.runId, { journal });
    expect(loaded.reused).toBe(again.result.reused);
    expect(loaded.savedByReuse).toBe(again.result.savedByReuse);
    expect(loaded.subtasks.map((subtask) => subtask.reused?.originalCost.total)).toEqual(
      again.result.subtasks.map((subtask) => subtask.reused?.originalCost.total),
    );
  });

  it('with rounds > 1 a follow-up round’s plan is reused too: an unchanged re-run bills nothing', async () => {
    const { root, cache } = workspace();
    const { army } = armyFor(root, cache, { rounds: 2 });
    const first = await run(army);
    // The simulated planner answers round 2 with done: true (two planner calls).
    expect(first.result.cost.tree.planner.calls).toBe(2);
    const planner = first.entries.filter((entry) => entry.taskId === 'planner');
    const again = await run(army);
    expect(again.tasks).toEqual([]);
    expect(fake.billing.entries).toHaveLength(0);
    expect(again.result.answer).toBe(first.result.answer);
    // The plan, round 2's plan, every subtask and the synthesis.
    expect(again.result.reused).toBe(first.result.subtasks.length + 3);
    const reusedPlans = again.entries.filter((entry) => entry.taskId === 'planner');
    expect(reusedPlans.map((entry) => entry.originalCost?.total)).toEqual(
      planner.map((entry) => entry.cost.total),
    );
    expect(again.result.savedByReuse).toBe(first.result.cost.total);
  });

  it('cache: false bills the whole job (on the run, or on the army)', async () => {
    const { root, cache } = workspace();
    const { army } = armyFor(root, cache);
    const warm = await run(army);
    const all = ['planner', ...warm.result.subtasks.map((subtask) => subtask.id), 'synthesis'];
    const off = await run(army, { cache: false });
    expect(off.tasks).toEqual([...all].sort());
    expect(off.result.reused).toBe(0);
    expect(off.result.cost.total).toBe(warm.result.cost.total);
    const { army: uncached } = armyFor(root, cache, { cache: false });
    expect((await run(uncached)).tasks).toEqual([...all].sort());
  });

  describe('what invalidates a subtask', () => {
    it.each([
      ['the worker model', { workers: 'claude-haiku-4-5' }],
      ['the preamble', { preamble: 'You are a careful worker. Search only what you are told to.' }],
      ['the shared prefix', { sharedPrefix: 'Project notes: the API layer lives in src/api.' }],
    ] as const)(
      'changing %s runs every worker again (the plan is still reused)',
      async (_what, change) => {
        const { root, cache } = workspace();
        const warm = await run(armyFor(root, cache).army);
        const shards = warm.result.subtasks.map((subtask) => subtask.id);
        const changed = await run(armyFor(root, cache, change).army);
        // The summaries came out the same, so the synthesis is reused with the plan.
        expect(changed.tasks).toEqual([...shards].sort());
        expect(changed.result.reused).toBe(2);
        // And the same options again reuse everything.
        const again = await run(armyFor(root, cache, change).army);
        expect(again.tasks).toEqual([]);
      },
    );

    it("a router's configuration is part of the key; a router without a fingerprint caches no subtask", async () => {
      const { root, cache } = workspace();
      const every = (model: string) =>
        complexityMap({ models: { simple: model, moderate: model, complex: model } });
      const warm = await run(armyFor(root, cache, { workers: every('claude-haiku-5-5') }).army);
      const shards = warm.result.subtasks.map((subtask) => subtask.id).sort();
      expect(shards.length).toBeGreaterThan(1);
      const same = await run(armyFor(root, cache, { workers: every('claude-haiku-5-5') }).army);
      expect(same.tasks).toEqual([]);
      // Another map: every worker runs again, on the model the new map picks.
      const remapped = await run(armyFor(root, cache, { workers: every('claude-haiku-4-5') }).army);
      expect(remapped.tasks).toEqual(shards);
      expect(new Set(remapped.result.subtasks.map((subtask) => subtask.model))).toEqual(
        new Set(['claude-haiku-4-5']),
      );
      // A router that cannot say what decides its picks: its subtasks are never reused.
      const bare: Router = {
        name: 'bare',
        pick: async (_subtask, context) =>
          context.attempts.length === 0 ? { model: 'claude-haiku-5-5', reason: 'bare' } : null,
      };
      await run(armyFor(root, cache, { workers: bare }).army);
      const unkeyed = await run(armyFor(root, cache, { workers: bare }).army);
      expect(unkeyed.tasks).toEqual(shards);
      expect(unkeyed.result.subtasks.every((subtask) => !subtask.reused)).toBe(true);
      // A pick made from the run's state (a budgetAware step-down) is not stored either.
      const moment: Router = {
        name: 'moment',
        fingerprint: 'moment',
        pick: async (_subtask, context) =>
          context.attempts.length === 0
            ? { model: 'claude-haiku-5-5', reason: 'budget low', transient: true }
            : null,
      };
      await run(armyFor(root, cache, { workers: moment }).army);
      const transient = await run(armyFor(root, cache, { workers: moment }).army);
      expect(transient.tasks).toEqual(shards);
    });

    it("a dependency's new summary runs its dependents again, not its siblings", async () => {
      const { root, cache } = workspace();
      const brief = (files: string[]) => ({
        objective: [
          'role: worker',
          `job: ${JOB}`,
          `root: ${root}`,
          'terms: retryCall',
          'files:',
          ...files.map((file) => `- ${file}`),
        ].join('\n'),
      });
      const plan = {
        reasoning: 'search, then check the callers',
        subtasks: [
          { id: 'api', title: 'Search the API', brief: brief([EDITED]), dependsOn: [] },
          {
            id: 'callers',
            title: 'Callers of the API',
            brief: brief(['src/lib/module-03.js']),
            dependsOn: ['api'],
          },
          { id: 'lib', title: 'Search lib', brief: brief(['src/lib/module-09.js']), dependsOn: [] },
        ],
      };
      const { army } = armyFor(root, cache);
      const runPlan = async () => {
        fake.reset();
        const result = await army.runPlan(plan, { job: JOB });
        expect(result.status).toBe('done');
        return billedTasks(army.ledger.entries({ runId: result.runId }));
      };
      expect(await runPlan()).toEqual(['api', 'callers', 'lib', 'synthesis']);
      expect(await runPlan()).toEqual([]);
      appendFileSync(join(root, EDITED), 'retryCall(() => 1);\n');
      // `callers` read nothing that changed, but its brief carries `api`'s new summary.
      expect(await runPlan()).toEqual(['api', 'callers', 'synthesis']);
    });
  });

  it('a corrupt cache (a torn file, a hash mismatch) is reported and treated as a miss', async () => {
    const { root, cache } = workspace();
    const warm = await run(armyFor(root, cache).army);
    const files = readdirSync(cache, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.json'))
      .map((name) => join(cache, name));
    expect(files.length).toBe(warm.result.subtasks.length + 2);
    files.forEach((file, index) => {
      const text = readFileSync(file, 'utf8');
      if (index % 2 === 0)
        writeFileSync(file, text.slice(0, 20)); // torn mid-header
      else {
        // One digit of the body changed: still JSON, no longer its hash.
        const cut = text.indexOf('\n');
        const body = text.slice(cut).replace(/"createdAt":1/, '"createdAt":2');
        writeFileSync(file, text.slice(0, cut) + body);
      }
    });
    const { army, warnings } = armyFor(root, cache);
    const again = await run(army);
    expect(again.tasks).toEqual(warm.tasks);
    expect(again.result.reused).toBe(0);
    expect(again.result.answer).toBe(warm.result.answer);
    expect(warnings.some((warning) => warning.includes('torn write'))).toBe(true);
    expect(warnings.some((warning) => warning.includes('hash mismatch'))).toBe(true);
    // The rerun stored sound entries again: the next run reuses everything.
    expect((await run(armyFor(root, cache).army)).tasks).toEqual([]);
  });
});

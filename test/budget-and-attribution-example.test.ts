import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const example = fileURLToPath(
  new URL('../examples/budget-and-attribution/index.mjs', import.meta.url),
);

interface TagNode {
  tag: string;
  calls: number;
  total: number;
  children: { tag: string; calls: number; total: number }[];
}

interface Report {
  status: string;
  budgetNanoUsd: number;
  error?: { name: string; message: string };
  budgetExceededEvents: number;
  subtasks: {
    id: string;
    status: string;
    code?: string;
    tags: string[];
    calls: number;
    costNanoUsd: number;
    summary: string;
  }[];
  tagTree: TagNode[];
  costByTagNanoUsd: Record<string, number>;
  tree: { planner: number; synthesis: number; subtasks: { id: string; total: number }[] };
  totalNanoUsd: number;
  billedNanoUsd: number;
}

function offlineEnv() {
  const env = { ...process.env };
  delete env.ANTHROPIC_API_KEY;
  return env;
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('examples/budget-and-attribution', () => {
  it('the budget runs out midway: the cap holds, what finished is kept, the spend rolls up by tag', () => {
    const report = JSON.parse(
      execFileSync(process.execPath, [example, '--json', '--latency', '0'], {
        encoding: 'utf8',
        env: offlineEnv(),
      }),
    ) as Report;
    expect(report.status).toBe('budget_exceeded');
    expect(report.error?.name).toBe('BudgetExceededError');
    expect(report.budgetExceededEvents).toBeGreaterThan(0);
    // The hard cap held, and what the fake billed is what the run says it spent.
    expect(report.budgetNanoUsd).toBe(10_000_000);
    expect(report.totalNanoUsd).toBeLessThanOrEqual(report.budgetNanoUsd);
    expect(report.totalNanoUsd).toBe(report.billedNanoUsd);

    // Midway: some folders finished and kept their summaries, the rest never started.
    const done = report.subtasks.filter((subtask) => subtask.status === 'done');
    const skipped = report.subtasks.filter((subtask) => subtask.status === 'skipped');
    expect(done.length).toBeGreaterThan(0);
    expect(skipped.length).toBeGreaterThan(0);
    for (const subtask of done) {
      expect(subtask.summary).toMatch(/matching lines/);
      expect(subtask.costNanoUsd).toBeGreaterThan(0);
    }
    for (const subtask of skipped) {
      expect(subtask.code).toBe('BUDGET_EXCEEDED');
      expect([subtask.calls, subtask.costNanoUsd]).toEqual([0, 0]);
    }
    for (const subtask of report.subtasks)
      expect(['done', 'partial', 'skipped']).toContain(subtask.status);
    // No synthesis after the budget ran out, and a hand-written plan has no planner call.
    expect([report.tree.planner, report.tree.synthesis]).toEqual([0, 0]);
    expect(sum(report.subtasks.map((subtask) => subtask.costNanoUsd))).toBe(report.totalNanoUsd);

    // The tag tree: every package's spend is its subtasks', split exactly by kind.
    expect(sum(report.tagTree.map((node) => node.total))).toBe(report.totalNanoUsd);
    for (const node of report.tagTree) {
      const own = report.subtasks.filter((subtask) => subtask.tags.includes(node.tag));
      expect(node.total).toBe(sum(own.map((subtask) => subtask.costNanoUsd)));
      expect(node.calls).toBe(sum(own.map((subtask) => subtask.calls)));
      expect(sum(node.children.map((child) => child.total))).toBe(node.total);
      for (const child of node.children)
        expect(child.total).toBe(
          sum(
            own
              .filter((subtask) => subtask.tags.includes(child.tag))
              .map((subtask) => subtask.costNanoUsd),
          ),
        );
    }
    expect(
      (report.costByTagNanoUsd['kind:src'] ?? 0) + (report.costByTagNanoUsd['kind:test'] ?? 0),
    ).toBe(report.totalNanoUsd);
    // A package whose folders never started has no calls, so no tag entry.
    const spentPackages = new Set(
      report.subtasks
        .filter((subtask) => subtask.calls > 0)
        .map((subtask) => subtask.tags.find((tag) => tag.startsWith('package:'))),
    );
    expect(report.tagTree.map((node) => node.tag).sort()).toEqual([...spentPackages].sort());
  }, 120_000);

  it('names a bad budget', () => {
    expect(() =>
      execFileSync(process.execPath, [example, '--budget', 'lots'], {
        encoding: 'utf8',
        stdio: 'pipe',
        env: offlineEnv(),
      }),
    ).toThrow(/Expected --budget to be a positive number of US dollars, got lots/);
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';

/** The built bin (child-process tests run dist: build first). */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** A fixture repository with `retryCall` planted in some files; returns its root and the planted paths. */
export function fixtureRepo(): { root: string; planted: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'army-mcp-'));
  const planted: string[] = [];
  for (let index = 1; index <= 8; index++) {
    const path = `src/module-${index}.ts`;
    const hit = index % 3 === 0;
    if (hit) planted.push(path);
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(
      join(root, path),
      hit ? 'export const load = () => retryCall(fetchAll);\n' : '// nothing\n',
    );
  }
  return { root, planted };
}

/** The environment of a child server: this one's, minus any API key of the host. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && key !== 'ANTHROPIC_API_KEY' && key !== 'ANTHROPIC_BASE_URL')
      env[key] = value;
  return { ...env, ...extra };
}

export const CALL_OPTIONS = { timeout: 120_000, resetTimeoutOnProgress: true } as const;

function text(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

/**
 * What both transports must do: list the four tools, fan out over the
 * fixture with progress, bill exactly what the fake billed, report the run,
 * and refuse a foreign root and a budget over the cap.
 */
export async function exerciseServer(
  client: Client,
  repo: { root: string; planted: string[] },
  billed: () => number,
): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((tool) => tool.name).sort()).toEqual([
    'estimate',
    'fan_out',
    'map',
    'run_report',
  ]);
  for (const tool of tools) expect(tool.outputSchema).toBeDefined();

  const progress: { progress: number; total?: number; message?: string }[] = [];
  const before = billed();
  const result = (await client.callTool(
    {
      name: 'fan_out',
      arguments: { job: 'find every place that calls "retryCall"', budgetUsd: 0.5 },
    },
    undefined,
    { ...CALL_OPTIONS, onprogress: (event) => progress.push(event) },
  )) as CallToolResult;
  expect(result.isError ?? false, text(result)).toBe(false);
  const content = result.structuredContent as {
    runId: string;
    status: string;
    answer: string;
    subtasks: { id: string; summary: string; costNanoUsd: number }[];
    bill: {
      totalNanoUsd: number;
      byModel: Record<string, number>;
      baseline: { savingNanoUsd: number };
    };
  };
  expect(content.status).toBe('done');
  for (const path of repo.planted) expect(content.answer).toContain(path);
  expect(content.subtasks.length).toBeGreaterThan(0);
  expect(content.bill.totalNanoUsd).toBeGreaterThan(0);
  expect(content.bill.totalNanoUsd).toBe(billed() - before);
  expect(Object.values(content.bill.byModel).reduce((a, b) => a + b, 0)).toBe(
    content.bill.totalNanoUsd,
  );
  expect(text(result)).toContain(content.runId);
  expect(progress.length).toBeGreaterThanOrEqual(1);
  expect(progress.at(-1)?.message).toMatch(/subtasks done, \$[0-9.]+ so far/);
  expect(progress.at(-1)?.progress).toBe(content.subtasks.length);

  const report = (await client.callTool(
    { name: 'run_report', arguments: { runId: content.runId } },
    undefined,
    CALL_OPTIONS,
  )) as CallToolResult;
  expect(report.isError ?? false, text(report)).toBe(false);
  const tree = (report.structuredContent as { costTree: { totalNanoUsd: number } }).costTree;
  expect(tree.totalNanoUsd).toBe(content.bill.totalNanoUsd);

  const outside = mkdtempSync(join(tmpdir(), 'army-mcp-outside-'));
  const refusedRoot = (await client.callTool(
    { name: 'fan_out', arguments: { job: 'find secrets', root: outside } },
    undefined,
    CALL_OPTIONS,
  )) as CallToolResult;
  expect(refusedRoot.isError).toBe(true);
  expect(text(refusedRoot)).toContain('ROOT_NOT_ALLOWED');
  expect(text(refusedRoot)).toContain(outside);
  expect(text(refusedRoot)).toContain(repo.root);

  const beforeRefusal = billed();
  const refusedBudget = (await client.callTool(
    { name: 'fan_out', arguments: { job: 'find every TODO', budgetUsd: 50 } },
    undefined,
    CALL_OPTIONS,
  )) as CallToolResult;
  expect(refusedBudget.isError).toBe(true);
  expect(text(refusedBudget)).toMatch(
    /BUDGET_OVER_CAP: budgetUsd 50 is over this server's cap of 1 USD/,
  );
  expect(billed()).toBe(beforeRefusal);

  const unknown = (await client.callTool(
    { name: 'run_report', arguments: { runId: 'no-such-run' } },
    undefined,
    CALL_OPTIONS,
  )) as CallToolResult;
  expect(unknown.isError).toBe(true);
  expect(text(unknown)).toContain(content.runId);
}

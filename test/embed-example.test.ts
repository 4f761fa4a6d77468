import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { countTextTokens } from '@haiku-army/testing';
import { describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('../examples/embed/index.mjs', import.meta.url));

interface Report {
  hostModel: string;
  hostTurns: { turn: number; inputTokens: number; outputTokens: number; costNanoUsd: number }[];
  delegations: {
    job: string;
    status: string;
    subtasks: number;
    calls: number;
    armyTokens: number;
    costNanoUsd: number;
    answer: string;
  }[];
  finalAnswer: string;
  hostMessages: { role: string; content: string | { type: string; [key: string]: unknown }[] }[];
  hostCostNanoUsd: number;
  totalNanoUsd: number;
  billedNanoUsd: number;
}

function offlineEnv() {
  const env = { ...process.env };
  delete env.ANTHROPIC_API_KEY;
  return env;
}

describe('examples/embed', () => {
  it("only the army's answer enters the host's context", () => {
    const report = JSON.parse(
      execFileSync(process.execPath, [example, '--json', '--latency', '0'], {
        encoding: 'utf8',
        env: offlineEnv(),
      }),
    ) as Report;
    expect(report.hostModel).toBe('claude-opus-5-5');
    expect(report.hostTurns).toHaveLength(2);
    const [delegation] = report.delegations;
    expect(report.delegations).toHaveLength(1);
    expect(delegation!.status).toBe('done');
    expect(delegation!.subtasks).toBeGreaterThan(1);
    expect(delegation!.answer).toContain('core/src/gateway/retry-policy.ts');

    // The host's conversation: question, its tool call, the army's answer as the tool result, its reply.
    expect(report.hostMessages.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    const toolResults = report.hostMessages[2]!.content as { type: string; content: string }[];
    expect(toolResults).toEqual([
      { type: 'tool_result', tool_use_id: expect.any(String), content: delegation!.answer },
    ]);
    // Nothing of the workers' tool traffic: no read_file lines ("12\t..."), no tool names.
    const hostContext = JSON.stringify(report.hostMessages);
    expect(hostContext).not.toMatch(/\\n\d+\\t/);
    expect(hostContext).not.toMatch(/read_file|submit_result|"grep"/);

    // By the token counts: the host's context grew by its own tool call and
    // the answer, a sliver of what went through the army's contexts.
    const [first, second] = report.hostTurns;
    const growth = second!.inputTokens - first!.inputTokens;
    const answerTokens = countTextTokens(delegation!.answer);
    expect(growth).toBeGreaterThanOrEqual(answerTokens);
    expect(growth).toBeLessThanOrEqual(answerTokens + first!.outputTokens + 50);
    expect(delegation!.armyTokens).toBeGreaterThan(50 * growth);
    expect(report.finalAnswer).toMatch(/^The army searched the codebase for me\./);

    // One ledger prices the host and the army; it equals the fake's bill.
    expect(report.hostCostNanoUsd).toBe(sum(report.hostTurns.map((turn) => turn.costNanoUsd)));
    expect(report.totalNanoUsd).toBe(report.hostCostNanoUsd + delegation!.costNanoUsd);
    expect(report.totalNanoUsd).toBe(report.billedNanoUsd);
  }, 120_000);
});

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

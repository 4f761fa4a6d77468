import { CostLedger, type LedgerTotals, type UsageLike } from '@haiku-army/core';
import type {
  RunResult,
  SubtaskCost,
  SubtaskResult,
  TimelineEntry,
} from '@haiku-army/orchestrator';

/** One call of a hand-built run. */
export interface FixtureCall {
  taskId: string;
  role: string;
  model: string;
  attempt?: number;
  start: number;
  end: number;
  usage: UsageLike;
  retries?: number;
  outcome?: TimelineEntry['outcome'];
  /** false: the call is on the timeline, unbilled. */
  billed?: boolean;
}

const T0 = 1_700_000_000_000;

/**
 * A RunResult built the way the orchestrator builds one: every call recorded
 * in a real CostLedger, the cost tree and baseline from its totals, the
 * timeline from the calls. `subtasks` gives each subtask's title and summary.
 */
export function fixtureRun(
  calls: readonly FixtureCall[],
  subtasks: { id: string; title: string; summary: string }[],
  extra: Partial<RunResult<unknown>> = {},
): RunResult<unknown> {
  const runId = 'run-fixture';
  const ledger = new CostLedger({ now: () => T0, baselineModel: 'claude-opus-5-5' });
  const timeline: TimelineEntry[] = calls.map((call) => {
    const entry =
      call.billed === false
        ? undefined
        : ledger.record({
            attribution: {
              runId,
              taskId: call.taskId,
              role: call.role,
              attempt: call.attempt ?? 1,
            },
            model: call.model,
            usage: call.usage,
            retries: call.retries ?? 0,
          });
    return {
      start: T0 + call.start,
      end: T0 + call.end,
      taskId: call.taskId,
      role: call.role,
      model: call.model,
      attempt: call.attempt ?? 1,
      outcome: call.outcome ?? 'success',
      ...(entry ? { entryId: entry.id, cost: entry.cost.total, retries: entry.retries } : {}),
    };
  });
  const totals = (filter: Parameters<CostLedger['totals']>[0]): LedgerTotals =>
    ledger.totals({ runId, ...filter });
  const subtaskCosts: SubtaskCost[] = subtasks.map(({ id }) => {
    const entries = ledger.entries({ runId, taskId: id, role: 'worker' });
    const attempts = [...new Set(entries.map((entry) => `${entry.attempt}\n${entry.model}`))].map(
      (key) => {
        const [attempt, model] = key.split('\n') as [string, string];
        const own = entries.filter(
          (entry) => entry.attempt === Number(attempt) && entry.model === model,
        );
        const sum = new CostLedger();
        for (const entry of own)
          sum.record({ attribution: entry, model: entry.model, usage: entry.usage });
        return { attempt: Number(attempt), model, totals: sum.totals() };
      },
    );
    return { id, totals: totals({ taskId: id, role: 'worker' }), attempts };
  });
  const total = totals({});
  const results: SubtaskResult[] = subtasks.map(({ id, title, summary }, index) => {
    const node = subtaskCosts[index]!;
    const last = node.attempts.at(-1);
    return {
      id,
      title,
      round: 1,
      status: 'done',
      summary,
      ...(last ? { model: last.model } : {}),
      attempts: node.attempts.map((attempt) => ({
        attempt: attempt.attempt,
        model: attempt.model,
        status: 'done',
        summary,
        routeReason: 'fixture',
        accepted: attempt === last,
        calls: attempt.totals.calls,
        cost: attempt.totals.cost,
      })),
      calls: node.totals.calls,
      cost: node.totals.cost,
      dependsOn: [],
      transcriptIds: [],
    };
  });
  return {
    runId,
    status: 'done',
    answer: 'The answer.',
    plan: { reasoning: 'Split by file.', subtasks: [] },
    rounds: 1,
    subtasks: results,
    artifacts: [],
    cost: {
      total: total.cost.total,
      totals: total.cost,
      usage: total.usage,
      calls: total.calls,
      estimated: total.estimated,
      batchSaving: 0,
      tree: {
        total,
        planner: totals({ role: 'planner' }),
        router: totals({ role: 'router' }),
        subtasks: subtaskCosts,
        synthesis: totals({ role: 'synthesizer' }),
        other: new CostLedger().totals(),
      },
    },
    cacheHitRate:
      total.usage.cacheReadTokens /
      Math.max(
        1,
        total.usage.inputTokens +
          total.usage.cacheReadTokens +
          total.usage.cacheWrite5mTokens +
          total.usage.cacheWrite1hTokens,
      ),
    baseline: ledger.baseline({ runId }),
    timeline,
    startedAt: T0,
    endedAt: T0 + Math.max(0, ...calls.map((call) => call.end)),
    ...extra,
  };
}

/** A run: a planner call, three workers (one retried, one escalated), a synthesis. */
export function sampleRun(text: { job?: string; summary?: string } = {}): RunResult<unknown> {
  const usage = (input: number, output: number, cacheRead = 0, cacheWrite = 0): UsageLike => ({
    input_tokens: input,
    output_tokens: output,
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheWrite,
  });
  return fixtureRun(
    [
      {
        taskId: 'planner',
        role: 'planner',
        model: 'claude-opus-5-5',
        start: 0,
        end: 900,
        usage: usage(800, 400, 0, 2000),
      },
      {
        taskId: 'a',
        role: 'worker',
        model: 'claude-haiku-5-5',
        start: 1000,
        end: 1400,
        usage: usage(300, 100, 2000),
        retries: 2,
      },
      {
        taskId: 'b',
        role: 'worker',
        model: 'claude-haiku-5-5',
        start: 1000,
        end: 1300,
        usage: usage(300, 80, 2000),
      },
      {
        taskId: 'c',
        role: 'worker',
        model: 'claude-haiku-5-5',
        start: 1050,
        end: 1200,
        usage: usage(300, 90, 2000),
        outcome: 'error',
      },
      {
        taskId: 'c',
        role: 'worker',
        model: 'claude-sonnet-5-5',
        attempt: 2,
        start: 1300,
        end: 1800,
        usage: usage(400, 120),
      },
      {
        taskId: 'b',
        role: 'worker',
        model: 'claude-haiku-5-5',
        start: 1300,
        end: 1500,
        usage: usage(0, 0),
        billed: false,
        outcome: 'aborted',
      },
      {
        taskId: 'synthesis',
        role: 'synthesizer',
        model: 'claude-opus-5-5',
        start: 1900,
        end: 2500,
        usage: usage(600, 300),
      },
    ],
    [
      { id: 'a', title: text.job ?? 'Search a', summary: text.summary ?? 'Found 2 in a.' },
      { id: 'b', title: 'Search b', summary: 'Nothing in b.' },
      { id: 'c', title: 'Search c', summary: 'Found 1 in c.' },
    ],
  );
}
